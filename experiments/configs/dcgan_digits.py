"""The seed DCGAN on scikit-learn's digits (16x16): a seconds-scale config for tests and notebooks."""

from experiments.configs import dcgan_fashion_mnist


def get_config():
  c = dcgan_fashion_mnist.get_config()
  c.dataset.name = "digits"
  c.num_train_steps = 200
  c.log_every = 20
  c.sample_every = 100
  c.checkpoint_every = 100
  return c
