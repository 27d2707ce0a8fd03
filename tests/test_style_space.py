"""The style space of generators with a mapping network (ganjax/inference/style_space.py): the style-mixing
grid (`sample.py --grid=mixing`) and perceptual path length in W (ganjax/metrics/ppl.py), on a tiny
untrained StyleGAN2 at 32x32 (fashion_mnist32, so the shipped classifier can read its samples)."""

import numpy as np
import pytest
from PIL import Image

from experiments.configs import stylegan2_fashion_mnist32
from ganjax.errors import ConfigError
from ganjax.metrics import ppl as ppl_lib
from ganjax.inference.style_space import (draw_codes, has_style_space, map_latents, mix_styles, mixing_grid,
                                synthesize)
from ganjax.train.experiment import build_experiment


@pytest.fixture(scope="module")
def run():
  c = stylegan2_fashion_mnist32.get_config()
  c.model.update(latent_dim=8, w_dim=8, channel_base=64, channel_max=8, mbstd_group=2)
  c.batch_size = 4
  exp = build_experiment(c)
  return exp, exp.init_state()


def test_mix_styles_takes_coarse_layers_from_the_column_source():
  ws_a = np.arange(2 * 4 * 1, dtype=np.float32).reshape(2, 4, 1)           # 2 column sources
  ws_b = -1.0 - np.arange(3 * 4 * 1, dtype=np.float32).reshape(3, 4, 1)    # 3 row sources
  cells = mix_styles(ws_a, ws_b, cutoff=1)
  assert cells.shape == (3, 2, 4, 1)
  for i in range(3):
    for j in range(2):
      np.testing.assert_array_equal(cells[i, j, :1], ws_a[j, :1])
      np.testing.assert_array_equal(cells[i, j, 1:], ws_b[i, 1:])


def test_mixing_grid_cells_are_the_mixed_styles_with_shared_noise(run):
  exp, state = run
  import jax
  assert has_style_space(exp)
  key = jax.random.PRNGKey(3)
  rows, cols, cutoff = 2, 3, 2
  grid = mixing_grid(exp, state, key, rows=rows, cols=cols, cutoff=cutoff)
  assert grid.shape == ((rows + 1) * (cols + 1), 32, 32, 1)
  np.testing.assert_array_equal(grid[0], 1.0)  # the blank corner is white
  codes = draw_codes(exp, key, rows + cols)
  ws = np.asarray(map_latents(exp, state, codes["z"]))
  noise = codes["noise"][:1]
  top = np.asarray(synthesize(exp, state, ws[:cols], np.repeat(noise, cols, 0)))
  np.testing.assert_allclose(grid[1:cols + 1], top, atol=1e-5)
  # Row 1 (second row source), column 2 (third column source): coarse from A_2, fine from B_1.
  mixed = np.concatenate([ws[2:3, :cutoff], ws[cols + 1:cols + 2, cutoff:]], axis=1)
  cell = np.asarray(synthesize(exp, state, mixed, noise))[0]
  np.testing.assert_allclose(grid[2 * (cols + 1) + 3], cell, atol=1e-5)
  assert not np.allclose(grid[2 * (cols + 1) + 3], grid[3], atol=1e-3)  # it is not A_2 alone
  with pytest.raises(ConfigError, match=r"cutoff must lie in \[1, "):
    mixing_grid(exp, state, key, rows=1, cols=1, cutoff=0)


def test_filtered_mean_drops_values_outside_the_1st_and_99th_percentiles():
  values = np.concatenate([np.ones(998), [1000.0, -1000.0]])
  assert ppl_lib.filtered_mean(values) == pytest.approx(1.0)
  # As the reference (percentiles "lower" / "higher"): of 100 values the extremes are kept.
  values = np.concatenate([np.ones(98), [1000.0, -1000.0]])
  assert ppl_lib.filtered_mean(values) == pytest.approx(98 / 100)
  assert ppl_lib.filtered_mean(np.arange(201.0)) == pytest.approx(100.0)


def test_path_length_is_a_second_order_distance_over_eps_squared(run):
  exp, state = run
  small = ppl_lib.path_length_samples(exp, state, 8, epsilon=1e-4, seed=0)
  large = ppl_lib.path_length_samples(exp, state, 8, epsilon=2e-4, seed=0)
  assert small.shape == (8,) and np.all(small > 0)
  # d(x(t), x(t + eps)) grows as eps^2 for a smooth generator, so d / eps^2 hardly depends on eps
  # (a first-order distance over eps^2 would halve from eps to 2 eps).
  np.testing.assert_allclose(large, small, rtol=0.1)
  scores = ppl_lib.ppl(exp, state, 8)
  assert scores["ppl"] > 0 and scores["ppl_median"] > 0


def test_ppl_and_mixing_refuse_models_without_a_style_space(tmp_path):
  from experiments.configs import dcgan_digits
  exp = build_experiment(dcgan_digits.get_config())
  with pytest.raises(ConfigError, match=r"metric 'ppl' needs a generator with a mapping network"):
    ppl_lib.ppl(exp, None, 8)
  with pytest.raises(ConfigError, match=r"--grid=mixing needs a generator with a mapping network"):
    mixing_grid(exp, None, None)
  with pytest.raises(ConfigError, match=r"dataset 'digits' names none"):
    ppl_lib.domain_classifier("digits")
  assert ppl_lib.domain_classifier("fashion_mnist32").name == "fashion_mnist_cnn"
  assert ppl_lib.domain_classifier("emoji32").name == "emoji32_cnn"


def test_write_samples_mixing_grid_png(run, tmp_path):
  from ganjax.checkpoint import Checkpointer
  from ganjax.train.restore import write_samples
  exp, state = run
  workdir = str(tmp_path / "run")
  import os
  os.makedirs(workdir)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(exp.config.to_json_best_effort(indent=2))
  ckpt = Checkpointer(workdir)
  ckpt.save(0, state, None, force=True)
  ckpt.close()
  out, shape = write_samples(workdir, str(tmp_path / "mix.png"), grid="mixing", num=3, rows=2,
                             truncation=0.7)
  assert shape == (12, 32, 32, 1)
  assert Image.open(out).size[0] > Image.open(out).size[1]  # 4 columns, 3 rows
