"""The `emoji32` dataset: every single-codepoint emoji of Google's Noto Color Emoji font, rendered
as a 32x32 RGB image and labelled with its Unicode emoji group (ganjax/data/emoji_groups.py).

Source: Debian's `fonts-noto-color-emoji` (/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf;
version 2.042 has all 1377 single-codepoint emoji of Emoji 15.1 that the group table lists).
Rendering: Pillow draws the font's colour bitmaps (CBDT, one strike: size 109 only, hence
embedded_color=True at that size) on white; the image is cropped to the glyph's non-white bounding
box, padded with white to a centred square and resized to 32x32 with Lanczos. Digits, #, *, skin
tone modifiers, hair components and lone regional indicators are in the font but not in the
table, so they are never drawn; a codepoint whose glyph renders empty is skipped.

Splits, in codepoint order: every 10th rendered glyph (the 10th, 20th, ...) is `test` (137 images),
the rest `train` (1240). Examples: {"image": uint8 [32, 32, 3], "label": int64 group index}, keyed
by codepoint. The images are the same bytes on every build with the same font file and Pillow.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np
import tensorflow_datasets as tfds

from ganjax.data.emoji_groups import GROUPS, emoji_groups
from ganjax.errors import DatasetNotFoundError

FONT_DIR = "/usr/share/fonts/truetype/noto"
FONT_FILE = "NotoColorEmoji.ttf"
PACKAGE = "fonts-noto-color-emoji"
MISSING_HINT = (f"It comes with Debian's {PACKAGE} package: run `make data`, or `sudo apt-get "
                f"install {PACKAGE}`, or point --config.dataset.source_dir at a directory holding "
                f"{FONT_FILE}.")
FONT_SIZE = 109  # the font's only bitmap strike; FreeType refuses other sizes for CBDT fonts
SIZE = 32
TEST_EVERY = 10
_CANVAS = 192  # room for the 136x128 bitmap drawn at an offset


def missing_font(directory: str) -> list[str]:
  """[FONT_FILE] when `directory` lacks it, else [] (a DatasetSpec's check_source)."""
  return [] if os.path.isfile(os.path.join(directory, FONT_FILE)) else [FONT_FILE]


def load_font(directory: str = FONT_DIR):
  """The font at its bitmap size; DatasetNotFoundError naming the file, package and fix if absent."""
  from PIL import ImageFont
  path = os.path.join(directory, FONT_FILE)
  if not os.path.isfile(path):
    raise DatasetNotFoundError(f"Dataset 'emoji32': font {path} not found. {MISSING_HINT}")
  # Basic layout: one codepoint needs no shaping, and the result does not depend on libraqm.
  return ImageFont.truetype(path, FONT_SIZE, layout_engine=ImageFont.Layout.BASIC)


def render(font, codepoint: int, size: int = SIZE) -> np.ndarray | None:
  """uint8 [size, size, 3]: the glyph of `codepoint` on white, cropped to its bounding box, padded
  to a centred white square and resized (Lanczos); None when the glyph draws nothing."""
  from PIL import Image, ImageDraw
  canvas = Image.new("RGB", (_CANVAS, _CANVAS), "white")
  ImageDraw.Draw(canvas).text((16, 16), chr(codepoint), font=font, embedded_color=True)
  pixels = np.asarray(canvas)
  ink = np.argwhere((pixels != 255).any(-1))
  if not len(ink):
    return None
  (top, left), (bottom, right) = ink.min(0), ink.max(0) + 1
  glyph = pixels[top:bottom, left:right]
  side = max(glyph.shape[:2])
  square = np.full((side, side, 3), 255, np.uint8)
  y, x = (side - glyph.shape[0]) // 2, (side - glyph.shape[1]) // 2
  square[y:y + glyph.shape[0], x:x + glyph.shape[1]] = glyph
  return np.asarray(Image.fromarray(square).resize((size, size), Image.Resampling.LANCZOS), np.uint8)


def glyphs(directory: str = FONT_DIR) -> Iterator[tuple[int, np.ndarray, int, str]]:
  """Yields (codepoint, image uint8 [32, 32, 3], group index, split) over the table's emoji that
  the font draws, in codepoint order; split "test" for every TEST_EVERY-th of them."""
  font = load_font(directory)
  drawn = 0
  for codepoint, group in emoji_groups().items():
    image = render(font, codepoint)
    if image is None:
      continue
    drawn += 1
    yield codepoint, image, group, "test" if drawn % TEST_EVERY == 0 else "train"


class Emoji32(tfds.core.GeneratorBasedBuilder):
  """Noto Color Emoji's single-codepoint emoji, 32x32 RGB on white, labelled by emoji group."""

  VERSION = tfds.core.Version("1.0.0")
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"The manual dir holds {FONT_FILE} ({PACKAGE})."

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "image": tfds.features.Tensor(shape=(SIZE, SIZE, 3), dtype=np.uint8),
        "label": tfds.features.ClassLabel(names=list(GROUPS)),
    }), supervised_keys=("image", "label"))

  def _split_generators(self, dl_manager):
    rendered = list(glyphs(str(dl_manager.manual_dir)))  # ~1400 glyphs in seconds
    return {split: self._generate_examples(rendered, split) for split in ("train", "test")}

  def _generate_examples(self, rendered, split):
    for codepoint, image, group, where in rendered:
      if where == split:
        yield codepoint, {"image": image, "label": group}
