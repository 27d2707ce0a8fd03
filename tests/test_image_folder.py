"""A user's folder of images (experiments/prepare_dataset.py): a folder of Fashion-MNIST images
in class subfolders, with mixed sizes and every bad file the trackers report planted (grey, LA,
RGBA, palette with transparency, CMYK, 16-bit, EXIF-rotated, truncated, empty, tiny, a duplicate,
a .txt, a .DS_Store, a file outside any class folder), is prepared with each handled and reported;
runs then train, resume and sample by the dataset's name; bad folders and options get one line."""

import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import run_script
from ganjax.data.image_files import load_image
from ganjax.data.image_folder import METADATA, plan_folder, write_folder
from ganjax.errors import ConfigError, DatasetNotFoundError

CLASSES = {"bag": 8, "shirt": 0, "trouser": 1}  # folder -> Fashion-MNIST label
PER_CLASS = 20
GOOD_EXTRA = ("grey.png", "la.png", "rgba.png", "palette.png", "cmyk.jpg", "deep.png", "rotated.jpg")
SKIPPED = {"shirt/truncated.png": "corrupt", "shirt/empty.png": "empty file",
           "shirt/notes.txt": "not an image file", "shirt/.DS_Store": "hidden file",
           "shirt/tiny.png": "smaller than the resolution", "stray.png": "not in a class subfolder"}


def _garments():
  from ganjax.data.idx import find_idx_file, read_idx
  d = "/usr/share/datasets/fashion-mnist"
  return read_idx(find_idx_file(d, "t10k-images-idx3-ubyte")), read_idx(find_idx_file(d, "t10k-labels-idx1-ubyte"))


def _png(img: Image.Image, **kw) -> bytes:
  buf = io.BytesIO()
  img.save(buf, format=kw.pop("format", "PNG"), **kw)
  return buf.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
  root = tmp_path_factory.mktemp("user_images")
  images, labels = _garments()
  for name, label in CLASSES.items():
    os.makedirs(root / name)
    for i, k in enumerate(np.flatnonzero(labels == label)[:PER_CLASS]):
      size = (40, 40) if i % 2 else (48, 36)  # mixed sizes and aspect ratios
      rgb = Image.fromarray(images[k]).convert("RGB").resize(size, Image.BILINEAR)
      (root / name / f"{i:03d}.png").write_bytes(_png(rgb))
  base = Image.fromarray(images[np.flatnonzero(labels == 0)[30]]).resize((40, 40))
  shirt = root / "shirt"
  (shirt / "grey.png").write_bytes(_png(base))
  (shirt / "la.png").write_bytes(_png(Image.merge("LA", (base, Image.new("L", (40, 40), 255)))))
  rgba = base.convert("RGBA")
  rgba.putalpha(Image.fromarray(np.where(np.arange(40)[None, :] < 20, 0, 255).astype(np.uint8).repeat(40, 0)))
  (shirt / "rgba.png").write_bytes(_png(rgba))  # the left half transparent: white after compositing
  pal = base.convert("P")
  (shirt / "palette.png").write_bytes(_png(pal, transparency=0))
  (shirt / "cmyk.jpg").write_bytes(_png(base.convert("RGB").convert("CMYK"), format="JPEG"))
  (shirt / "deep.png").write_bytes(_png(Image.fromarray(np.asarray(base, np.uint16) * 257)))
  # Stored 60 wide x 40 high, top rows white; EXIF orientation 6 says "rotate 90 degrees clockwise
  # to view": seen, it is 40 wide x 60 high with the white on the right.
  marker = np.zeros((40, 60), np.uint8)
  marker[:20] = 255
  exif = Image.Exif()
  exif[0x0112] = 6
  (shirt / "rotated.jpg").write_bytes(_png(Image.fromarray(marker).convert("RGB"), format="JPEG",
                                           exif=exif.tobytes(), quality=95))
  good = (shirt / "000.png").read_bytes()
  (shirt / "truncated.png").write_bytes(good[:len(good) // 2])
  (shirt / "empty.png").write_bytes(b"")
  (shirt / "notes.txt").write_text("labels are folder names\n")
  (shirt / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
  (shirt / "tiny.png").write_bytes(_png(base.resize((10, 10))))
  (shirt / "copy_of_000.png").write_bytes(good)  # an exact duplicate
  (root / "stray.png").write_bytes(good)
  return str(root)


def test_every_planted_file_is_converted_skipped_or_dropped_and_reported(folder):
  plan = plan_folder(folder, resolution=32, channels=3, labels="subfolders", test_fraction=0.25)
  assert plan.class_names == tuple(sorted(CLASSES))
  assert plan.per_class == {"bag": PER_CLASS, "shirt": PER_CLASS + len(GOOD_EXTRA), "trouser": PER_CLASS}
  skipped = dict(plan.skipped)
  assert set(skipped) == set(SKIPPED), skipped
  for path, why in SKIPPED.items():
    assert why in skipped[path], (path, skipped[path])
  assert plan.duplicates == 1
  for what in ("RGBA: alpha composited on white", "LA: alpha composited on white",
               "palette with transparency: composited on white", "CMYK: to RGB",
               "I;16: high bit depth scaled to 8 bits", "grey: to RGB", "EXIF orientation applied"):
    assert plan.converted[what] >= 1, (what, plan.converted)
  # Each class split 75 / 25, by path hash: the test split has a quarter of each class.
  test_labels = np.bincount([label for _, label in plan.splits["test"]], minlength=3)
  np.testing.assert_array_equal(test_labels, [5, 7, 5])
  summary = plan.summary()
  assert "67 images accepted (train 50, test 17), 6 files skipped, 1 exact duplicates dropped" in summary, summary
  assert "skipped: shirt/truncated.png: corrupt" in summary


def test_pixels_after_alpha_exif_and_bit_depth(folder):
  read = lambda name, **kw: load_image(open(os.path.join(folder, "shirt", name), "rb").read(), 32,
                                       kw.pop("channels", 3), "center-crop", **kw)
  rgba = read("rgba.png").image
  assert rgba.shape == (32, 32, 3) and rgba.dtype == np.uint8
  assert rgba[:, :14].min() == 255  # transparent half: white, not black
  rotated = read("rotated.jpg").image  # viewed: white on the right half of a 40x60 (cropped 40x40)
  assert rotated[:, 24:].mean() > 200 and rotated[:, :8].mean() < 50, rotated.mean(axis=(0, 2))
  deep, grey = read("deep.png", channels=1).image, read("grey.png", channels=1).image
  assert deep.shape == (32, 32, 1)
  assert np.abs(deep.astype(int) - grey.astype(int)).max() <= 1  # 16-bit scaled, not clipped
  assert read("tiny.png", upscale=True).image.shape == (32, 32, 3)


def test_stylegan2_auto_sizes_itself_as_stylegan2_ada_does():
  """experiments/configs/stylegan2.py's rules against StyleGAN2-ADA's cfg 'auto' by hand."""
  from experiments.configs.stylegan2 import auto_hyperparameters
  hp = auto_hyperparameters(256)  # mb = min(4096 // 256, 32) = 16
  assert (hp["batch_size"], hp["mbstd_group"], hp["channel_base"], hp["learning_rate"]) == (16, 4, 16384, 0.0025)
  assert hp["r1_gamma"] == pytest.approx(0.0002 * 256 ** 2 / 16)  # 0.8192
  assert hp["ema_half_life_kimg"] == 5.0 and hp["ema_decay"] == pytest.approx(0.5 ** (16 / 5000))
  assert auto_hyperparameters(64)["batch_size"] == 32 and auto_hyperparameters(64)["r1_gamma"] == pytest.approx(0.0256)
  big = auto_hyperparameters(1024)
  assert (big["batch_size"], big["channel_base"], big["learning_rate"]) == (4, 32768, 0.002)
  assert auto_hyperparameters(64, devices=8)["batch_size"] == 64  # 8 * 32, capped at 64


def test_bad_folders_and_options_get_one_line_naming_the_fix(folder, tmp_path):
  with pytest.raises(DatasetNotFoundError, match="no such directory"):
    plan_folder(str(tmp_path / "absent"), resolution=32)
  os.makedirs(tmp_path / "empty")
  (tmp_path / "empty" / "a.txt").write_text("x")
  with pytest.raises(ConfigError, match=r"no image files found .* 1 other files"):
    plan_folder(str(tmp_path / "empty"), resolution=32)
  one = tmp_path / "one"
  shutil.copytree(os.path.join(folder, "bag"), one / "bag")
  with pytest.raises(ConfigError, match="found one class .* use --labels=none"):
    plan_folder(str(one), resolution=32)
  assert sum(map(len, plan_folder(str(one), resolution=32, labels="none").splits.values())) == PER_CLASS
  with pytest.raises(ConfigError, match=r"shirt/\.DS_Store|--strict refuses"):
    plan_folder(folder, resolution=32, strict=True)
  with pytest.raises(ConfigError, match="--transform='zoom': one of center-crop, pad, resize"):
    plan_folder(folder, resolution=32, transform="zoom")


@pytest.mark.slow
def test_prepared_folder_trains_resumes_and_samples_by_name(folder, tmp_path, monkeypatch):
  import jax
  from ganjax.train.experiment import build_experiment
  from ganjax.train.loop import train_and_evaluate
  from ganjax.train.restore import restore_run
  data_dir = str(tmp_path / "tfds")
  r = run_script(["experiments/prepare_dataset.py", f"--source={folder}", "--name=my_garments",
                  "--resolution=32", "--test_fraction=0.25", f"--data_dir={data_dir}"])
  assert r.returncode == 0, r.stderr[-3000:]
  assert "67 images accepted" in r.stdout and "prepared in" in r.stdout, r.stdout
  with open(os.path.join(data_dir, "folder_images", "my_garments", METADATA)) as f:
    meta = json.load(f)
  assert meta["splits"] == {"train": 50, "test": 17} and meta["class_names"] == sorted(CLASSES)
  # The same folder and options again: nothing to do; other options: refused without --overwrite.
  plan = plan_folder(folder, resolution=32, test_fraction=0.25)
  assert write_folder(plan, "my_garments", data_dir) == os.path.dirname(f.name)
  with pytest.raises(ConfigError, match="pass --overwrite"):
    write_folder(plan_folder(folder, resolution=16, test_fraction=0.25), "my_garments", data_dir)
  # A preparation that died before its last write leaves no metadata: no run reads the dataset,
  # and preparing again starts it afresh.
  from ganjax.data.sources import dataset_spec
  os.remove(f.name)
  with pytest.raises(ConfigError, match="prepare_dataset.py --source=DIR --name=my_garments"):
    dataset_spec("my_garments", data_dir)
  write_folder(plan, "my_garments", data_dir)
  assert dataset_spec("my_garments", data_dir).shape == (32, 32, 3)

  from experiments.configs import cgan_fashion_mnist
  cfg = cgan_fashion_mnist.get_config()
  cfg.dataset.name, cfg.dataset.data_dir = "my_garments", data_dir
  cfg.batch_size, cfg.num_train_steps, cfg.checkpoint_every, cfg.sample_every = 8, 4, 2, 4
  cfg.log_every, cfg.eval_every = 2, 0
  workdir = str(tmp_path / "run")
  straight = train_and_evaluate(cfg, str(tmp_path / "straight"))
  cfg.num_train_steps = 2
  train_and_evaluate(cfg, workdir)
  cfg.num_train_steps = 4
  resumed = train_and_evaluate(cfg, workdir)
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(resumed), jax.device_get(straight))
  exp, state = restore_run(workdir)
  images = exp.sample(state, jax.random.key(0), 3, cond={"label": np.array([0, 1, 2])})
  assert images.shape == (3, 32, 32, 3)
  assert os.path.isfile(os.path.join(workdir, "samples", "step_0000004.png"))
  # StyleGAN2 sized from the prepared folder (32 px) by --config=experiments/configs/stylegan2.py:NAME
  from experiments.configs import stylegan2
  with monkeypatch.context() as m:
    m.setenv("TFDS_DATA_DIR", data_dir)
    sg2 = stylegan2.get_config("my_garments")
  assert (sg2.batch_size, sg2.regularizers.r1.weight, sg2.model.channel_base) == (32, pytest.approx(0.0064), 16384)
  sg2.dataset.data_dir = data_dir
  sg2.model.update(dict(channel_base=256, channel_max=32))  # built, not compiled
  assert build_experiment(sg2).data_shape == (32, 32, 3)
  with pytest.raises(ConfigError, match="prepare_dataset.py --source=DIR --name=not_prepared"):
    cfg.dataset.name = "not_prepared"
    build_experiment(cfg)
