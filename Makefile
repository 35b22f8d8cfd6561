# Two commands do all the set-up on a fresh machine:
#   make run    creates .venv and trains the default experiment (the tutorial)
#   make test   creates .venv and runs the test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= cpu,test

.PHONY: run test test-tensorflow test-jax test-fast bench venv venv-jax gpu-wheels clean

$(BIN)/.installed: setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

venv: $(BIN)/.installed

# backend=jax in an environment without TensorFlow, as JAX users install it.
JAX_VENV := .venv-jax
JAX_BIN := $(JAX_VENV)/bin

$(JAX_BIN)/.installed: setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(JAX_VENV)
	$(JAX_BIN)/python -m pip install --quiet --upgrade pip
	$(JAX_BIN)/python -m pip install --quiet -e ".[jax,test]"
	touch $@

venv-jax: $(JAX_BIN)/.installed

run: venv
	$(BIN)/python -m framework.train $(ARGS)

# The whole suite on TensorFlow, then the backend-dependent tests again on JAX without
# TensorFlow installed. Tests marked slow (subprocesses, pip installs) included. pytest-xdist
# runs test files in parallel, one worker per core (at most 4), each file on one worker.
test: test-tensorflow test-jax

test-tensorflow: venv
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

# The tests whose outcome depends on the backend (training, resume, loggers, metrics, the CLI).
JAX_TESTS ?= tests/test_jax_backend.py tests/test_training.py tests/test_resume.py tests/test_metrics.py \
    tests/test_classification.py tests/test_callbacks.py tests/test_lr_on_plateau.py tests/test_signals.py \
    tests/test_loggers.py tests/test_streaming.py tests/test_data_sources.py tests/test_data_identity.py \
    tests/test_evaluate.py tests/test_fine_tuning.py tests/test_experiments.py tests/test_categorical_columns.py \
    tests/test_step_checkpoints.py tests/test_validation_sets.py
test-jax: venv-jax
	KERAS_BACKEND=jax $(JAX_BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile $(JAX_TESTS) $(PYTEST_ARGS)

# Fast feedback while developing: skips tests marked slow.
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# Wheels for benchmarks/gpu/run.sh on a GPU machine without a package index: the framework
# and the dependencies a JAX-with-CUDA image lacks, for its Python (GPU_PYTHON, default 3.12).
GPU_PYTHON ?= 3.12
gpu-wheels: venv
	rm -rf .whl && mkdir .whl
	$(BIN)/python -m pip wheel --quiet --no-deps -w .whl .
	$(BIN)/python -m pip download --quiet --only-binary=:all: --python-version $(GPU_PYTHON) \
	    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 -d .whl \
	    keras==3.15.1 hydra-core==1.3.2 omegaconf==2.3.0 antlr4-python3-runtime==4.9.3 pydantic pydantic-core \
	    annotated-types typing-inspection namex optree rich markdown-it-py mdurl pygments h5py absl-py PyYAML

clean:
	rm -rf $(VENV) $(JAX_VENV) outputs multirun .pytest_cache

# The benchmark suite: prints every ratio and writes BENCHMARKS.md (about 10 minutes on 2 cores).
bench: venv
	$(BIN)/python benchmarks/run.py
