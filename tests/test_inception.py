"""InceptionV3 for FID: ganjax's flax port against pytorch-fid's own model, and the weight loader.

The reference is pytorch-fid's InceptionV3 (resize_input=True, normalize_input=True) built by its
own code, with its URL loader replaced by one random state dict, so nothing downloads. `make test`
installs pytorch-fid and torchvision beside the venv (`make fid-reference`, see docs/metrics.md).
"""

import os
import subprocess
import sys
import types
from unittest import mock

import jax
import numpy as np
import pytest

from ganjax.errors import CheckpointError, DataFormatError
from ganjax.metrics import inception, inception_net

REFERENCE_DIR = os.environ.get("GANJAX_FID_REFERENCE_DIR",
                               os.path.join(sys.prefix, "fid-reference"))
# (H, W, C) of the test images: upsampling, identity, grey upsampling, non-square downsampling.
IMAGE_SHAPES = [(64, 64, 3), (299, 299, 3), (28, 28, 1), (333, 401, 3)]
IMAGES_PER_SHAPE = 3
TOLERANCE = 1e-4  # on max |ganjax - pytorch-fid| / max(1, max |pytorch-fid|)


def _import_pytorch_fid():
  """(pytorch_fid.inception, torch); a skip where they are missing, a failure under CI=true."""
  if os.path.isdir(REFERENCE_DIR) and REFERENCE_DIR not in sys.path:
    sys.path.insert(0, REFERENCE_DIR)
  try:
    import torch
    try:
      import torchvision  # noqa: F401
    except RuntimeError as e:
      # PyPI's torchvision is linked against torch's CUDA build: beside the CPU build its C++ ops
      # (nms, roi_align, ...) do not load and the modules registering their fake/autograd
      # kernels fail ("operator torchvision::nms does not exist"). InceptionV3 uses none of
      # those ops; skip only those two registration modules.
      if "torchvision::" not in str(e):
        raise
      for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
      for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
      import torchvision  # noqa: F401
    from pytorch_fid import inception as pytorch_fid_inception
  except ImportError as e:
    _unavailable(f"pytorch-fid reference not importable ({e}); install it with `make "
                 f"fid-reference` (into {REFERENCE_DIR}) and torch with `pip install torch==2.13.0`.")
  return pytorch_fid_inception, torch


def _unavailable(message: str):
  """A missing test dependency skips on a developer's machine but fails in CI (CI=true)."""
  if os.environ.get("CI", "").lower() == "true":
    pytest.fail(message)
  pytest.skip(message)


def _random_state_dict(seed: int = 0) -> dict[str, np.ndarray]:
  """One random FID-Inception state dict with non-trivial BatchNorm affine and running stats,
  scaled so activations stay O(1) through the 94 conv layers."""
  rng = np.random.default_rng(seed)
  state = {}
  for key, shape in inception.expected_state_dict_shapes().items():
    if key.endswith("conv.weight"):
      fan_in = np.prod(shape[1:])
      value = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    elif key.endswith("bn.weight"):
      value = rng.uniform(0.5, 1.5, shape)
    elif key.endswith("bn.bias"):
      value = rng.normal(0.0, 0.2, shape)
    elif key.endswith("running_mean"):
      value = rng.normal(0.0, 0.3, shape)
    elif key.endswith("running_var"):
      value = rng.uniform(0.5, 2.0, shape)
    elif key == "fc.weight":
      value = rng.normal(0, np.sqrt(1.0 / shape[1]), shape)
    else:  # fc.bias
      value = rng.normal(0, 0.1, shape)
    state[key] = value.astype(np.float32)
  return state


@pytest.fixture(scope="module")
def state_dict():
  return _random_state_dict()


@pytest.fixture(scope="module")
def weight_files(state_dict, tmp_path_factory):
  """The random state dict as a torch .pth and as the .npz the converter CLI makes of it."""
  try:
    import torch
  except ImportError:
    _unavailable("torch is needed to write the test's .pth file: pip install torch==2.13.0")
  directory = tmp_path_factory.mktemp("inception")
  pth, npz = str(directory / "weights.pth"), str(directory / "weights.npz")
  torch.save({k: torch.from_numpy(v) for k, v in state_dict.items()}, pth)
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(inception.__file__))))
  env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]))
  subprocess.run([sys.executable, "-m", "ganjax.metrics.inception", "--convert", pth, "--out", npz],
                 check=True, env=env, capture_output=True, timeout=300)
  return pth, npz


def _reference_feature_fn(pytorch_fid_inception, torch, state_dict):
  """pytorch-fid's model -> images uint8 [N, H, W, C] -> (pool3, logits of its fc), float32 numpy."""
  tensors = {k: torch.from_numpy(v) for k, v in state_dict.items()}
  with mock.patch.object(pytorch_fid_inception, "load_state_dict_from_url",
                         lambda *args, **kwargs: tensors):
    model = pytorch_fid_inception.InceptionV3([3]).eval()  # resize_input, normalize_input on
    fc = pytorch_fid_inception.fid_inception_v3().fc.eval()

  def features(images):
    with torch.no_grad():
      x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0  # ToTensor: [0, 1] NCHW
      if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)  # PIL's convert("RGB") in pytorch-fid's loader
      pool3 = model(x)[0].flatten(1)
      return pool3.numpy(), fc(pool3).numpy()

  return features


def _relative_error(ours, reference):
  return float(np.max(np.abs(ours - reference)) / max(1.0, float(np.max(np.abs(reference)))))


@pytest.fixture(scope="module")
def pytorch_fid_reference():
  return _import_pytorch_fid()


@pytest.mark.slow
def test_matches_pytorch_fid_on_one_random_state_dict(pytorch_fid_reference, state_dict,
                                                      weight_files):
  pytorch_fid_inception, torch = pytorch_fid_reference
  reference = _reference_feature_fn(pytorch_fid_inception, torch, state_dict)
  features = inception.inception_feature_fn(weight_files[1], batch_size=IMAGES_PER_SHAPE)
  rng = np.random.default_rng(1)
  for shape in IMAGE_SHAPES:
    images = rng.integers(0, 256, (IMAGES_PER_SHAPE, *shape), dtype=np.uint8)
    ref_pool3, ref_logits = reference(images)
    pool3, logits = features(images)
    assert pool3.shape == (IMAGES_PER_SHAPE, 2048) and logits.shape == (IMAGES_PER_SHAPE, 1008)
    assert pool3.dtype == logits.dtype == np.float32
    # The comparison means something only if the features are not degenerate.
    assert np.std(ref_pool3) > 0.05 and np.std(ref_logits) > 0.05, (shape, np.std(ref_pool3))
    assert _relative_error(pool3, ref_pool3) < TOLERANCE, (shape, _relative_error(pool3, ref_pool3))
    assert _relative_error(logits, ref_logits) < TOLERANCE, shape


def test_pth_and_converted_npz_load_the_same_arrays(state_dict, weight_files):
  from_pth = inception.load_inception_params(weight_files[0])
  from_npz = inception.load_inception_params(weight_files[1])
  a, b = jax.tree.leaves(from_pth), jax.tree.leaves(from_npz)
  assert len(a) == len(b) == len(state_dict)
  assert all(np.array_equal(x, y) for x, y in zip(a, b))
  # Torch layouts become flax ones: conv OIHW -> HWIO, linear [out, in] -> [in, out].
  conv = from_npz["params"]["Mixed_6b"]["branch7x7_2"]["conv"]["kernel"]
  np.testing.assert_array_equal(conv, state_dict["Mixed_6b.branch7x7_2.conv.weight"].transpose(2, 3, 1, 0))
  assert conv.shape == (1, 7, 128, 128)
  np.testing.assert_array_equal(from_npz["params"]["fc"]["kernel"], state_dict["fc.weight"].T)
  np.testing.assert_array_equal(from_npz["batch_stats"]["Mixed_7c"]["branch_pool"]["bn"]["var"],
                                state_dict["Mixed_7c.branch_pool.bn.running_var"])


def test_weight_path_errors_name_the_fix(tmp_path, monkeypatch):
  monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
  with pytest.raises(CheckpointError, match="--inception_weights=PATH or set GANJAX_INCEPTION"):
    inception.load_inception_params(None)
  missing = str(tmp_path / "nowhere.pth")
  monkeypatch.setenv(inception.WEIGHTS_ENV, missing)
  with pytest.raises(CheckpointError, match="nowhere.pth' not found.*pt_inception-2015-12-05"):
    inception.load_inception_params(None)


def test_wrong_state_dict_names_key_and_expected_shape(state_dict, tmp_path):
  broken = dict(state_dict)
  del broken["Mixed_5b.branch_pool.bn.running_mean"]
  broken["fc.weight"] = np.zeros((1000, 2048), np.float32)  # torchvision's ImageNet head
  broken["AuxLogits.fc.weight"] = np.zeros((1000, 768), np.float32)
  path = str(tmp_path / "broken.npz")
  np.savez(path, **broken)
  with pytest.raises(CheckpointError) as info:
    inception.load_inception_params(path)
  message = str(info.value)
  assert "missing Mixed_5b.branch_pool.bn.running_mean (expected shape (32,))" in message
  assert "fc.weight has shape (1000, 2048), expected (1008, 2048)" in message
  assert "unexpected key AuxLogits.fc.weight" in message


def test_images_out_of_range_are_refused():
  with pytest.raises(DataFormatError, match="to_uint8"):
    inception.check_images(np.full((2, 8, 8, 3), -1.0, np.float32))
  with pytest.raises(DataFormatError, match=r"C in \(1, 3\)"):
    inception.check_images(np.zeros((8, 8, 3), np.uint8))


def test_resize_matches_torch_bilinear_weights():
  """The taps of one 2 -> 5 upsampling, by hand: src = (dst + 0.5) * 2/5 - 0.5, clamped at 0."""
  i0, i1, w0, w1 = inception_net._linear_taps(2, 5)
  src = np.maximum((np.arange(5) + 0.5) * 0.4 - 0.5, 0)  # 0, 0.1, 0.5, 0.9, 1.3
  np.testing.assert_array_equal(i0, [0, 0, 0, 0, 1])
  np.testing.assert_array_equal(i1, [1, 1, 1, 1, 1])
  np.testing.assert_allclose(w1, [0, 0.1, 0.5, 0.9, 0.3], atol=1e-6)
  np.testing.assert_allclose(w0 + w1, 1, atol=1e-7)
  row = np.array([[10.0, 20.0]], np.float32)
  out = np.asarray(inception_net._resize_axis(row, 1, 5))[0]
  np.testing.assert_allclose(out, 10 + 10 * np.minimum(src, 1), atol=1e-5)
