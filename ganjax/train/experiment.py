"""Everything a config builds before training: data spec, models, optimizers, objective, mesh,
and the jitted init / train / sample functions placed on that mesh."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from ganjax import host_memory, parallel, xla_options
from ganjax.errors import ConfigError
from ganjax.data.sources import DatasetSpec, dataset_spec
from ganjax.losses import get_loss
from ganjax.models import GANModels, build_models
from ganjax.objectives import OBJECTIVES, sample_latent
from ganjax.optimizers import build_optimizer
from ganjax.train import dispatch
from ganjax.train.state import GANState, create_state
from ganjax.train.step import make_train_step
from ganjax.train.validate import validate_config


@dataclasses.dataclass
class Experiment:
  config: Any
  spec: DatasetSpec
  models: GANModels
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  objective: Any
  mesh: jax.sharding.Mesh

  @property
  def data_shape(self) -> tuple[int, ...]:
    return tuple(self.spec.shape)

  @property
  def batch_sharding(self):
    return parallel.batch_sharding(self.mesh)

  @property
  def parallelism(self) -> str:
    return self.config.get("parallelism", "jit")

  @functools.cached_property
  def state_sharding(self):
    return parallel.state_shardings(self.abstract_state(sharded=False), self.mesh,
                                    fsdp=self.config.get("fsdp", False))

  def abstract_state(self, sharded: bool = True) -> GANState:
    """ShapeDtypeStructs of the state (with shardings when `sharded`), without computing it."""
    shapes = jax.eval_shape(self._create, jax.random.PRNGKey(0))
    if not sharded:
      return shapes
    return jax.tree.map(lambda s, sh: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh),
                        shapes, self.state_sharding)

  def _create(self, key: jax.Array) -> GANState:
    return create_state(self.models, self.g_tx, self.d_tx, key, self.data_shape,
                        self.objective.techniques)

  @functools.cached_property
  def compiler_options(self) -> dict | None:
    """XLA options for every function compiled here (ganjax/xla_options.py)."""
    return xla_options.compiler_options(self.mesh.devices.flat[0].platform,
                                        ynnpack=self.config.get("xla_cpu_ynnpack", False),
                                        scheduler=self.config.get(
                                            "xla_cpu_scheduler", xla_options.DEFAULT_CPU_SCHEDULER))

  def init_state(self) -> GANState:
    key = jax.random.PRNGKey(self.config.seed)
    return jax.jit(self._create, out_shardings=self.state_sharding,
                   compiler_options=self.compiler_options)(key)

  @functools.cached_property
  def train_step(self) -> Callable[[GANState, dict], tuple[GANState, dict]]:
    """jit(train_step) with the state donated; batch sharded over `data`. In "pmap" mode the
    same step runs per device under shard_map with explicit pmeans."""
    step = self._step
    if self.parallelism == "pmap" and self.config.get("pmap_impl", "shard_map") == "jax_pmap":
      return parallel.jax_pmap_step(step, self.mesh, self.state_sharding)
    return self._jit(step)

  @functools.cached_property
  def train_steps(self) -> Callable[[GANState, dict], tuple[GANState, dict]]:
    """Like `train_step` over a block of batches [k, B, ...]: k steps in one dispatch under
    `lax.scan`, returning the last step's metrics (config.steps_per_dispatch; dispatch.py)."""
    return self._jit(dispatch.scan_steps(self._step))

  def _jit(self, step):
    return jax.jit(step, donate_argnums=0,
                   out_shardings=(self.state_sharding, parallel.replicated(self.mesh)),
                   compiler_options=self.compiler_options)

  @functools.cached_property
  def _step(self):
    """The pure step (under shard_map in pmap mode), before jit."""
    axis = parallel.DATA_AXIS if self.parallelism == "pmap" else None
    step = make_train_step(self.objective, self.g_tx, self.d_tx,
                           d_steps=self.config.get("d_steps", 1),
                           ema_decay=self.config.get("ema_decay", 0.999),
                           max_bad_steps=self.config.get("max_bad_steps", 20), axis_name=axis,
                           techniques=self.objective.techniques)
    if axis is not None and self.config.get("pmap_impl", "shard_map") != "jax_pmap":
      step = parallel.shard_map_step(step, self.mesh)
    return step

  @functools.cached_property
  def generate(self) -> Callable[..., jax.Array]:
    """generate(g_params, g_collections, z [N, latent]) -> samples [N, *data_shape] in [-1, 1]."""

    def gen(params, collections, z):
      return self.models.generator.apply({"params": params, **collections}, z, train=False)

    return jax.jit(gen, compiler_options=self.compiler_options)

  def sample(self, state: GANState, key: jax.Array, num: int, *, ema: bool = True) -> jax.Array:
    z = sample_latent(key, num, self.models.latent_dim)
    return self.generate(state.ema_params if ema else state.g.params, state.g.collections, z)


def build_experiment(config, workdir: str | None = None) -> Experiment:
  """Validates `config` (and `workdir`), then builds the experiment. Nothing is compiled yet."""
  validate_config(config, workdir)
  if config.get("host_memory", "retain") == "retain":  # before the mesh starts JAX's backend
    host_memory.retain_freed_memory()
  mesh = parallel.make_mesh(config.get("num_devices") or None, config.get("model_parallel", 1))
  parallel.check_batch_divisible(config.batch_size, mesh)
  axis = parallel.DATA_AXIS if config.get("parallelism", "jit") == "pmap" else None
  spec = dataset_spec(config.dataset.name)
  models = build_models(config.model, spec.shape, config.get("dtype", "float32"), axis)
  check_generator_shape(models, spec.shape)
  loss = get_loss(config.loss, **dict(config.get("loss_kwargs", {})))
  objective = OBJECTIVES.get(config.objective)(models, loss, config, axis)
  return Experiment(config=config, spec=spec, models=models,
                    g_tx=build_optimizer(config.g_optimizer), d_tx=build_optimizer(config.d_optimizer),
                    objective=objective, mesh=mesh)


def check_generator_shape(models: GANModels, data_shape) -> None:
  """ConfigError unless G's output per example has the dataset's shape (traced, not compiled)."""
  z = jax.ShapeDtypeStruct((2, models.latent_dim), jnp.float32)
  out, _ = jax.eval_shape(lambda z: models.generator.init_with_output(
      jax.random.PRNGKey(0), z, train=False), z)
  if tuple(out.shape[1:]) != tuple(data_shape):
    raise ConfigError(f"the generator makes samples of shape {tuple(out.shape[1:])} but the dataset "
                      f"has {tuple(data_shape)}; fix config.model (or config.dataset) so they match.")


def fixed_noise_key(config) -> jax.Array:
  """The key of the sample grid's fixed latents: the same across a run and its resumes."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x5A3E)


