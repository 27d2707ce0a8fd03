"""The seed DCGAN on Fashion-MNIST (default config of `make demo`)."""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.dataset = ml_collections.ConfigDict(dict(name="fashion_mnist", source_dir=None, data_dir=None))
  c.model = ml_collections.ConfigDict(dict(name="dcgan", latent_dim=32, dropout_rate=0.4,
                                           upsample="subpixel", conv_grad="subpixel",
                                           spectral_norm=False,
                                           # "auto": oneDNN's convolutions on a single-device
                                           # float32 CPU when built (1.2x at batch 256), else
                                           # XLA's; "xla" / "onednn" force one (ganjax/kernels).
                                           conv_kernels="auto"))
  c.objective = "unconditional"
  c.loss = "non_saturating"  # any ganjax.losses.LOSSES name
  c.loss_kwargs = ml_collections.ConfigDict()  # e.g. {"label_smoothing": 0.1} for non_saturating
  # D regularizers by name -> hyperparameters (ganjax.regularizers), e.g. {"r1": {"weight": 1.0}}.
  c.regularizers = ml_collections.ConfigDict()
  # RMSprop with Keras' defaults, as the seed compiles both models.
  c.g_optimizer = ml_collections.ConfigDict(dict(name="rmsprop", learning_rate=1e-3))
  c.d_optimizer = ml_collections.ConfigDict(dict(name="rmsprop", learning_rate=1e-3))
  c.batch_size = 32
  c.num_train_steps = 2000
  c.d_steps = 1
  c.ema_decay = 0.999
  c.dtype = "float32"
  c.num_devices = 0  # 0 = all visible devices
  c.parallelism = "jit"  # "jit": sharded jax.jit; "pmap": per-device step under jax.shard_map
  c.pmap_impl = "shard_map"  # pmap mode: "shard_map", or "jax_pmap" (legacy jax.pmap, one process)
  c.fsdp = False  # jit mode: shard parameters and optimizer state over the `data` axis too
  c.model_parallel = 1  # size of the mesh's `model` axis
  # Speed (BENCHMARKS.md): k steps per dispatch under lax.scan (same results as k = 1); blocks of
  # batches staged this many blocks ahead by a background thread (0 = inline); the persistent
  # compilation cache directory ("" = off).
  c.steps_per_dispatch = 1
  c.prefetch = 0
  c.compilation_cache_dir = "~/.cache/ganjax/jax_compilation"
  # XLA:CPU: True sends dots to YNNPACK (XLA's default); False (ganjax's default) keeps XLA's own
  # kernels, 1.17x / 1.48x faster for this step at batch 32 / 256 on the 2-core CPU
  # (ganjax/xla_options.py). Other backends ignore it.
  c.xla_cpu_ynnpack = False
  # XLA:CPU: "memory_optimized" (ganjax's default) schedules large independent ops one after
  # another instead of at once: 1.08x at batch 256 on the 2-core CPU; "default" is XLA's.
  c.xla_cpu_scheduler = "memory_optimized"
  # Host memory (glibc): "retain" keeps the memory XLA frees between steps in the process instead
  # of unmapping and re-faulting it each step (ganjax/host_memory.py); "system" is glibc's own
  # behaviour. Takes effect only if set before JAX's backend starts (build_experiment does).
  c.host_memory = "retain"
  c.log_every = 50
  c.sample_every = 500
  c.num_grid_samples = 64
  c.checkpoint_every = 500
  c.keep_checkpoints = 3
  # A run stops after this many consecutive steps with NaN/Inf losses or gradients (each skipped).
  c.max_bad_steps = 20
  # Periodic evaluation (ganjax/metrics/periodic.py): every eval_every steps (0 = off) score
  # eval_num_samples EMA samples with eval_feature_net; the best FID checkpoint goes to checkpoints_best/.
  c.eval_every = 0
  c.eval_metrics = "fid,kid"  # comma-separated ganjax.metrics.evaluation.METRICS names
  c.eval_num_samples = 2000
  c.eval_feature_net = "fashion_mnist_cnn"
  # Fault injection for tests: steps whose batch is replaced by NaN.
  c.debug = ml_collections.ConfigDict(dict(nan_at_steps=(-1,)))
  # Augmentation and techniques, all off (README "Augmentation and techniques").
  c.augment = ml_collections.ConfigDict(dict(policy="", p=1.0, ada=False, ada_p_init=0.0,
                                             ada_target=0.6, ada_interval=4, ada_kimg=500.0))
  c.g_objective = "adversarial"  # or "feature_matching"
  c.model.minibatch_stddev = False
  c.model.minibatch_stddev_group = 4
  c.model.minibatch_discrimination = 0  # number of kernels; 0 = off
  c.model.minibatch_kernel_dim = 5
  c.model.g_norm = "batch"  # or "virtual_batch" (DCGAN generator)
  c.model.vbn_reference_size = 32
  return c
