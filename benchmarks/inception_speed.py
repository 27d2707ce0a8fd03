r"""Feature extraction speed of the FID InceptionV3: images/s through ganjax's batched feature fn.

  python benchmarks/inception_speed.py --batch_size=50 --batches=4 --image_size=32

Runs the whole path of `inception_feature_fn` (uint8 in, resize to 299, network, features back on
the host) on random uint8 images. Speed does not depend on the weight values, so random-init
variables stand in unless --inception_weights names the real file. One warm-up batch compiles;
the timed figure is `batches` full batches in one call, as wall images/s and as process CPU
seconds per image (the latter moves less when other jobs share the cores).
"""

import os
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from ganjax.metrics import inception, inception_net  # noqa: E402

_BATCH = flags.DEFINE_integer("batch_size", 50, "Images per jitted network call.")
_BATCHES = flags.DEFINE_integer("batches", 4, "Full batches in the timed call.")
_SIZE = flags.DEFINE_integer("image_size", 32, "Input height = width (resized to 299).")
_CHANNELS = flags.DEFINE_integer("channels", 3, "Input channels (1 or 3).")
_WEIGHTS = flags.DEFINE_string("inception_weights", None, "Weight file; random init if unset.")


def main(argv):
  del argv
  if _WEIGHTS.value:
    variables = inception.load_inception_params(_WEIGHTS.value)
  else:
    # Shapes only (compiling `init` costs minutes on CPU); values from numpy.
    size, rng = inception_net.INPUT_SIZE, np.random.default_rng(0)
    shapes = jax.eval_shape(inception_net.FIDInceptionV3().init, jax.random.PRNGKey(0),
                            jnp.zeros((1, size, size, 3), jnp.float32))
    variables = jax.tree.map(
        lambda s: rng.uniform(0.5, 1.5, s.shape).astype(np.float32) if len(s.shape) == 1
        else rng.normal(0, 0.02, s.shape).astype(np.float32), shapes)
  features = inception.make_feature_fn(variables, _BATCH.value)
  rng = np.random.default_rng(0)
  shape = (_SIZE.value, _SIZE.value, _CHANNELS.value)
  warmup = rng.integers(0, 256, (_BATCH.value, *shape), dtype=np.uint8)
  start = time.perf_counter()
  features(warmup)
  compile_s = time.perf_counter() - start
  images = rng.integers(0, 256, (_BATCH.value * _BATCHES.value, *shape), dtype=np.uint8)
  start, cpu_start = time.perf_counter(), time.process_time()
  pool3, _ = features(images)
  seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
  assert pool3.shape == (len(images), inception_net.FEATURE_DIM)
  print(f"backend={jax.default_backend()} devices={jax.device_count()} input={shape} "
        f"batch={_BATCH.value} images={len(images)}")
  print(f"first batch (compile + run) {compile_s:.1f} s; timed {seconds:.1f} s: "
        f"{len(images) / seconds:.2f} images/s; {cpu_seconds / len(images):.2f} CPU-s/image "
        f"(all threads; less sensitive to other jobs on the machine)")


if __name__ == "__main__":
  app.run(main)
