"""Config checks that run before any data is read or anything is compiled."""

from __future__ import annotations

import inspect
import os

from ganjax.objectives.augment import validate_augment
from ganjax.backends import CONV_KERNELS, LAYER_CHOICES
from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, load_builtin
from ganjax.runtime.host_memory import HOST_MEMORY_MODES
from ganjax.objectives.losses import LOSSES
from ganjax.metrics.eval_config import check_eval_config
from ganjax.objectives import G_OBJECTIVES
from ganjax.optimizers import OPTIMIZERS
from ganjax.runtime.parallel import PARALLELISM, PMAP_IMPLS
from ganjax.objectives.regularizers import check_regularizers
from ganjax.runtime import DEFAULTS as RUNTIME_DEFAULTS, runtime_of
from ganjax.runtime.xla_options import CPU_SCHEDULERS

REQUIRED = ("seed", "batch_size", "num_train_steps", "dataset", "model", "optimizers")
# Fields of the layout before the family core, and where they went.
MOVED = {"objective": "the family defines its objective (config.model.name picks the family)",
         "g_optimizer": "config.optimizers.g", "d_optimizer": "config.optimizers.d",
         **{f: f"config.runtime.{f}" for f in RUNTIME_DEFAULTS}}


def _positive_int(config, field: str, minimum: int = 1, prefix: str = "config") -> None:
  value = config.get(field)
  if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
    raise ConfigError(f"{prefix}.{field} must be an integer >= {minimum}, got {value!r}; "
                      f"set --{prefix}.{field}=N.")


def _one_of(value, choices, field: str) -> None:
  if value not in choices:
    raise ConfigError(f"{field} must be one of {list(choices)}, got {value!r}.")


def validate_runtime(config) -> None:
  """ConfigError for the first bad field of config.runtime (ganjax/runtime/__init__.py)."""
  given = config.get("runtime", None) or {}
  unknown = sorted(set(given) - set(RUNTIME_DEFAULTS))
  if unknown:
    raise ConfigError(f"config.runtime has unknown field(s) {unknown}; valid: {sorted(RUNTIME_DEFAULTS)}.")
  rt = runtime_of(config)
  for field in ("steps_per_dispatch", "model_parallel"):
    _positive_int(rt, field, prefix="config.runtime")
  for field in ("prefetch", "num_devices"):
    _positive_int(rt, field, minimum=0, prefix="config.runtime")
  _one_of(rt.layers, LAYER_CHOICES, "config.runtime.layers")
  _one_of(rt.conv_kernels, CONV_KERNELS, "config.runtime.conv_kernels")
  _one_of(rt.parallelism, PARALLELISM, "config.runtime.parallelism")
  _one_of(rt.pmap_impl, PMAP_IMPLS, "config.runtime.pmap_impl")
  _one_of(rt.xla_cpu_scheduler, sorted(CPU_SCHEDULERS), "config.runtime.xla_cpu_scheduler")
  _one_of(rt.host_memory, HOST_MEMORY_MODES, "config.runtime.host_memory")
  if rt.steps_per_dispatch > 1 and rt.parallelism == "pmap" and rt.pmap_impl == "jax_pmap":
    raise ConfigError("config.runtime.steps_per_dispatch > 1 needs a jitted step; with "
                      "parallelism='pmap' use pmap_impl='shard_map'.")
  if rt.fsdp and rt.parallelism != "jit":
    raise ConfigError("config.runtime.fsdp=True needs config.runtime.parallelism='jit' (shard_map "
                      "mode replicates the state).")


def validate_config(config, workdir: str | None = None) -> None:
  """Raises ConfigError naming the field and the fix for the first problem found."""
  moved = [f for f in MOVED if f in config]
  if moved:
    raise ConfigError("config uses fields of the layout before the family core: "
                      + "; ".join(f"config.{f} -> {MOVED[f]}" for f in moved)
                      + ". Start from experiments/configs/*.py.")
  missing = [f for f in REQUIRED if f not in config]
  if missing:
    raise ConfigError(f"config lacks {', '.join(missing)}; start from experiments/configs/*.py.")
  _positive_int(config, "batch_size")
  _positive_int(config, "num_train_steps", minimum=0)
  for field in ("d_steps", "log_every", "keep_checkpoints"):
    if field in config:
      _positive_int(config, field)
  for field in ("sample_every", "checkpoint_every"):
    if field in config:
      _positive_int(config, field, minimum=0)
  validate_runtime(config)
  spec = dataset_spec(config.dataset.name, config.dataset.get("data_dir"))
  balanced = config.dataset.get("class_balanced", False)
  if not isinstance(balanced, bool):
    raise ConfigError(f"config.dataset.class_balanced must be True or False, got {balanced!r}.")
  if balanced and spec.num_classes < 2:
    raise ConfigError(f"config.dataset.class_balanced needs a labelled dataset; "
                      f"{config.dataset.name!r} has {spec.num_classes} class(es).")
  load_builtin()
  FAMILIES.get(config.model.name)
  if not isinstance(config.model.get("spectral_norm", False), bool):
    raise ConfigError(f"config.model.spectral_norm must be True or False, got "
                      f"{config.model.spectral_norm!r}.")
  check_regularizers(config.get("regularizers", None))
  if "loss" in config:
    _check_kwargs(LOSSES.get(config.loss), dict(config.get("loss_kwargs", {})), "loss_kwargs")
  G_OBJECTIVES.get(config.get("g_objective", "adversarial"))
  validate_augment(config.get("augment", None) or {})
  optimizers = config.optimizers
  if not hasattr(optimizers, "items"):
    raise ConfigError(f"config.optimizers must map player names to optimizer configs, e.g. "
                      f"{{'g': {{'name': 'adam', 'learning_rate': 2e-4}}}}; got {optimizers!r}.")
  for player, opt in optimizers.items():
    OPTIMIZERS.get(opt.name)
    lr = opt.get("learning_rate")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
      raise ConfigError(f"config.optimizers.{player}.learning_rate must be > 0, got {lr!r}.")
  decay = config.get("ema_decay", 0.999)
  if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
    raise ConfigError(f"config.ema_decay must be in [0, 1), got {config.ema_decay!r}.")
  check_eval_config(config)
  if workdir is not None:
    _check_writable(workdir)


def _check_kwargs(fn, kwargs: dict, field: str) -> None:
  params = inspect.signature(fn).parameters
  allowed = [n for n, p in params.items() if p.default is not inspect.Parameter.empty]
  unknown = sorted(set(kwargs) - set(allowed))
  if unknown:
    raise ConfigError(f"config.{field} has unknown option(s) {unknown}; {fn.__name__} takes "
                      f"{allowed or 'no options'}.")


def _check_writable(workdir: str) -> None:
  try:
    os.makedirs(workdir, exist_ok=True)
    # One probe per process: processes of a multi-host run validate the same workdir at once.
    probe = os.path.join(workdir, f".ganjax_write_probe.{os.getpid()}")
    with open(probe, "w") as f:
      f.write("ok")
    os.remove(probe)
  except OSError as e:
    raise ConfigError(f"workdir {workdir!r} is not writable ({e.strerror}); pass a --workdir you "
                      f"can write to.") from None
