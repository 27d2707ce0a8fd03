# ganjax: two commands do everything on a fresh machine.
#   make demo   installs what is missing, prepares data, trains the default config, writes samples
#   make test   installs what is missing and runs the whole test suite (CI runs exactly this)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_CONFIG ?= experiments/configs/dcgan_fashion_mnist.py
DEMO_DIR ?= runs/demo
DEMO_STEPS ?= 2000
FASHION_MNIST_DIR := /usr/share/datasets/fashion-mnist
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install data demo test clean-demo fid-reference

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,notebooks,benchmarks,cpu-kernels]'
	touch $@

install: $(VENV)/.installed

# pytorch-fid's reference InceptionV3 for tests/test_inception.py, kept beside the venv and off its
# sys.path: PyPI's torchvision is built against torch's CUDA build and does not import cleanly
# beside the CPU torch the venv has (docs/metrics.md, "InceptionV3"). ~6 s, 24 MB.
FID_REFERENCE := $(VENV)/fid-reference
$(FID_REFERENCE)/.installed: Makefile | $(VENV)/.installed
	rm -rf $(FID_REFERENCE)
	$(PY) -m pip install -q --no-deps --target $(FID_REFERENCE) torchvision==0.28.0 pytorch-fid==0.3.0
	touch $@

fid-reference: $(FID_REFERENCE)/.installed

$(FASHION_MNIST_DIR):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq dataset-fashion-mnist

# emoji32's source (ganjax/data/emoji.py).
$(EMOJI_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq fonts-noto-color-emoji

data: install $(FASHION_MNIST_DIR) $(EMOJI_FONT)
	$(PY) -m ganjax.data.prepare fashion_mnist fashion_mnist32 emoji32 digits ring8 grid25 \
	    edges2fashion sneaker2boot bag2shoe fashion_mnist_sr4 voxel_shapes32

demo: data
	$(PY) experiments/train.py --config=$(DEMO_CONFIG) --workdir=$(DEMO_DIR) \
	    --config.num_train_steps=$(DEMO_STEPS)
	$(PY) experiments/sample.py --workdir=$(DEMO_DIR) --num=64 --out=$(DEMO_DIR)/samples.png
	@echo "Samples: $(DEMO_DIR)/samples.png  metrics: $(DEMO_DIR)/metrics.jsonl" \
	      "checkpoints: $(DEMO_DIR)/checkpoints  TensorBoard: tensorboard --logdir $(DEMO_DIR)"

# Two pytest workers (pytest-xdist): most tests are single-threaded XLA compiles, so two workers
# keep both cores of the 2-core CI machine busy (BENCHMARKS.md, "make test").
TEST_WORKERS ?= 2
test: data fid-reference
	$(PY) -m pytest tests -q -n $(TEST_WORKERS) --durations=15

clean-demo:
	rm -rf $(DEMO_DIR)
