r"""Trains a domain feature network (ganjax.metrics.classifier) on its dataset's train split.

  python experiments/train_classifier.py --seed=0 --epochs=5 --batch_size=128
  python experiments/train_classifier.py --seed=1 --epochs=3 --learning_rate=5e-4 --init_weights=W.msgpack   # fine-tune
  python experiments/train_classifier.py --net=emoji32_cnn --epochs=80 --batch_size=64 --shift=3 --flip

--net names the network (classifier.CLASSIFIERS: fashion_mnist_cnn, emoji32_cnn; its dataset is
the default --dataset). Writes OUT_DIR/<net>.msgpack (flax msgpack params) and OUT_DIR/<net>.json
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
_NET = flags.DEFINE_enum("net", classifier.FASHION_MNIST.name, list(classifier.CLASSIFIERS),
                         "Which network (its architecture, input shape, classes and file names).")
_DATASET = flags.DEFINE_string("dataset", None, "DATASETS name of the net's shape and classes "
                               "(default: the one the net is for).")
_SHIFT = flags.DEFINE_integer("shift", 0, "Augmentation: random translations of up to this many "
                              "pixels (border pixels repeated); 0 = none.")
_FLIP = flags.DEFINE_bool("flip", False, "Augmentation: random horizontal flips.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "tfds data dir (default: tfds' default).")
_OUT_DIR = flags.DEFINE_string("out_dir", classifier.ASSETS_DIR, "Where the weights and record go.")
_DROPOUT = flags.DEFINE_float("dropout_rate", 0.2, "Dropout before both dense layers (training only).")
_INIT = flags.DEFINE_string("init_weights", None, "Continue training from this weight file (fine-tune); "
                            "its record (the .json beside it) is kept in the new one's `previous`.")


def augment(images: np.ndarray, rng: np.random.Generator, shift: int, flip: bool) -> np.ndarray:
  """images uint8 [B, H, W, C] moved by up to `shift` pixels in each direction (border pixels
  repeated: white around emoji, black around Fashion-MNIST) and, with `flip`, mirrored at random."""
  if shift:
    b, h, w = images.shape[:3]
    padded = np.pad(images, [(0, 0), (shift, shift), (shift, shift), (0, 0)], mode="edge")
    dy, dx = rng.integers(0, 2 * shift + 1, size=(2, b))
    rows = dy[:, None] + np.arange(h)[None]
    cols = dx[:, None] + np.arange(w)[None]
    images = padded[np.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]]
  if flip:
    mirror = rng.random(len(images)) < 0.5
    images = np.where(mirror[:, None, None, None], images[:, :, ::-1], images)
  return images


def train(images: np.ndarray, labels: np.ndarray, *, seed: int, epochs: int, batch_size: int,
          learning_rate: float, dropout_rate: float = 0.2, params=None,
          net: classifier.Classifier = classifier.FASHION_MNIST, shift: int = 0, flip: bool = False):
  """images: uint8 [N, *net.image_shape]; labels: int [N]. Returns trained params (from `params`
  if given); shift, flip: augmentation of each batch (`augment`)."""
  model = net.model(dropout_rate=dropout_rate)
  key = jax.random.PRNGKey(seed)
  if params is None:
    params = classifier.init_params(jax.random.fold_in(key, 0), net)
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
      params, opt_state, loss = step(params, opt_state, augment(images[idx], rng, shift, flip), labels[idx],
                                     jax.random.fold_in(jax.random.fold_in(key, 1), t))
      t += 1
    logging.info("epoch %d: last loss %.4f (%.0f s)", epoch + 1, float(loss), time.time() - start)
  return params


def accuracy(params, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000,
             net: classifier.Classifier = classifier.FASHION_MNIST) -> float:
  apply = classifier.make_apply(params, net)
  hits = sum(int(np.sum(np.asarray(apply(images[i:i + batch_size])[1]).argmax(1) ==
                        labels[i:i + batch_size])) for i in range(0, len(images), batch_size))
  return hits / len(images)


def main(argv):
  del argv
  net = classifier.CLASSIFIERS[_NET.value]
  dataset = _DATASET.value or net.dataset
  cfg = ml_collections.ConfigDict(dict(name=dataset, source_dir=None, data_dir=_DATA_DIR.value))
  x_train, y_train = load_split(cfg, "train")
  x_test, y_test = load_split(cfg, "test")
  init, previous = None, None
  if _INIT.value:
    init = classifier.load_weights(_INIT.value, net)[0]
    record_path = os.path.splitext(_INIT.value)[0] + ".json"
    if os.path.isfile(record_path):
      with open(record_path) as f:
        previous = json.load(f)
  start = time.time()
  params = train(x_train, y_train, seed=_SEED.value, epochs=_EPOCHS.value,
                 batch_size=_BATCH.value, learning_rate=_LR.value, dropout_rate=_DROPOUT.value,
                 params=init, net=net, shift=_SHIFT.value, flip=_FLIP.value)
  seconds = time.time() - start
  acc = accuracy(params, x_test, y_test, net=net)
  sha = classifier.save_weights(params, classifier.weights_path(_OUT_DIR.value, net))
  settings = [("net", net.name), ("seed", _SEED.value), ("epochs", _EPOCHS.value),
              ("batch_size", _BATCH.value), ("learning_rate", _LR.value),
              ("dropout_rate", _DROPOUT.value), ("dataset", dataset), ("shift", _SHIFT.value),
              ("flip", _FLIP.value)]
  record = {
      "command": "python experiments/train_classifier.py " + " ".join(
          f"--{f}={v}" for f, v in settings + ([("init_weights", _INIT.value)] if _INIT.value else [])),
      **dict(settings), "test_accuracy": acc, "test_examples": len(y_test), "train_seconds": round(seconds, 1),
      "machine": "2-core CPU shared with other jobs", "jax": jax.__version__,
      "date": time.strftime("%Y-%m-%d", time.gmtime()), "weights_sha256": sha,
      "previous": previous,
  }
  with open(os.path.join(_OUT_DIR.value, net.record_file), "w") as f:
    json.dump(record, f, indent=2)
    f.write("\n")
  print(f"test accuracy {acc:.4f}; wrote {classifier.weights_path(_OUT_DIR.value, net)}")


if __name__ == "__main__":
  app.run(main)
