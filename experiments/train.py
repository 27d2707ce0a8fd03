r"""Trains a GAN from a config file.

  python experiments/train.py --config=experiments/configs/dcgan_fashion_mnist.py --workdir=DIR \
      --config.num_train_steps=2000 --config.batch_size=32 --config.seed=0

Rerunning with the same --workdir resumes from its newest checkpoint. SIGTERM or Ctrl-C saves the
step reached and exits with status 75 (ganjax/train/preemption.py). Several hosts: start one
process per host with --coordinator_address=HOST0:PORT --num_processes=N --process_id=I (or the
JAX_* environment variables, or nothing where JAX detects the cluster).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.runtime.parallel import init_distributed  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.runtime import apply_process_settings  # noqa: E402
from ganjax.train.config_file import check_config_argv  # noqa: E402
from ganjax.train.loop import train_and_evaluate  # noqa: E402
from ganjax.train.preemption import PREEMPTED_EXIT_CODE, Preempted  # noqa: E402

_CONFIG = config_flags.DEFINE_config_file("config", None, "Experiment config file.",
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs and samples.")
_COORDINATOR = flags.DEFINE_string("coordinator_address", None,
                                   "Multi-host: host:port of process 0 (or $JAX_COORDINATOR_ADDRESS).")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Multi-host: number of processes.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "Multi-host: this process's index.")
_DISTRIBUTED = flags.DEFINE_bool("distributed", False,
                                 "Multi-host on a cluster JAX detects (SLURM, TPU, MPI): no other flags needed.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  quiet_library_logs()
  apply_process_settings(_CONFIG.value)  # before anything starts JAX's backend
  init_distributed(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value, _DISTRIBUTED.value)
  logging.info("Config:\n%s", _CONFIG.value)
  try:
    train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  except Preempted as e:  # SIGTERM / SIGINT: the step reached is saved (ganjax/train/preemption.py)
    print(f"ganjax: {e}", file=sys.stderr)
    sys.exit(PREEMPTED_EXIT_CODE)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")


if __name__ == "__main__":
  try:
    check_config_argv(sys.argv)  # a missing file or an unknown field: one line, not a traceback
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  app.run(main)
