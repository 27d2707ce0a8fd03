"""Everything a config builds before training: data spec, layer set, family (networks, players,
objective), optimizers, mesh, and the jitted init / train / sample functions placed on that mesh."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Mapping

import jax
import optax

from ganjax.runtime import parallel, xla_options
from ganjax.backends import layer_set
from ganjax.core.capabilities import Conditioned, cond_fields, require
from ganjax.core.phases import Family
from ganjax.core.state import GANState
from ganjax.data.sources import DatasetSpec, dataset_spec
from ganjax.errors import ConfigError
from ganjax.families import BuildContext, build_family
from ganjax.objectives.samplers import check_cond
from ganjax.optimizers import build_optimizer
from ganjax.runtime import runtime_of
from ganjax.train import dispatch
from ganjax.train.init import init_state
from ganjax.train.step import make_train_step
from ganjax.train.validate import validate_config
from ganjax.inference.translation import is_translator


@dataclasses.dataclass
class Experiment:
  config: Any
  spec: DatasetSpec
  family: Family
  optimizers: Mapping[str, optax.GradientTransformation]
  mesh: jax.sharding.Mesh

  @property
  def runtime(self):
    return runtime_of(self.config)

  @property
  def objective(self):
    return self.family.objective

  @property
  def data_shape(self) -> tuple[int, ...]:
    return tuple(self.spec.shape)

  @property
  def batch_sharding(self):
    return parallel.batch_sharding(self.mesh)

  @property
  def parallelism(self) -> str:
    return self.runtime.parallelism

  @functools.cached_property
  def state_sharding(self):
    return parallel.state_shardings(self.abstract_state(sharded=False), self.mesh,
                                    fsdp=self.runtime.fsdp)

  def abstract_state(self, sharded: bool = True) -> GANState:
    """ShapeDtypeStructs of the state (with shardings when `sharded`), without computing it."""
    shapes = jax.eval_shape(self._create, jax.random.PRNGKey(0))
    if not sharded:
      return shapes
    return jax.tree.map(lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh),
                        shapes, self.state_sharding)

  def _create(self, key: jax.Array) -> GANState:
    return init_state(self.family, self.optimizers, key, self.objective.techniques)

  @functools.cached_property
  def compiler_options(self) -> dict | None:
    """XLA options for every function compiled here (ganjax/runtime/xla_options.py)."""
    rt = self.runtime
    return xla_options.compiler_options(self.mesh.devices.flat[0].platform,
                                        ynnpack=rt.xla_cpu_ynnpack, scheduler=rt.xla_cpu_scheduler)

  def init_state(self) -> GANState:
    key = jax.random.PRNGKey(self.config.seed)
    return jax.jit(self._create, out_shardings=self.state_sharding,
                   compiler_options=self.compiler_options)(key)

  @functools.cached_property
  def train_step(self) -> Callable[[GANState, dict], tuple[GANState, dict]]:
    """jit(train_step) with the state donated; batch sharded over `data`. In "pmap" mode the
    same step runs per device under shard_map with explicit pmeans."""
    if self.parallelism == "pmap" and self.runtime.pmap_impl == "jax_pmap":
      return parallel.jax_pmap_step(self._step, self.mesh, self.state_sharding)
    return self._jit(self._step)

  @functools.cached_property
  def train_steps(self) -> Callable[[GANState, dict], tuple[GANState, dict]]:
    """Like `train_step` over a block of batches [k, B, ...]: k steps in one dispatch under
    `lax.scan`, returning the last step's metrics (runtime.steps_per_dispatch; dispatch.py)."""
    return self._jit(dispatch.scan_steps(self._step))

  def _jit(self, step):
    return jax.jit(step, donate_argnums=0,
                   out_shardings=(self.state_sharding, parallel.replicated(self.mesh)),
                   compiler_options=self.compiler_options)

  @functools.cached_property
  def _step(self):
    """The pure step (under shard_map in pmap mode), before jit."""
    axis = parallel.DATA_AXIS if self.parallelism == "pmap" else None
    step = make_train_step(self.objective.phases, self.optimizers,
                           ema_decay=self.config.get("ema_decay", 0.999),
                           max_bad_steps=self.config.get("max_bad_steps", 20), axis_name=axis,
                           techniques=self.objective.techniques)
    if axis is not None and self.runtime.pmap_impl != "jax_pmap":
      step = parallel.shard_map_step(step, self.mesh)
    return step

  @functools.cached_property
  def _sample(self):
    return jax.jit(self.objective.sample, static_argnums=2, static_argnames="ema",
                   compiler_options=self.compiler_options)

  def sample(self, state: GANState, key: jax.Array, num: int, *, ema: bool = True,
             fix: dict | None = None, truncation: float | None = None,
             cond: dict | None = None) -> jax.Array:
    """num samples [num, *data_shape] float32 (images in [-1, 1]) from the family's sampler.

    cond: {batch field: model-batch array [num, *field shape] (or a scalar label)}, the data the
    samples are conditioned on (labels, a low-resolution image, token ids, a source image),
    checked against the family's `cond_fields` and the dataset's schema (`check_cond`); fix:
    {code: scalar or [num, ...] array}, traced, replaces the prior's codes
    (ganjax/objectives/priors.py, ganjax/inference/grids.py); truncation: psi of the truncation
    trick (traced, so a sweep compiles once), for families that support it
    (ganjax/inference/sampling.py `check_truncation`)."""
    kwargs = {} if fix is None else {"fix": fix}  # samplers without codes take no `fix`
    if truncation is not None:
      kwargs["truncation"] = jax.numpy.float32(truncation)
    if cond is not None or (cond_fields(self.objective) and self.objective.required_cond):
      kwargs["cond"] = self.check_cond(cond or {}, num)
    return self._sample(state, key, num, ema=ema, **kwargs)

  def check_cond(self, cond: Mapping, num: int) -> dict:
    """cond as model-batch arrays of the schema's dtypes; ConfigError for a field the family does
    not take or the dataset lacks, or a per-example shape other than the schema's."""
    require(self, Conditioned, "sampling with cond")
    check_cond(self.objective, cond, num)  # only fields it takes; one of those it needs
    out = {}
    for name, value in dict(cond).items():
      if name not in self.spec.fields:
        raise ConfigError(f"cond field {name!r} is not a field of dataset "
                          f"{self.config.dataset.name!r} (fields: {list(self.spec.fields)}).")
      field = self.spec.field(name)
      value = jax.numpy.asarray(value, field.dtype)
      if value.ndim and tuple(value.shape[1:]) != field.shape:
        raise ConfigError(f"cond[{name!r}] has per-example shape {tuple(value.shape[1:])}, but "
                          f"dataset {self.config.dataset.name!r} has {name!r} of shape "
                          f"{field.shape}; pass [num, {', '.join(map(str, field.shape))}].")
      out[name] = value
    return out


def build_experiment(config, workdir: str | None = None) -> Experiment:
  """Validates `config` (and `workdir`), then builds the experiment. Nothing is compiled yet.
  Process-wide settings (host memory, compilation cache) are the entry points' (ganjax/runtime/__init__.py)."""
  validate_config(config, workdir)
  rt = runtime_of(config)
  mesh = parallel.make_mesh(rt.num_devices or None, rt.model_parallel)
  parallel.check_batch_divisible(config.batch_size, mesh)
  axis = parallel.DATA_AXIS if rt.parallelism == "pmap" else None
  spec = dataset_spec(config.dataset.name, config.dataset.get("data_dir"))
  dtype = config.get("dtype", "float32")
  layers = layer_set(rt.layers, conv_kernels=rt.conv_kernels, dtype=dtype, axis_name=axis)
  family = build_family(config, BuildContext(spec=spec, layers=layers, dtype=jax.numpy.dtype(dtype),
                                             axis_name=axis))
  check_fields(config, family, spec)
  optimizers = build_player_optimizers(config, family)
  exp = Experiment(config=config, spec=spec, family=family, optimizers=optimizers, mesh=mesh)
  check_sample_shape(exp)
  return exp


def check_fields(config, family: Family, spec: DatasetSpec) -> None:
  """ConfigError unless the dataset has every field the family reads, with the shape it expects."""
  reads = family.reads
  missing = [f for f in reads if f not in spec.fields]
  if missing:
    raise ConfigError(f"model {config.model.name!r} reads batch fields {list(reads)} but "
                      f"dataset {config.dataset.name!r} provides {list(spec.fields)} (missing "
                      f"{missing}); pick a dataset with those fields (config.dataset.name).")
  for name, shape in reads.items():
    have = spec.field(name).shape
    if shape is not None and tuple(shape) != have:
      raise ConfigError(f"model {config.model.name!r} reads field {name!r} of shape {tuple(shape)} "
                        f"per example, but dataset {config.dataset.name!r} has {name!r} of shape "
                        f"{have}; fix config.model (or pick a dataset whose {name!r} matches).")


def build_player_optimizers(config, family: Family) -> dict[str, optax.GradientTransformation]:
  """{player: optax transformation} from config.optimizers.<player>."""
  given = config.get("optimizers", None) or {}
  missing = [p for p in family.players if p not in given]
  if missing:
    raise ConfigError(f"config.optimizers lacks {missing}: model {config.model.name!r} has players "
                      f"{sorted(family.players)}, each with its own optimizer, e.g. "
                      f"--config.optimizers.{missing[0]}.name=adam.")
  extra = sorted(set(given) - set(family.players))
  if extra:
    raise ConfigError(f"config.optimizers has {extra}, which are not players of model "
                      f"{config.model.name!r} (players: {sorted(family.players)}).")
  return {p: build_optimizer(given[p]) for p in family.players}


def check_sample_shape(exp: Experiment) -> None:
  """ConfigError unless the family's samples have the dataset's per-example shape (traced only)."""
  state = exp.abstract_state(sharded=False)
  if is_translator(exp.objective):  # translations have the shape of their inputs
    for direction, (field, _) in exp.objective.directions.items():
      out = jax.eval_shape(lambda s, x, d=direction: exp.objective.translate(s, x, direction=d),
                           state, exp.spec.example(field, 2))
      if tuple(out.shape[1:]) != exp.data_shape:
        raise ConfigError(f"model {exp.config.model.name!r} translates {direction} to shape "
                          f"{tuple(out.shape[1:])}, but dataset {exp.config.dataset.name!r} has "
                          f"{exp.data_shape}; fix config.model so they match.")
    return
  needed = cond_fields(exp.objective) and exp.objective.required_cond
  cond = {needed[0]: exp.spec.example(needed[0], 2)} if needed else None
  kwargs = {} if cond is None else {"cond": cond}
  out = jax.eval_shape(lambda s, k, **kw: exp.objective.sample(s, k, 2, **kw), state,
                       jax.random.PRNGKey(0), **kwargs)
  if tuple(out.shape[1:]) != exp.data_shape:
    raise ConfigError(f"model {exp.config.model.name!r} makes samples of shape {tuple(out.shape[1:])} "
                      f"but dataset {exp.config.dataset.name!r} has {exp.data_shape}; fix "
                      f"config.model (or config.dataset) so they match.")

