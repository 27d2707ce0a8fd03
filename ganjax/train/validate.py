"""Config checks that run before any data is read or anything is compiled."""

from __future__ import annotations

import inspect
import os

from ganjax.augment import validate_augment
from ganjax.data.sources import DATASETS
from ganjax.errors import ConfigError
from ganjax.losses import LOSSES
from ganjax.metrics.eval_config import check_eval_config
from ganjax.models import MODELS
from ganjax.objectives import G_OBJECTIVES, OBJECTIVES
from ganjax.optimizers import OPTIMIZERS
from ganjax.parallel import PARALLELISM, PMAP_IMPLS
from ganjax.regularizers import check_regularizers
from ganjax.host_memory import HOST_MEMORY_MODES
from ganjax.xla_options import CPU_SCHEDULERS, DEFAULT_CPU_SCHEDULER

REQUIRED = ("seed", "batch_size", "num_train_steps", "dataset", "model", "loss", "objective",
            "g_optimizer", "d_optimizer")


def _positive_int(config, field: str, minimum: int = 1) -> None:
  value = config.get(field)
  if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
    raise ConfigError(f"config.{field} must be an integer >= {minimum}, got {value!r}; "
                      f"set --config.{field}=N.")


def validate_config(config, workdir: str | None = None) -> None:
  """Raises ConfigError naming the field and the fix for the first problem found."""
  missing = [f for f in REQUIRED if f not in config]
  if missing:
    raise ConfigError(f"config lacks {', '.join(missing)}; start from experiments/configs/*.py.")
  _positive_int(config, "batch_size")
  _positive_int(config, "num_train_steps", minimum=0)
  for field in ("d_steps", "log_every", "keep_checkpoints", "steps_per_dispatch"):
    if field in config:
      _positive_int(config, field)
  for field in ("sample_every", "checkpoint_every", "prefetch"):
    if field in config:
      _positive_int(config, field, minimum=0)
  if config.get("parallelism", "jit") not in PARALLELISM:
    raise ConfigError(f"config.parallelism must be one of {PARALLELISM}, got {config.parallelism!r}.")
  if config.get("pmap_impl", "shard_map") not in PMAP_IMPLS:
    raise ConfigError(f"config.pmap_impl must be one of {PMAP_IMPLS}, got {config.pmap_impl!r}.")
  if config.get("steps_per_dispatch", 1) > 1 and config.get("parallelism", "jit") == "pmap" and \
      config.get("pmap_impl", "shard_map") == "jax_pmap":
    raise ConfigError("config.steps_per_dispatch > 1 needs a jitted step; with parallelism='pmap' "
                      "use pmap_impl='shard_map'.")
  if config.get("fsdp", False) and config.get("parallelism", "jit") != "jit":
    raise ConfigError("config.fsdp=True needs config.parallelism='jit' (shard_map mode replicates the state).")
  if config.get("xla_cpu_scheduler", DEFAULT_CPU_SCHEDULER) not in CPU_SCHEDULERS:
    raise ConfigError(f"config.xla_cpu_scheduler must be one of {sorted(CPU_SCHEDULERS)}, got "
                      f"{config.xla_cpu_scheduler!r}.")
  if config.get("host_memory", "retain") not in HOST_MEMORY_MODES:
    raise ConfigError(f"config.host_memory must be one of {list(HOST_MEMORY_MODES)}, got "
                      f"{config.host_memory!r}.")
  DATASETS.get(config.dataset.name)
  MODELS.get(config.model.name)
  if not isinstance(config.model.get("spectral_norm", False), bool):
    raise ConfigError(f"config.model.spectral_norm must be True or False, got "
                      f"{config.model.spectral_norm!r}.")
  check_regularizers(config.get("regularizers", None))
  _check_kwargs(LOSSES.get(config.loss), dict(config.get("loss_kwargs", {})), "loss_kwargs")
  OBJECTIVES.get(config.objective)
  G_OBJECTIVES.get(config.get("g_objective", "adversarial"))
  validate_augment(config.get("augment", None) or {})
  for side in ("g_optimizer", "d_optimizer"):
    OPTIMIZERS.get(config[side].name)
    lr = config[side].get("learning_rate")
    if not isinstance(lr, (int, float)) or not lr > 0:
      raise ConfigError(f"config.{side}.learning_rate must be > 0, got {lr!r}.")
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
