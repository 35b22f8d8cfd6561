"""distribution=data_parallel on JAX: the digits CNN on 1 process against 2 processes on the CPU.

    python benchmarks/scaleout.py [--repeats 3] [--epochs 2 32]

Every arm is a whole command (`python -m framework.train` for one process,
`python -m framework.launch --workers 2` for two), at the same global batch;
its training examples/s is the marginal rate between a short and a long run
(start-up, joining and compiling cancel out). Arms are interleaved; each rate
is the median of the repeats. Prints one line per arm and the ratios that
BENCHMARKS.md quotes; `benchmarks/run.py --only scaleout` puts the rows in
its table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# 896 training, 128 validation, 256 test examples in batches of 64: every batch splits over 2 devices.
DIGITS = ("+experiment=digits_cnn", "data.num_examples=1280", "backend=jax", "distribution=data_parallel",
          "logger=none", "plots=false", "verbose=0")
TRAIN_EXAMPLES = 896
_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def command(processes: int, strategy: str, epochs: int, scratch: str) -> list[str]:
    """The arm's argv: `processes` processes of one CPU device each, training the digits CNN."""
    start = ["-m", "framework.train"] if processes == 1 else ["-m", "framework.launch", "--workers", str(processes)]
    return [sys.executable, *start, *DIGITS, f"strategy={strategy}", f"epochs={epochs}", f"hydra.run.dir={scratch}/run"]


def arms() -> dict[str, tuple[int, str]]:
    return {
        f"data_parallel digits CNN, {strategy}, {processes} process{'es' if processes > 1 else ''}": (processes, strategy)
        for strategy in ("tape", "fit") for processes in (1, 2)
    }


def examples_per_second(epochs: tuple[int, int], repeats: int) -> dict[str, float]:
    """Every arm's training examples/s, marginal between `epochs` short and long, interleaved, median of `repeats`."""
    rates: dict[str, list[float]] = {name: [] for name in arms()}
    for _ in range(repeats):
        for name, (processes, strategy) in arms().items():
            seconds = []
            for count in epochs:
                with tempfile.TemporaryDirectory(prefix="scaleout-") as scratch:
                    seconds.append(_seconds(command(processes, strategy, count, scratch)))
            rates[name].append((epochs[1] - epochs[0]) * TRAIN_EXAMPLES / (seconds[1] - seconds[0]))
    return {name: statistics.median(values) for name, values in rates.items()}


def each_arm_once() -> dict[str, float]:
    """Runs every arm's command for one epoch (the smoke run's check that they run); rates NaN."""
    for processes, strategy in arms().values():
        with tempfile.TemporaryDirectory(prefix="scaleout-") as scratch:
            _seconds(command(processes, strategy, 1, scratch))
    return dict.fromkeys(arms(), float("nan"))


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs=2, default=(2, 32))
    arguments = parser.parse_args()
    rates = examples_per_second(tuple(arguments.epochs), arguments.repeats)
    for name, rate in rates.items():
        print(f"{name}: {rate:.4g} examples/s")
    for strategy in ("tape", "fit"):
        two, one = (rates[f"data_parallel digits CNN, {strategy}, {n}"] for n in ("2 processes", "1 process"))
        print(f"{strategy}: 2 processes / 1 process, examples/s: {two:.4g} / {one:.4g} = {two / one:.3f}")


if __name__ == "__main__":
    main()
