"""Property-based: any config value or example either works or raises the documented error type."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ganjax.data.pipeline import to_model_input
from ganjax.data.schema import image_fields
from ganjax.errors import ConfigError, DataFormatError
from ganjax.train.validate import validate_config

ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                      st.lists(st.integers(), max_size=3))
FIELDS = ["batch_size", "num_train_steps", "d_steps", "log_every", "sample_every", "ema_decay",
          "checkpoint_every", "keep_checkpoints", "loss", "g_objective", "model.name", "dataset.name",
          "optimizers.g.name", "optimizers.g.learning_rate", "optimizers.d.learning_rate",
          "runtime.layers", "runtime.parallelism", "runtime.steps_per_dispatch"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=ANY_VALUE)
def test_any_config_value_is_accepted_or_a_config_error(digits_config, field, value):
  cfg = digits_config.copy_and_resolve_references()
  parent, _, leaf = field.rpartition(".")
  target = cfg[parent] if parent else cfg
  with target.ignore_type():
    target[leaf] = value
  try:
    validate_config(cfg)
  except ConfigError as e:
    assert leaf in str(e) or "Unknown" in str(e)


@settings(max_examples=150, deadline=None)
@given(dtype=st.sampled_from([np.uint8, np.int32, np.float32, np.float64, np.bool_]),
       shape=st.lists(st.integers(0, 30), min_size=0, max_size=4).map(tuple),
       with_label=st.booleans(), key=st.sampled_from(["image", "img"]))
def test_any_example_is_converted_or_a_data_format_error(dtype, shape, with_label, key):
  example = {key: np.zeros(shape, dtype)}
  if with_label:
    example["label"] = 3
  want = (16, 16, 1)
  try:
    out = to_model_input(example, image_fields(want))
  except DataFormatError as e:
    assert "'image'" in str(e)
    return
  assert key == "image" and dtype == np.uint8 and shape == want
  assert out["image"].dtype == np.float32 and out["image"].shape == want
  assert np.all(out["image"] == -1.0)
