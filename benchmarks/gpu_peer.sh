#!/usr/bin/env bash
# Issues 7 and 19 on a GPU, in one call of the device tool: ganjax vs the PyTorch peers (the DCGAN
# at batch 32 and 256, float32 and bfloat16; the SNGAN ResNet and StyleGAN2-32 at 32 and 64), with
# images/s, model FLOPs, MFU and peak device memory.
#
#   bash benchmarks/gpu_peer.sh --fetch   # here (CPU machine): the wheels the GPU image lacks
#                                         # (benchmarks/gpu_wheels.txt) into .whl/, ~11 MB
#   # then, through the device tool, with carry [".whl"] and timeout_s ~540:
#   bash benchmarks/gpu_peer.sh           # writes $OUT/compare_fp32.md, compare_bf16.md, env.txt
#
# The H200 image has JAX (CUDA), flax, optax, orbax and torch (CUDA) but not tfds, grain or
# ml_collections (the device README's KINDS.md). --fetch builds Python 3.12 wheels (that image's
# Python) with a local python3.12 (pyenv has one here); promise is an sdist, hence `pip wheel`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--fetch" ]]; then
  py=""
  for c in "${PYTHON312:-}" /root/.pyenv/versions/3.12*/bin/python python3.12; do
    if [[ -n "$c" ]] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      py=$c; break
    fi
  done
  [[ -n "$py" ]] || { echo "gpu_peer.sh --fetch needs a Python 3.12 (set PYTHON312)" >&2; exit 1; }
  rm -rf .whl && mkdir -p .whl
  grep -v '^#' benchmarks/gpu_wheels.txt | xargs "$py" -m pip wheel -q --no-deps -w .whl
  du -sh .whl
  exit 0
fi

out=${OUT:-/tmp/gpu_peer}
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  python3 -c "import jax, torch; print('jax', jax.__version__, jax.devices()); print('torch', torch.__version__, torch.cuda.get_device_name())"
} 2>&1 | tee "$out/env.txt"

# Steps per window scale as 32 / batch (compare_peer): 320 at batch 32, 40 at batch 256.
common=(--gpu --cache --batch_sizes=32,256 --rounds=2 --windows=3 --steps=320
        --set=runtime.compilation_cache_dir=/tmp/ganjax_jax_cache)
python3 benchmarks/compare_peer.py "${common[@]}" 2>&1 | tee "$out/compare_fp32.md"
python3 benchmarks/compare_peer.py "${common[@]}" --bf16 2>&1 | tee "$out/compare_bf16.md"
# Issue 19's architectures at their batch sizes (32, 64), float32: the SNGAN ResNet and StyleGAN2-32
# on emoji32-shaped batches (the timing uses random device-resident batches; the dataset is only
# read for its spec, so prepare emoji32 where the GPU image lacks the font: the builder then fails
# with a clear error and these lines are skipped).
for model in sngan stylegan2; do
  python3 benchmarks/compare_peer.py --model=$model --gpu --cache --batch_sizes=32,64 --rounds=2 \
      --windows=3 --steps=160 --set=runtime.compilation_cache_dir=/tmp/ganjax_jax_cache \
      2>&1 | tee "$out/compare_${model}_fp32.md" || true
done
# Layers: runtime.layers = "auto" builds flax's plain layers on a GPU (ganjax/backends; the
# XLA:CPU set is for the CPU backend only and refused elsewhere), so there is no layer variant to
# time here.
