r"""Prepares a folder (or .zip) of your own images as a dataset every ganjax tool reads by name.

  python experiments/prepare_dataset.py --source=~/photos --name=photos --resolution=64
  python experiments/train.py --config=experiments/configs/dcgan_fashion_mnist.py \
      --workdir=runs/photos --config.dataset.name=photos

--labels=subfolders (default) takes the class from each file's first-level folder (DIR/CLASS/FILE,
torchvision's ImageFolder); --labels=none reads every image below DIR as one set. Every file is
decoded first: grey, alpha, palette, CMYK and 16-bit files are converted to --channels, corrupt,
empty and non-image files are listed and skipped (--strict refuses them), images smaller than
--resolution are skipped unless --upscale, exact duplicates are dropped; the summary prints before
anything is written. The dataset goes under --data_dir (default $TFDS_DATA_DIR or
~/tensorflow_datasets) as folder_images/NAME, with ganjax_dataset.json (source, options, counts,
what was skipped, a fingerprint of the inputs). docs/datasets.md, "Your own images".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import tqdm  # noqa: E402

from ganjax.data import image_files  # noqa: E402
from ganjax.data.image_folder import LABEL_MODES, plan_folder, write_folder  # noqa: E402
from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402

_SOURCE = flags.DEFINE_string("source", None, "A directory of images, or a .zip of them.")
_NAME = flags.DEFINE_string("name", None, "The dataset's name (--config.dataset.name=NAME).")
_RESOLUTION = flags.DEFINE_integer("resolution", None, "Pixels per side of every image written.")
_CHANNELS = flags.DEFINE_enum("channels", "3", ["1", "3"], "1 = grey, 3 = RGB.")
_TRANSFORM = flags.DEFINE_enum("transform", "center-crop", list(image_files.TRANSFORMS),
                               "How a non-square image becomes square.")
_LABELS = flags.DEFINE_enum("labels", "subfolders", list(LABEL_MODES),
                            "Classes from first-level subfolders, or none.")
_TEST = flags.DEFINE_float("test_fraction", 0.1, "Share of each class held out as the test split.")
_MAX = flags.DEFINE_integer("max_images", None, "Read at most this many image files.")
_UPSCALE = flags.DEFINE_bool("upscale", False, "Accept images smaller than --resolution.")
_STRICT = flags.DEFINE_bool("strict", False, "Refuse the folder if any file is bad.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace a dataset of that name made otherwise.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tfds data dir (default $TFDS_DATA_DIR or "
                                "~/tensorflow_datasets); runs then need --config.dataset.data_dir.")
flags.mark_flags_as_required(["source", "name", "resolution"])


def main(argv):
  del argv
  quiet_library_logs()
  try:
    plan = plan_folder(os.path.expanduser(_SOURCE.value), resolution=_RESOLUTION.value,
                       channels=int(_CHANNELS.value), transform=_TRANSFORM.value,
                       labels=_LABELS.value, test_fraction=_TEST.value, max_images=_MAX.value,
                       upscale=_UPSCALE.value, strict=_STRICT.value,
                       progress=lambda names: tqdm.tqdm(names, unit="image", desc="reading"))
    print(plan.summary(), flush=True)
    root = write_folder(plan, _NAME.value, _DATA_DIR.value, overwrite=_OVERWRITE.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  print(f"{_NAME.value}: prepared in {root}; train with --config.dataset.name={_NAME.value}"
        + (f" --config.dataset.data_dir={_DATA_DIR.value}" if _DATA_DIR.value else ""))


if __name__ == "__main__":
  app.run(main)
