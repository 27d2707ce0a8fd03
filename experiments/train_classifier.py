r"""Trains the domain feature network (ganjax.metrics.classifier) on the Fashion-MNIST train split.

  python experiments/train_classifier.py --seed=0 --epochs=5 --batch_size=128
  python experiments/train_classifier.py --seed=1 --epochs=3 --learning_rate=5e-4 --init_weights=W.msgpack   # fine-tune

Writes OUT_DIR/fashion_mnist_cnn.msgpack (flax msgpack params) and OUT_DIR/fashion_mnist_cnn.json
(command, seed, epochs, batch size, test accuracy, sha256 of the weights).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from ganjax.metrics import classifier  # noqa: E402
from ganjax.metrics.data import load_split  # noqa: E402

_SEED = flags.DEFINE_integer("seed", 0, "Seed of the initialisation, shuffling and dropout.")
_EPOCHS = flags.DEFINE_integer("epochs", 6, "Passes over the 60k training images.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Batch size.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate (cosine-decayed to 0).")
_DATASET = flags.DEFINE_string("dataset", "fashion_mnist", "DATASETS name (28x28x1).")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tfds data dir (default: tfds' default).")
_OUT_DIR = flags.DEFINE_string("out_dir", classifier.ASSETS_DIR, "Where the weights and record go.")
_DROPOUT = flags.DEFINE_float("dropout_rate", 0.2, "Dropout before both dense layers (training only).")
_INIT = flags.DEFINE_string("init_weights", None, "Continue training from this weight file (fine-tune); "
                            "its record (the .json beside it) is kept in the new one's `previous`.")


def train(images: np.ndarray, labels: np.ndarray, *, seed: int, epochs: int, batch_size: int,
          learning_rate: float, dropout_rate: float = 0.2, params=None):
  """images: uint8 [N, 28, 28, 1]; labels: int [N]. Returns trained params (from `params` if given)."""
  model = classifier.FashionMnistCNN(dropout_rate=dropout_rate)
  key = jax.random.PRNGKey(seed)
  if params is None:
    params = classifier.init_params(jax.random.fold_in(key, 0))
  steps_per_epoch = len(images) // batch_size
  tx = optax.adam(optax.cosine_decay_schedule(learning_rate, epochs * steps_per_epoch))
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state, x, y, step_key):
    def loss_fn(p):
      _, logits = model.apply({"params": p}, classifier.preprocess(x), train=True,
                              rngs={"dropout": step_key})
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  rng = np.random.default_rng(seed)
  t = 0
  for epoch in range(epochs):
    perm = rng.permutation(len(images))
    start = time.time()
    for i in range(steps_per_epoch):
      idx = perm[i * batch_size:(i + 1) * batch_size]
      params, opt_state, loss = step(params, opt_state, images[idx], labels[idx],
                                     jax.random.fold_in(jax.random.fold_in(key, 1), t))
      t += 1
    logging.info("epoch %d: last loss %.4f (%.0f s)", epoch + 1, float(loss), time.time() - start)
  return params


def accuracy(params, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
  apply = classifier.make_apply(params)
  hits = sum(int(np.sum(np.asarray(apply(images[i:i + batch_size])[1]).argmax(1) ==
                        labels[i:i + batch_size])) for i in range(0, len(images), batch_size))
  return hits / len(images)


def main(argv):
  del argv
  cfg = ml_collections.ConfigDict(dict(name=_DATASET.value, source_dir=None, data_dir=_DATA_DIR.value))
  x_train, y_train = load_split(cfg, "train")
  x_test, y_test = load_split(cfg, "test")
  init, previous = None, None
  if _INIT.value:
    init = classifier.load_weights(_INIT.value)[0]
    record_path = os.path.splitext(_INIT.value)[0] + ".json"
    if os.path.isfile(record_path):
      with open(record_path) as f:
        previous = json.load(f)
  start = time.time()
  params = train(x_train, y_train, seed=_SEED.value, epochs=_EPOCHS.value,
                 batch_size=_BATCH.value, learning_rate=_LR.value, dropout_rate=_DROPOUT.value,
                 params=init)
  seconds = time.time() - start
  acc = accuracy(params, x_test, y_test)
  sha = classifier.save_weights(params, classifier.weights_path(_OUT_DIR.value))
  record = {
      "command": "python experiments/train_classifier.py " + " ".join(
          f"--{f}={v}" for f, v in [("seed", _SEED.value), ("epochs", _EPOCHS.value),
                                    ("batch_size", _BATCH.value), ("learning_rate", _LR.value),
                                    ("dropout_rate", _DROPOUT.value), ("dataset", _DATASET.value)]
          + ([("init_weights", _INIT.value)] if _INIT.value else [])),
      "seed": _SEED.value, "epochs": _EPOCHS.value, "batch_size": _BATCH.value,
      "learning_rate": _LR.value, "dropout_rate": _DROPOUT.value, "dataset": _DATASET.value,
      "test_accuracy": acc, "train_seconds": round(seconds, 1),
      "machine": "2-core CPU shared with other jobs", "jax": jax.__version__,
      "date": time.strftime("%Y-%m-%d", time.gmtime()), "weights_sha256": sha,
      "previous": previous,
  }
  with open(os.path.join(_OUT_DIR.value, classifier.RECORD_FILE), "w") as f:
    json.dump(record, f, indent=2)
    f.write("\n")
  print(f"test accuracy {acc:.4f}; wrote {classifier.weights_path(_OUT_DIR.value)}")


if __name__ == "__main__":
  app.run(main)
