"""Non-finite guard, decided inside the compiled step: a step whose losses or gradients are NaN
or Inf applies no update; counters in `state.extras["nonfinite"]` let the loop stop the run."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

KEY = "nonfinite"


def init_counters() -> dict[str, jax.Array]:
  """consecutive: bad steps in a row; total: all bad steps; tripped_at: the step (1-based) at which
  `consecutive` first reached max_bad_steps, else -1 (sticky, so the loop need not poll each step)."""
  return {"consecutive": jnp.zeros((), jnp.int32), "total": jnp.zeros((), jnp.int32),
          "tripped_at": jnp.full((), -1, jnp.int32)}


def all_finite(tree: Any) -> jax.Array:
  """True iff every floating-point leaf of `tree` is finite (bool scalar)."""
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)
            if jnp.issubdtype(jnp.asarray(x).dtype, jnp.inexact)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def guarded(old, new, metrics: dict[str, jax.Array], max_bad_steps: int):
  """Returns (state, metrics): `new` if every metric is finite (the grad norms cover all gradients),
  else `old` with only step advanced; counters updated either way."""
  ok = all_finite(metrics)
  state = jax.tree.map(lambda n, o: jnp.where(ok, n, o), new, old)
  c = old.extras[KEY]
  consecutive = jnp.where(ok, 0, c["consecutive"] + 1)
  tripped = jnp.where((c["tripped_at"] < 0) & (consecutive >= max_bad_steps), new.step,
                      c["tripped_at"])
  counters = {"consecutive": consecutive, "total": c["total"] + (~ok).astype(jnp.int32),
              "tripped_at": tripped}
  state = state.replace(step=new.step, extras={**state.extras, KEY: counters})
  return state, {**metrics, "nonfinite_steps": counters["total"].astype(jnp.float32)}
