"""Device mesh and shardings. Default: batch sharded over the `data` axis, state replicated;
XLA inserts the gradient all-reduce."""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from ganjax.errors import ConfigError

DATA_AXIS = "data"


def make_mesh(num_devices: int | None = None) -> Mesh:
  """A 1-D mesh over the first `num_devices` (default: all) devices with axis "data"."""
  devices = jax.devices()
  n = num_devices or len(devices)
  if n > len(devices):
    raise ConfigError(f"asked for {n} devices but only {len(devices)} are visible; on CPU set "
                      f"XLA_FLAGS=--xla_force_host_platform_device_count={n}.")
  return Mesh(np.asarray(devices[:n]), (DATA_AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """Leading (batch) axis split over `data`."""
  return NamedSharding(mesh, P(DATA_AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def check_batch_divisible(global_batch_size: int, mesh: Mesh) -> None:
  n = mesh.devices.size
  if global_batch_size % n or global_batch_size % jax.process_count():
    raise ConfigError(f"batch_size={global_batch_size} must be divisible by the device count ({n}) "
                      f"and the process count ({jax.process_count()}); pick a multiple of {n}.")
