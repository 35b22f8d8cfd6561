#!/usr/bin/env bash
# The GPU table on a machine with an NVIDIA GPU, JAX with CUDA and no TensorFlow, and
# no package index: installs the wheels brought along in .whl/ (make gpu-wheels builds
# them for the machine's Python), then writes the table to $OUT/gpu_table.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv --system-site-packages /tmp/gpu-venv     # JAX (CUDA), NumPy, scikit-learn from the machine
/tmp/gpu-venv/bin/pip install --quiet --no-index --find-links .whl --no-deps .whl/*.whl
KERAS_BACKEND=jax /tmp/gpu-venv/bin/python benchmarks/gpu/gpu_table.py --output "${OUT:-.}/gpu_table.md" "$@"
