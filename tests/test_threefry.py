"""ganjax.backends.cpu.threefry: JAX's Threefry-2x32 cipher and JAX's random bits, bit for bit."""

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import run_script
from jax.extend.random import threefry_2x32

from ganjax.backends.cpu.threefry import random_bits, threefry2x32


def test_cipher_equals_jax_threefry_2x32():
  key = jax.random.PRNGKey(42)
  x0 = jnp.arange(1000, dtype=jnp.uint32) * jnp.uint32(2654435761)
  x1 = jnp.arange(1000, dtype=jnp.uint32) ^ jnp.uint32(0xDEADBEEF)
  ours = jnp.concatenate(threefry2x32(key[0], key[1], x0, x1))
  np.testing.assert_array_equal(ours, threefry_2x32(key, jnp.concatenate([x0, x1])))


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (4, 14, 14, 3), (2, 1, 9)])
def test_random_bits_equal_jax_random_bits(shape):
  with jax.threefry_partitionable(True):  # JAX's default
    for key in (jax.random.PRNGKey(0), jax.random.PRNGKey(123), jax.random.key(5)):
      np.testing.assert_array_equal(jax.jit(random_bits, static_argnums=1)(key, shape),
                                    jax.random.bits(key, shape, jnp.uint32))


def test_other_key_kinds_give_distinct_deterministic_words():
  key = jax.random.key(7, impl="rbg")
  words = np.asarray(random_bits(key, (64,)))
  np.testing.assert_array_equal(words, random_bits(key, (64,)))
  assert len(set(words.tolist())) == 64


def test_a_batch_sharded_draw_stays_sharded():
  """Drawn for a batch-sharded activation (8 fake devices), the words are computed shard by
  shard: the compiled draw has no all-gather and its result keeps the batch sharding."""
  code = textwrap.dedent("""
      import jax, jax.numpy as jnp
      from jax.sharding import NamedSharding, PartitionSpec as P
      from ganjax.backends.cpu.threefry import random_bits
      mesh = jax.make_mesh((8,), ("data",))
      f = jax.jit(lambda k, x: x * (random_bits(k, x.shape) >> 31),
                  out_shardings=NamedSharding(mesh, P("data")))
      x = jax.ShapeDtypeStruct((16, 6, 6, 4), jnp.uint32, sharding=NamedSharding(mesh, P("data")))
      hlo = f.lower(jax.random.PRNGKey(0), x).compile().as_text()
      print(hlo.count("all-gather("), hlo.count("all-to-all("))
  """)
  r = run_script(["-c", code], env={"XLA_FLAGS": "--xla_force_host_platform_device_count=8",
                                    "JAX_PLATFORMS": "cpu"})
  assert r.returncode == 0, r.stderr[-2000:]
  assert r.stdout.split()[-2:] == ["0", "0"]


def test_too_many_words_is_a_clear_error():
  with pytest.raises(ValueError, match="split the key"):
    jax.eval_shape(lambda k: random_bits(k, (2 ** 16, 2 ** 16)), jax.random.PRNGKey(0))
