"""Reading a user's image files: which files a folder (or .zip) holds, and each file decoded to
uint8 [R, R, C] at the dataset's resolution and channels, or the reason it is skipped.

Every mode Pillow opens is converted to the dataset's channels: grey ("L", "1"), grey+alpha,
RGBA and palette images with transparency are composited on white (as a viewer shows them),
CMYK to RGB, 16- and 32-bit integer and float images scaled to 8 bits, RGB to grey by ITU-R 601
luma. EXIF orientation is applied first. Nothing here raises for a bad file: `load_image` returns
the reason instead, so one corrupt file among thousands never stops a preparation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import zipfile

import numpy as np

# Suffixes read as images; anything else (a .txt, .DS_Store, .json) is listed as skipped.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
# How a non-square image becomes R x R (StyleGAN2-ADA dataset_tool's center-crop, pad and resize).
TRANSFORMS = {
    "center-crop": "crop the centre square (side = the shorter side), then resize to R",
    "pad": "pad to a square with black (the longer side), then resize to R",
    "resize": "resize to R x R, ignoring the aspect ratio",
}


class ImageFiles:
  """The files of a directory tree or a .zip: relative paths with "/" separators, and their bytes."""

  def __init__(self, source: str):
    self.source = source
    self._zip = zipfile.ZipFile(source) if source.lower().endswith(".zip") else None

  def names(self) -> list[str]:
    if self._zip is not None:
      return sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
    found = []
    for root, dirs, files in os.walk(self.source):
      dirs.sort()
      rel = os.path.relpath(root, self.source)
      found += [f if rel == "." else f"{rel.replace(os.sep, '/')}/{f}" for f in sorted(files)]
    return found

  def read(self, name: str) -> bytes:
    if self._zip is not None:
      return self._zip.read(name)
    with open(os.path.join(self.source, *name.split("/")), "rb") as f:
      return f.read()


def not_an_image(name: str) -> str | None:
  """Why `name` is not read as an image (hidden file, another suffix), or None."""
  base = name.rsplit("/", 1)[-1]
  if base.startswith(".") or "/." in f"/{name}" or name.startswith("__MACOSX/"):
    return "hidden file"
  if not base.lower().endswith(IMAGE_SUFFIXES):
    return f"not an image file (suffix {os.path.splitext(base)[1] or 'none'})"
  return None


@dataclasses.dataclass
class Decoded:
  """One file read: `image` uint8 [R, R, C] (None when skipped), `skipped` the reason,
  `converted` what was changed on the way (e.g. "RGBA: alpha composited on white"), the source
  size (w, h) and mode, and the sha1 of the file's bytes (exact duplicates)."""
  image: np.ndarray | None
  skipped: str | None = None
  converted: tuple[str, ...] = ()
  size: tuple[int, int] | None = None
  mode: str | None = None
  sha1: str = ""


def _on_white(img):
  from PIL import Image
  rgba = img.convert("RGBA")
  white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
  return Image.alpha_composite(white, rgba).convert("RGB")


def _to_8bit(img):
  """A 16/32-bit integer or float image ("I;16", "I", "F") scaled to "L" by its type's range."""
  from PIL import Image
  a = np.asarray(img)
  if a.dtype.kind == "f":
    a = np.clip(a, 0.0, 1.0) * 255.0 if a.max() <= 1.0 else np.clip(a, 0, 255)
  else:
    a = a.astype(np.float64) * (255.0 / 65535.0) if a.max() > 255 or img.mode.startswith("I;16") \
        else a.astype(np.float64)
  return Image.fromarray(np.round(a).astype(np.uint8), "L")


def _convert(img, channels: int) -> tuple[object, list[str]]:
  """`img` as "RGB" (channels 3) or "L" (channels 1), and what was converted."""
  notes, mode = [], img.mode
  if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
    img = _to_8bit(img)
    notes.append(f"{mode}: high bit depth scaled to 8 bits")
    mode = "L"
  if mode == "P":
    has_alpha = "transparency" in img.info
    img = _on_white(img) if has_alpha else img.convert("RGB")
    notes.append("palette" + (" with transparency: composited on white" if has_alpha else ": to RGB"))
  elif mode in ("LA", "RGBA", "PA", "La", "RGBa"):
    img = _on_white(img)
    notes.append(f"{mode}: alpha composited on white")
  elif mode == "CMYK":
    img = img.convert("RGB")
    notes.append("CMYK: to RGB")
  elif mode not in ("L", "RGB"):
    img = img.convert("RGB")
    notes.append(f"{mode}: to RGB")
  if channels == 3 and img.mode != "RGB":
    img = img.convert("RGB")
    notes.append("grey: to RGB")
  elif channels == 1 and img.mode != "L":
    img = img.convert("L")  # ITU-R 601-2 luma
    notes.append("colour: to grey")
  return img, notes


def _square(img, resolution: int, transform: str):
  from PIL import Image
  w, h = img.size
  if transform == "center-crop":
    s = min(w, h)
    img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
  elif transform == "pad":
    s = max(w, h)
    canvas = Image.new(img.mode, (s, s), 0)
    canvas.paste(img, ((s - w) // 2, (s - h) // 2))
    img = canvas
  if img.size != (resolution, resolution):
    img = img.resize((resolution, resolution), Image.LANCZOS)
  return img


def too_small(size: tuple[int, int], resolution: int, transform: str) -> bool:
  """Whether an image of `size` (w, h) would be upscaled to reach R x R by `transform`."""
  side = max(size) if transform == "pad" else min(size)
  return side < resolution


def load_image(data: bytes, resolution: int, channels: int, transform: str, *,
               upscale: bool = False) -> Decoded:
  """The file's bytes decoded to uint8 [resolution, resolution, channels], or why not."""
  from PIL import Image, ImageOps
  sha1 = hashlib.sha1(data).hexdigest()
  if not data:
    return Decoded(None, "empty file (0 bytes)", sha1=sha1)
  try:
    img = Image.open(io.BytesIO(data))
    img.load()  # decodes the whole file: a truncated one fails here, not in training
    size, mode = img.size, img.mode
    img = ImageOps.exif_transpose(img)
  except Exception as e:  # noqa: BLE001 - Pillow raises many types for bad files; each is a skip
    return Decoded(None, f"corrupt or unreadable ({type(e).__name__}: {e})", sha1=sha1)
  notes = ["EXIF orientation applied"] if img.size != size or _orientation(data) else []
  if too_small(img.size, resolution, transform) and not upscale:
    return Decoded(None, f"smaller than the resolution ({img.size[0]}x{img.size[1]} < "
                   f"{resolution}); --upscale allows it", size=size, mode=mode, sha1=sha1)
  img, converted = _convert(img, channels)
  out = np.asarray(_square(img, resolution, transform), np.uint8)
  if out.ndim == 2:
    out = out[..., None]
  return Decoded(out, None, tuple(notes + converted), size, mode, sha1)


def _orientation(data: bytes) -> bool:
  """Whether the file has an EXIF orientation other than "normal" (1)."""
  from PIL import Image
  try:
    return Image.open(io.BytesIO(data)).getexif().get(0x0112, 1) != 1
  except Exception:  # noqa: BLE001
    return False
