"""The seed's fully connected GAN (FCGAN) on Fashion-MNIST."""

from experiments.configs import dcgan_fashion_mnist


def get_config():
  c = dcgan_fashion_mnist.get_config()
  c.model.name = "mlp"
  c.model.latent_dim = 30
  c.model.g_hidden = (100, 150)
  c.model.d_hidden = (150, 100)
  c.model.activation = "selu"
  c.model.output_activation = "tanh"
  return c
