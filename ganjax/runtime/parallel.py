"""Device mesh, shardings and the two ways to run the one step on many devices.

* `jit` (default): `jax.jit` with NamedShardings; the batch is split over the mesh's `data` axis,
  the state replicated (or, with `config.fsdp`, parameters and optimizer state split over `data`
  too); XLA inserts the gradient all-reduce and any parameter all-gathers.
* `pmap`: the same per-device step under `jax.shard_map` over `data` (or, with
  `pmap_impl="jax_pmap"`, under the legacy `jax.pmap` on one process), with explicit `lax.pmean`
  of gradients and metrics and cross-replica BatchNorm statistics (modules get `axis_name`).

Multi-host: call `init_distributed` first; every process then builds the same global mesh.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from ganjax.errors import ConfigError

DATA_AXIS = "data"
MODEL_AXIS = "model"
PARALLELISM = ("jit", "pmap")
PMAP_IMPLS = ("shard_map", "jax_pmap")


def make_mesh(num_devices: int | None = None, model_parallel: int = 1) -> Mesh:
  """A (data, model) mesh over the first `num_devices` (default: all) devices, process-major."""
  devices = jax.devices()
  n = num_devices or len(devices)
  if n > len(devices):
    raise ConfigError(f"asked for {n} devices but only {len(devices)} are visible; on CPU set "
                      f"XLA_FLAGS=--xla_force_host_platform_device_count={n}.")
  if model_parallel < 1 or n % model_parallel:
    raise ConfigError(f"config.model_parallel={model_parallel} must be >= 1 and divide the device "
                      f"count {n}.")
  grid = np.asarray(devices[:n]).reshape(n // model_parallel, model_parallel)
  return Mesh(grid, (DATA_AXIS, MODEL_AXIS))


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Leading (batch) axis split over `data`."""
  return NamedSharding(mesh, P(DATA_AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def fsdp_sharding(shape, mesh: Mesh, min_size: int = 1024) -> NamedSharding:
  """Splits the largest axis divisible by the `data` size over `data`; small or indivisible
  leaves stay replicated (sharding them would cost more in collectives than it saves)."""
  n = mesh.shape[DATA_AXIS]
  if int(np.prod(shape, dtype=np.int64)) < min_size or n == 1:
    return replicated(mesh)
  for axis in sorted(range(len(shape)), key=lambda a: -shape[a]):
    if shape[axis] % n == 0:
      spec = [None] * len(shape)
      spec[axis] = DATA_AXIS
      return NamedSharding(mesh, P(*spec))
  return replicated(mesh)


def state_shardings(abstract_state: Any, mesh: Mesh, fsdp: bool = False) -> Any:
  """Per-leaf shardings of the GANState: replicated, or FSDP for every player's parameters,
  collections and optimizer state and the EMA copies (frozen networks and extras stay replicated)."""
  def leaf(path, x):
    top = getattr(path[0], "name", None)
    if fsdp and top in ("players", "ema") and len(x.shape) > 0:
      return fsdp_sharding(x.shape, mesh)
    return replicated(mesh)
  return jax.tree_util.tree_map_with_path(leaf, abstract_state)


def check_batch_divisible(global_batch_size: int, mesh: Mesh) -> None:
  n = mesh.shape[DATA_AXIS]
  if global_batch_size % n or global_batch_size % jax.process_count():
    raise ConfigError(f"batch_size={global_batch_size} must be divisible by the device count ({n}) "
                      f"and the process count ({jax.process_count()}); pick a multiple of {n}.")


def shard_map_step(step, mesh: Mesh):
  """Runs the per-device `step(state, local_batch)` on every `data` shard: state replicated in and
  out, batch split, metrics replicated (the step pmeans them)."""
  return jax.shard_map(step, mesh=mesh, in_specs=(P(), P(DATA_AXIS)), out_specs=(P(), P()),
                       check_vma=False)


def jax_pmap_step(step, mesh: Mesh, state_sharding: Any):
  """The same per-device `step` under the legacy `jax.pmap` (single process): the replicated state
  is stacked per device, the batch split into [devices, per-device batch, ...], and device 0's
  copy of the (identical) outputs is placed back replicated on the mesh."""
  if jax.process_count() > 1:
    raise ConfigError("pmap_impl='jax_pmap' runs on one process; use pmap_impl='shard_map'.")
  devices = list(mesh.devices.flat)
  n = len(devices)
  pstep = jax.pmap(step, axis_name=DATA_AXIS, devices=devices, donate_argnums=0)
  per_device = NamedSharding(Mesh(np.asarray(devices), (DATA_AXIS,)), P(DATA_AXIS))

  def run(state, batch):
    stacked = jax.tree.map(lambda x: jax.device_put(jnp.broadcast_to(x, (n, *x.shape)), per_device),
                           state)
    local = jax.tree.map(lambda x: x.reshape(n, x.shape[0] // n, *x.shape[1:]), batch)
    new_state, metrics = pstep(stacked, local)
    first = lambda t: jax.tree.map(lambda x: x[0], t)
    return (jax.device_put(first(new_state), state_sharding),
            jax.device_put(first(metrics), replicated(mesh)))

  return run


def compile_then_align(step_fn, *args, name: str, timeout_s: int = 3600) -> None:
  """Multi-process: compiles jitted `step_fn` for `args` ahead of time (the later call reuses the
  executable), then waits until every process has, at a coordination-service barrier.

  Why: gloo builds its communicator at the first collective and gives the other processes 30 s to
  join; a process that compiles or restores more slowly (a loaded machine, a compilation-cache
  miss) otherwise fails with "Gloo context initialization failed: DEADLINE_EXCEEDED". The barrier
  goes through the coordination service, whose timeout we choose, not through a collective.
  No-op on one process.
  """
  if jax.process_count() == 1:
    return
  import orbax.checkpoint as ocp  # its barrier is the public wrapper of the coordination service's
  step_fn.lower(*args).compile()
  ocp.multihost.sync_global_processes(name, timeout=timeout_s)


def init_distributed(coordinator_address: str | None = None, num_processes: int | None = None,
                     process_id: int | None = None, auto: bool = False) -> None:
  """`jax.distributed.initialize` from arguments, or from the environment (JAX_COORDINATOR_ADDRESS,
  JAX_NUM_PROCESSES, JAX_PROCESS_ID), or with `auto` from the cluster JAX detects. On CPU, collectives go over gloo."""
  address = coordinator_address or os.environ.get("JAX_COORDINATOR_ADDRESS")
  if address is None and num_processes is None and not auto:
    return  # single process
  # auto with nothing given: jax.distributed detects the cluster (SLURM, TPU pods, Open MPI, ...).
  # Only CPU reads this; it must be set before any backend starts (so no backend query here).
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(
      coordinator_address=address,
      num_processes=num_processes or int(os.environ.get("JAX_NUM_PROCESSES", "0")) or None,
      process_id=process_id if process_id is not None else
      (int(os.environ["JAX_PROCESS_ID"]) if "JAX_PROCESS_ID" in os.environ else None))
  logging.info("jax.distributed: process %d of %d, %d local / %d global devices",
               jax.process_index(), jax.process_count(), jax.local_device_count(), jax.device_count())
