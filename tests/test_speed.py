"""Speed features compute what the plain loop computes: k steps per dispatch, prefetch, cache."""

import json
import os

import jax
import numpy as np
import pytest

from conftest import run_script
from ganjax.data.schema import image_fields
from ganjax.data.feed import BatchFeed
from ganjax.data.pipeline import make_train_dataset
from ganjax.data.sources import data_source
from ganjax.train.dispatch import plan_blocks, stage_block
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate
from ganjax.train.timing import random_batch


def _close(a, b, atol=1e-6):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=0, atol=atol),
               jax.device_get(a), jax.device_get(b))


def test_plan_blocks_ends_blocks_on_every_cadence_and_the_last_step():
  # k=4, logging every 6, checkpoints every 8, 19 steps from step 1 (a resumed run).
  assert list(plan_blocks(1, 19, 4, [6, 0, 8])) == [
      (1, 4), (5, 1), (6, 1), (7, 1), (8, 4), (12, 4), (16, 1), (17, 1), (18, 1)]
  assert list(plan_blocks(0, 4, 1, [2])) == [(0, 1), (1, 1), (2, 1), (3, 1)]


def test_prefetch_yields_the_inline_batches_and_data_states(digits_config):
  source = data_source(digits_config.dataset, "train")
  mesh = build_experiment(digits_config).mesh

  def run(prefetch):
    it = iter(make_train_dataset(source, global_batch_size=8, seed=0, fields=image_fields((16, 16, 1))))
    feed = BatchFeed(it, plan_blocks(0, 7, 2, [3]), lambda i, x: {**x, "label": x["label"] + 100 * i},
                     lambda xs: stage_block(xs, mesh), prefetch=prefetch)
    out = [(step, n, jax.device_get(batch), feed.data_state()) for step, n, batch in feed]
    feed.close()
    return out

  inline, ahead = run(0), run(3)
  assert [(s, n) for s, n, *_ in inline] == [(0, 2), (2, 1), (3, 2), (5, 1), (6, 1)]
  assert [(s, n) for s, n, *_ in ahead] == [(s, n) for s, n, *_ in inline]
  for (_, _, x, sx), (_, _, y, sy) in zip(inline, ahead):
    _close(x, y, atol=0)
    assert sx == sy
  assert inline[1][2]["image"].shape == (8, 16, 16, 1) and inline[0][2]["image"].shape == (2, 8, 16, 16, 1)
  assert list(inline[0][2]["label"][:, 0] // 100) == [0, 1]  # transform saw each step's index
  # Each recorded state is the position after the batches handed out: 7 batches in the end.
  ref = iter(make_train_dataset(source, global_batch_size=8, seed=0, fields=image_fields((16, 16, 1))))
  for _ in range(7):
    next(ref)
  assert ahead[-1][3] == ref.get_state()


@pytest.mark.slow  # ~30 s idle: three step programs compiled
def test_loop_with_2_steps_per_dispatch_and_prefetch_matches_single_steps(digits_config, tmp_path):
  # Plan for k=2 (log every 3, checkpoint every 4, 7 steps): blocks at 0 and 4, single steps 2, 3, 6.
  cfg = digits_config
  cfg.num_train_steps, cfg.log_every, cfg.checkpoint_every = 7, 3, 4
  plain = train_and_evaluate(cfg, str(tmp_path / "plain"))
  cfg.runtime.steps_per_dispatch, cfg.runtime.prefetch = 2, 2
  fast = train_and_evaluate(cfg, str(tmp_path / "fast"))
  _close(fast, plain)

  def logged(name):
    with open(tmp_path / name / "metrics.jsonl") as f:
      rows = [json.loads(line) for line in f]
    return [(r["step"], r["d_loss"]) for r in rows if "d_loss" in r]

  assert [s for s, _ in logged("fast")] == [s for s, _ in logged("plain")] == [3, 6, 7]
  np.testing.assert_allclose([l for _, l in logged("fast")], [l for _, l in logged("plain")], atol=1e-6)
  for step in ("4", "7"):  # same checkpoints, same saved data position
    meta = [json.load(open(tmp_path / d / "checkpoints" / step / "data" / "metadata"))
            for d in ("plain", "fast")]
    assert meta[0] == meta[1]


def test_compilation_cache_is_written_and_reused(tmp_path):
  cache = tmp_path / "cache"
  args = ["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
          "--config.num_train_steps=1", "--config.batch_size=8", "--config.sample_every=0",
          f"--config.runtime.compilation_cache_dir={cache}"]
  first = run_script([*args, f"--workdir={tmp_path / 'a'}"])
  assert first.returncode == 0, first.stderr[-3000:]
  entries = set(os.listdir(cache))
  assert entries  # the step and init programs
  second = run_script([*args, f"--workdir={tmp_path / 'b'}"])
  assert second.returncode == 0, second.stderr[-3000:]
  assert set(os.listdir(cache)) == entries  # everything came from the cache: nothing new written


def test_cpu_kernel_library_switch_changes_kernels_not_results(digits_config):
  # ganjax compiles its step with YNNPACK off on CPU (ganjax/runtime/xla_options.py); runtime.xla_cpu_ynnpack=True
  # restores XLA's default. Both compute the same step to float tolerance.
  outputs = {}
  for ynnpack in (False, True):
    config = digits_config.copy_and_resolve_references()
    config.runtime.xla_cpu_ynnpack = ynnpack
    exp = build_experiment(config)
    state = exp.init_state()
    batch = random_batch(exp, config.batch_size)
    compiled = exp.train_step.lower(state, batch).compile()
    assert ("ynn_fusion" in compiled.as_text()) == ynnpack
    outputs[ynnpack] = compiled(state, batch)
  _close(outputs[False], outputs[True], atol=1e-4)


def test_a_jaxlib_without_a_cpu_option_compiles_without_that_option(monkeypatch):
  # Both CPU options are experimental in XLA: where the running jaxlib does not know one, ganjax
  # must leave that one out rather than fail every compile.
  from ganjax.runtime import xla_options
  assert xla_options.compiler_options("cpu") == {
      "xla_cpu_experimental_ynn_fusion_type": "",
      "xla_cpu_scheduler_type": "CPU_SCHEDULER_TYPE_MEMORY_OPTIMIZED"}
  assert xla_options.compiler_options("cpu", scheduler="default") == {
      "xla_cpu_experimental_ynn_fusion_type": ""}
  monkeypatch.setattr(xla_options, "_CPU_WITHOUT_YNNPACK", (("xla_cpu_no_such_option", ""),))
  assert xla_options.compiler_options("cpu") == {
      "xla_cpu_scheduler_type": "CPU_SCHEDULER_TYPE_MEMORY_OPTIMIZED"}
  assert xla_options.compiler_options("cpu", scheduler="default") is None
  assert xla_options.compiler_options("gpu") is None


def test_cpu_scheduler_switch_changes_the_schedule_not_results(digits_config):
  outputs, schedules = {}, {}
  for scheduler in ("memory_optimized", "default"):
    config = digits_config.copy_and_resolve_references()
    config.runtime.xla_cpu_scheduler = scheduler
    exp = build_experiment(config)
    state, batch = exp.init_state(), random_batch(exp, config.batch_size)
    compiled = exp.train_step.lower(state, batch).compile()
    schedules[scheduler] = compiled.as_text()
    outputs[scheduler] = compiled(state, batch)
  assert schedules["memory_optimized"] != schedules["default"]
  _close(outputs["memory_optimized"], outputs["default"], atol=1e-5)


def test_unknown_cpu_scheduler_is_named_with_the_choices():
  from ganjax.runtime import xla_options
  from ganjax.errors import ConfigError
  with pytest.raises(ConfigError, match=r"unknown XLA:CPU scheduler 'fastest'.*memory_optimized"):
    xla_options.compiler_options("cpu", scheduler="fastest")
