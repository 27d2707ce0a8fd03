"""Super-resolution families: SRResNet and SRGAN (Ledig et al. 2017), ESRGAN-lite (Wang et al.
2018), on datasets with an "hr" image field and its "lr" copy smaller by model.scale (e.g.
fashion_mnist_sr4). One folder, three names, each its own defaults():

  srresnet  SRResNet G trained with MSE alone (player "g"; optimizers g)
  srgan     the same G, model.mse_steps of MSE pretraining (the SRResNet stage) then content +
            1e-3 adversarial against the VGG-style critic (players "g", "d")
  esrgan    RRDB G without BN, model.mse_steps of L1 pretraining (the PSNR-oriented stage), then
            pre-activation feature content + 5e-3 RaGAN + 1e-2 L1; EMA of G

Networks: networks.py; the objective and the stage switch: objective.py. Samples are
G(cond["lr"]) (the Conditioned capability), clipped to [-1, 1]. model.content "features" reads the
shipped Fashion-MNIST classifier (ganjax/assets/fashion_mnist_cnn.msgpack) as a frozen network.
A two-stage game needs optimizers.d.start_step == model.mse_steps (objective.py says why).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import game
from ganjax.families.checks import flag, hyperparameters, image_shape, number, one_of, widths
from ganjax.families.superres.networks import ClassifierFeatures, RRDBNet, SRResNet, VGGCritic
from ganjax.families.superres.objective import CONTENT, PRETRAIN, SuperResObjective
from ganjax.objectives.losses import loss_from_config

_SRRESNET = dict(
    scale=4,  # Ledig et al. 2017, Sec. 3.1: 4x upscaling (two x2 sub-pixel layers, Fig. 4)
    g_features=64,  # Fig. 4: k9n64 head, k3n64 residual blocks
    g_blocks=16,  # Fig. 4 / Sec. 3.2: B = 16 residual blocks
    ema=False,  # Ledig et al.: no EMA of G
)
_CRITIC = dict(
    d_features=(64, 128, 256, 512),  # Fig. 4: k3n64s1, k3n64s2, ..., k3n512s2 (8 convs)
    d_dense=1024,  # Fig. 4: Dense(1024) -> LeakyReLU -> Dense(1) -> sigmoid
)


def _srgan_defaults(**model) -> dict:
  return dict(model=dict(
      **_SRRESNET, **_CRITIC, adversarial=True,
      mse_steps=1000,  # Sec. 3.2: SRGAN initialised from the MSE-trained SRResNet (10^6 updates
                       # there; a two-stage run here, sized by the config)
      pretrain="mse",  # Sec. 3.2: SRResNet is trained on MSE
      content="features",  # Sec. 2.2.1: VGG feature content (SRGAN-VGG54); "mse": SRGAN-MSE
      preactivation=False,  # Sec. 2.2.1: phi_{i,j} is taken after the activation
      feature_scale=1.0 / 12.75,  # Sec. 3.2: VGG losses rescaled by 1/12.75 to MSE's scale
      content_weight=1.0,  # Eq. 3: l^SR = l^SR_X + 1e-3 l^SR_Gen
      l1_weight=0.0,
      adv_weight=1e-3,  # Eq. 3
      **model),
      loss="non_saturating",  # Eq. 6: -log D(G(lr)); D: Eq. 2
      loss_kwargs={})


def srresnet_defaults() -> dict:
  """Ledig et al. 2017 (SRResNet: the MSE-trained generator of Fig. 4)."""
  return dict(model=dict(**_SRRESNET, adversarial=False, pretrain="mse"))


def srgan_defaults() -> dict:
  """Ledig et al. 2017 (SRGAN, Sec. 2-3)."""
  return _srgan_defaults()


def esrgan_defaults() -> dict:
  """Wang et al. 2018 (ESRGAN, Sec. 3-4.1), its RRDBNet narrowed by the configs to a CPU budget."""
  d = _srgan_defaults(g_growth=32,  # Sec. 3.1 / their code: dense-block growth channels gc = 32
                      )
  d["model"].update(
      g_blocks=23,  # Sec. 4.1: 23 RRDBs
      pretrain="l1",  # Sec. 4.1: the PSNR-oriented model is trained with L1 first
      content="features", preactivation=True,  # Sec. 3.3: features before activation
      feature_scale=1.0,  # their code: the VGG19 conv5_4 distance unscaled (perceptual weight 1)
      content_weight=1.0, adv_weight=5e-3, l1_weight=1e-2,  # Sec. 4.1: lambda = 5e-3, eta = 1e-2
      ema=True)  # EMA of G, as Real-ESRGAN's code (Wang et al. 2021) trains it (decay config.ema_decay)
  d["loss"] = "relativistic_average"  # Sec. 3.2: RaGAN, D_Ra(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)])
  return d


def _content_network(hp, ctx):
  """The frozen content network and its loader, or None for pixel content."""
  if not (hp.model.adversarial and one_of(hp, "model.content", CONTENT) == "features"):
    return None
  if ctx.spec.field("hr").shape[-1] != 1:
    raise ConfigError("model.content='features' reads the shipped Fashion-MNIST classifier, which "
                      "takes 1-channel images; this dataset's hr field has shape "
                      f"{ctx.spec.field('hr').shape}: use model.content='mse'.")
  from ganjax.metrics import classifier
  net = ClassifierFeatures(classifier.FASHION_MNIST.widths, flag(hp, "model.preactivation"))

  def load():
    params, _ = classifier.load_weights()
    return {"params": {k: v for k, v in params.items() if k.startswith("Conv_")}}

  return net, load


def shift_invariant(loss) -> bool:
  """Whether both terms of `loss(real, fake)` are unchanged when every logit moves by one
  constant (the relativistic losses): then D's output bias has nothing to learn."""
  rng = np.random.default_rng(0)
  r, f = jnp.asarray(rng.normal(size=8)), jnp.asarray(rng.normal(size=8))
  return bool(np.allclose(np.asarray(loss(r, f)), np.asarray(loss(r + 3.0, f + 3.0)), atol=1e-6))


def _check_start(config, mse_steps: int) -> None:
  start = config.optimizers.get("d", {}).get("start_step", None)
  if mse_steps and start != mse_steps:
    raise ConfigError(f"model.mse_steps={mse_steps} pretrains G before D joins: set "
                      f"--config.optimizers.d.start_step={mse_steps} (now {start!r}) so D's Adam "
                      f"starts fresh at the switch instead of counting the idle steps.")


def _build(config, ctx: BuildContext, defaults: dict, rrdb: bool):
  hp = hyperparameters(config, defaults)
  scale = number(hp, "model.scale", integer=True, minimum=2)
  ups = scale.bit_length() - 1
  if 2 ** ups != scale:
    raise ConfigError(f"config.model.scale must be a power of two (x2 upsamplers), got {scale}.")
  hr = ctx.spec.field("hr") if "hr" in ctx.spec.fields else None
  if hr is None or "lr" not in ctx.spec.fields:
    raise ConfigError(f"model {config.model.name!r} needs a super-resolution dataset (fields 'hr' "
                      f"and 'lr', e.g. fashion_mnist_sr4); this one has {list(ctx.spec.fields)}.")
  h, w, c = image_shape(config.model.name, hr.shape, divisor=scale, because=f" (model.scale={scale})")
  lr_shape = (h // scale, w // scale, c)
  f, blocks = number(hp, "model.g_features", integer=True), number(hp, "model.g_blocks", integer=True)
  if rrdb:
    g = RRDBNet(c, f, number(hp, "model.g_growth", integer=True), blocks, ups, ctx.dtype, ctx.layers)
  else:
    g = SRResNet(c, f, blocks, ups, ctx.axis_name, ctx.dtype, ctx.layers)
  adversarial = flag(hp, "model.adversarial")
  lr = ctx.spec.example("lr")
  networks, players, inputs, frozen = {"g": g}, {"g": ("g",)}, {"g": (lr,)}, {}
  options = dict(pretrain=one_of(hp, "model.pretrain", PRETRAIN), axis_name=ctx.axis_name)
  if adversarial:
    mse_steps = number(hp, "model.mse_steps", integer=True, minimum=0)
    _check_start(config, mse_steps)
    loss = loss_from_config(hp)
    networks["d"] = VGGCritic(widths(hp, "model.d_features"), number(hp, "model.d_dense", integer=True),
                              ctx.axis_name, ctx.dtype, ctx.layers,
                              logit_bias=not shift_invariant(loss))
    players["d"], inputs["d"] = ("d",), (ctx.spec.example("hr"),)
    content = _content_network(hp, ctx)
    if content is not None:
      networks["content"], frozen["content"] = content
      inputs["content"] = (ctx.spec.example("hr"),)
    options.update(
        loss=loss, adversarial=True, mse_steps=mse_steps,
        content=hp.model.content,
        content_weight=float(number(hp, "model.content_weight", minimum=0)),
        l1_weight=float(number(hp, "model.l1_weight", minimum=0)),
        adv_weight=float(number(hp, "model.adv_weight", minimum=0)),
        feature_scale=float(number(hp, "model.feature_scale", above=0)))
  return game(networks, players, inputs, lambda nets: SuperResObjective(nets, **options),
              ema=("g",) if flag(hp, "model.ema") else (), fields={"hr": None, "lr": lr_shape},
              frozen=frozen)


@FAMILIES.register("srresnet")
def build_srresnet(config, ctx: BuildContext):
  return _build(config, ctx, srresnet_defaults(), rrdb=False)


@FAMILIES.register("srgan")
def build_srgan(config, ctx: BuildContext):
  return _build(config, ctx, srgan_defaults(), rrdb=False)


@FAMILIES.register("esrgan")
def build_esrgan(config, ctx: BuildContext):
  return _build(config, ctx, esrgan_defaults(), rrdb=True)
