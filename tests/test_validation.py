"""Bad configs fail with a message naming the problem and the fix, before anything compiles."""

import jax
import pytest

from ganjax.errors import ConfigError, DatasetNotFoundError
from ganjax.train.loop import train_and_evaluate


@pytest.fixture
def no_compile(monkeypatch):
  """Fails the test if anything is jitted: errors must come before compilation."""
  def forbidden(*args, **kwargs):
    raise AssertionError("jax.jit was called before the config error was raised")
  monkeypatch.setattr(jax, "jit", forbidden)


@pytest.mark.parametrize("field, value, message", [
    ("optimizers.g.name", "adamm", r"Unknown optimizer 'adamm'. Valid optimizer names: adam, adamw, rmsprop, sgd"),
    ("model.name", "dcganx", r"Unknown model family 'dcganx'. Valid model family names: .*dcgan.*mlp"),
    ("loss", "nonsaturating", r"Unknown loss 'nonsaturating'. Valid loss names: .*non_saturating"),
    ("dataset.name", "cifar", r"Unknown dataset 'cifar'. Valid dataset names: .*fashion_mnist"),
    ("batch_size", 0, r"config.batch_size must be an integer >= 1, got 0"),
    ("batch_size", -32, r"config.batch_size must be an integer >= 1, got -32"),
    ("optimizers.d.learning_rate", 0.0, r"config.optimizers.d.learning_rate must be > 0"),
    ("runtime.xla_cpu_scheduler", "fastest",
     r"config.runtime.xla_cpu_scheduler must be one of \['default', 'memory_optimized'\], got 'fastest'"),
    ("runtime.host_memory", "jemalloc",
     r"config.runtime.host_memory must be one of \['retain', 'system'\], got 'jemalloc'"),
])
def test_bad_config_fails_before_compiling(digits_config, tmp_path, no_compile, field, value, message):
  cfg = digits_config
  parent, _, leaf = field.rpartition(".")
  (cfg[parent] if parent else cfg)[leaf] = value
  with pytest.raises(ConfigError, match=message):
    train_and_evaluate(cfg, str(tmp_path))


@pytest.mark.parametrize("field, value, message", [
    ("g_optimizer", {"name": "adam", "learning_rate": 1e-3}, r"config.g_optimizer -> config.optimizers.g"),
    ("d_optimizer", {"name": "adam", "learning_rate": 1e-3}, r"config.d_optimizer -> config.optimizers.d"),
    ("parallelism", "pmap", r"config.parallelism -> config.runtime.parallelism"),
    ("conv_kernels", "xla", r"config.conv_kernels -> config.runtime.conv_kernels"),
    ("objective", "unconditional", r"config.objective -> the family defines its objective"),
])
def test_old_layout_field_fails_naming_its_new_place(digits_config, tmp_path, no_compile, field,
                                                     value, message):
  digits_config[field] = value
  with pytest.raises(ConfigError, match=message):
    train_and_evaluate(digits_config, str(tmp_path))


def test_missing_dataset_fails_before_compiling(digits_config, tmp_path, no_compile):
  cfg = digits_config
  cfg.dataset.name = "fashion_mnist"
  cfg.dataset.source_dir = str(tmp_path / "no_such_dir")
  cfg.dataset.data_dir = str(tmp_path / "tfds")
  with pytest.raises(DatasetNotFoundError, match=r"apt-get install dataset-fashion-mnist"):
    train_and_evaluate(cfg, str(tmp_path / "wd"))


def test_unwritable_workdir(digits_config, tmp_path, no_compile):
  blocker = tmp_path / "file"
  blocker.write_text("not a directory")
  with pytest.raises(ConfigError, match="not writable"):
    train_and_evaluate(digits_config, str(blocker / "wd"))


def test_batch_not_divisible_by_device_count_fails_before_compiling():
  from conftest import run_script
  code = ("from experiments.configs import dcgan_digits\n"
          "from ganjax.train.experiment import build_experiment\n"
          "c = dcgan_digits.get_config(); c.batch_size = 12\n"
          "build_experiment(c)\n")
  r = run_script(["-c", code], env={"XLA_FLAGS": "--xla_force_host_platform_device_count=8",
                                    "JAX_PLATFORMS": "cpu"})
  assert r.returncode != 0
  assert "batch_size=12 must be divisible by the device count (8)" in r.stderr


def test_unknown_loss_option_is_named(digits_config, tmp_path, no_compile):
  digits_config.loss = "hinge"
  digits_config.loss_kwargs = {"label_smoothing": 0.1}
  with pytest.raises(ConfigError, match=r"unknown option\(s\) \['label_smoothing'\]; hinge takes no options"):
    train_and_evaluate(digits_config, str(tmp_path))


@pytest.mark.parametrize("loss", ["hinge", "relativistic_average"])
def test_every_loss_trains_from_config(digits_config, tmp_path, loss):
  digits_config.loss = loss
  digits_config.num_train_steps = 2
  state = train_and_evaluate(digits_config, str(tmp_path))
  assert int(state.step) == 2 and int(state.extras["nonfinite"]["total"]) == 0
