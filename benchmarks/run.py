"""The benchmark suite: `python benchmarks/run.py` prints every ratio and writes BENCHMARKS.md.

All in-process arms run in one process, interleaved (every arm once per
repeat), and each ratio uses the median of the repeats. Throughput is the
marginal rate (steps between a small and a large run over the time between
them), so start-up and tracing are not counted as training.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Run as a script, so its own folder is on sys.path.
import arms  # noqa: E402
import cli  # noqa: E402
import jax_backend  # noqa: E402
import processes  # noqa: E402
import real_tasks  # noqa: E402
import scaleout  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """Epochs of the small and large call of each kind of arm, and repeats."""

    repeats: int
    graph: tuple[int, int]  # arms running ~100k steps/s
    keras: tuple[int, int]  # ~1k steps/s
    slow: tuple[int, int]  # ~50 steps/s
    big_batch: tuple[int, int]
    big_batch_examples: int
    rss_examples: tuple[int, int]
    process_repeats: int
    cli_repeats: int
    smoke: bool  # tiny sizes: checks every arm runs, measures nothing
    real_repeats: int
    digits_epochs: tuple[int, int]
    csv_epochs: tuple[int, int]
    csv_rows: int
    digits_examples: int | None  # a subset of the digits images; None: all of them


FULL = Sizes(5, (2_000, 102_000), (100, 1_100), (10, 110), (20, 3_020), 65_536, (10**5, 10**7), 5, 3, False,
             5, (2, 32), (1, 4), real_tasks.CSV_ROWS, None)
SMOKE = Sizes(1, (10, 60), (5, 15), (2, 4), (2, 4), 4_096, (10**3, 10**4), 1, 1, True, 1, (1, 2), (1, 2), 2_000, 300)


@dataclass(frozen=True)
class Row:
    name: str
    numerator: str
    denominator: str
    target: float
    higher_is_better: bool = True


def measure_throughput(sizes: Sizes) -> dict[str, float]:
    """Median marginal steps/s of every in-process arm."""
    big = sizes.big_batch_examples
    plan = {
        "tape, logging every epoch": (arms.framework_arm("logger.log_every_n_epochs=1"), sizes.graph),
        "hand-written in-graph loop": (arms.hand_written_graph_loop(steps_per_call=1000), sizes.graph),
        "tape, default logging": (arms.framework_arm(), sizes.graph),
        "tape, logging off": (arms.framework_arm("logger=none"), sizes.graph),
        "tutorial eager loop": (arms.eager_tutorial_loop, sizes.keras),
        "fit strategy": (arms.framework_arm("strategy=fit"), sizes.keras),
        "raw model.fit(x, y)": (arms.raw_fit_on_arrays, sizes.slow),
        "raw model.fit, same inputs": (arms.raw_fit_like_the_strategy, sizes.keras),
        f"tape, batch {big}": (arms.framework_arm(f"data.num_examples={big}"), sizes.big_batch),
        f"NumPy SGD, batch {big}": (arms.numpy_sgd(big), sizes.big_batch),
    }
    rates: dict[str, list[float]] = {name: [] for name in plan}
    for repeat in range(sizes.repeats):
        for name, (arm, (small, large)) in plan.items():
            small_time, small_steps = _timed(arm, small)
            large_time, large_steps = _timed(arm, large)
            rates[name].append((large_steps - small_steps) / (large_time - small_time))
        print(f"repeat {repeat + 1}/{sizes.repeats} done", flush=True)
    return {name: statistics.median(values) for name, values in rates.items()}


def _timed(arm, epochs: int) -> tuple[float, int]:
    start = time.perf_counter()
    steps = arm(epochs)
    return time.perf_counter() - start, steps


def measure_processes(sizes: Sizes) -> dict[str, float]:
    small, large = sizes.rss_examples
    streamed = ("data.streaming=true", "data.batch_size=10000", "epochs=1", "verbose=0")
    values: dict[str, list[float]] = {}
    for _ in range(sizes.process_repeats):
        for name, probe in {
            f"peak RSS MiB, {large:.0e} streamed examples": lambda: processes.peak_rss_mib(*streamed, f"data.num_examples={large}"),
            f"peak RSS MiB, {small:.0e} streamed examples": lambda: processes.peak_rss_mib(*streamed, f"data.num_examples={small}"),
            "--cfg job seconds": processes.cfg_job_seconds,
            "first training step seconds": processes.first_step_seconds,
            "import tensorflow seconds": processes.import_tensorflow_seconds,
        }.items():
            values.setdefault(name, []).append(probe())
    medians = {name: statistics.median(v) for name, v in values.items()}
    return medians


def measure_cli(sizes: Sizes) -> dict[str, float]:
    """Epochs/s of every CLI arm (whole processes, marginal), and the default run's wall time."""
    arms = cli.cli_arms(sizes.smoke)
    per_epoch = cli.each_arm_once(arms) if sizes.smoke else cli.marginal_seconds_per_epoch(arms, sizes.cli_repeats)
    print("CLI arms done", flush=True)
    return {**{name: 1.0 / value for name, value in per_epoch.items()}, **cli.default_run_seconds(sizes.cli_repeats)}


def measure_real_tasks(sizes: Sizes) -> dict[str, float]:
    """Examples/s of the digits CNN and the CSV MLP, framework vs plain Keras; CSV load seconds."""
    values: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        csv_path = real_tasks.write_csv(Path(scratch) / "table.csv", sizes.csv_rows)
        for task, epochs in ((real_tasks.digits_task(sizes.digits_examples), sizes.digits_epochs), (real_tasks.csv_task(csv_path), sizes.csv_epochs)):
            arms = {
                f"{task.name}, fit strategy": real_tasks.framework_arm(task, "strategy=fit"),
                f"{task.name}, tape strategy": real_tasks.framework_arm(task),
                f"{task.name}, plain Keras script": real_tasks.plain_keras_arm(task),
            }
            if task.classification:
                arms[f"{task.name}, tape strategy, no metrics"] = real_tasks.framework_arm(task, "metrics=[]")
            values.update(real_tasks.examples_per_second(arms, epochs, sizes.real_repeats, warm_up=not sizes.smoke))
            print(f"{task.name} done", flush=True)
        values.update(real_tasks.csv_load_seconds(csv_path, sizes.real_repeats))
    return values


def measure_jax(sizes: Sizes) -> dict[str, float]:
    """backend=jax: CLI epochs/s beside TensorFlow's, the default run's wall time, in-process arms."""
    values = jax_backend.measure(sizes.smoke, sizes.cli_repeats, sizes.real_repeats)
    print("JAX arms done", flush=True)
    return values


def measure_scaleout(sizes: Sizes) -> dict[str, float]:
    """data_parallel on JAX: the digits CNN's examples/s on 1 and on 2 processes (benchmarks/scaleout.py)."""
    if sizes.smoke:  # every arm's command runs once (a marginal rate needs two runs: not measured)
        values = scaleout.each_arm_once()
    else:
        values = scaleout.examples_per_second((2, 32), sizes.cli_repeats)
    print("scale-out arms done", flush=True)
    return values


def rows(sizes: Sizes) -> list[Row]:
    big = sizes.big_batch_examples
    small, large = sizes.rss_examples
    return [
        Row("tape strategy / hand-written in-graph loop (K=1000, loss, learning rate, W and b logged every epoch, no end-of-run plots)", "tape, logging every epoch", "hand-written in-graph loop", 0.95),
        Row("tape strategy / the tutorial's eager loop, per epoch", "tape, default logging", "tutorial eager loop", 50),
        Row("fit strategy / raw model.fit(x, y, epochs=E) as in the tutorial", "fit strategy", "raw model.fit(x, y)", 10),
        Row("fit strategy / raw model.fit with identical inputs and compile arguments", "fit strategy", "raw model.fit, same inputs", 0.97),
        Row("default logging on / logging off (tape)", "tape, default logging", "tape, logging off", 0.90),
        Row(f"examples/s at batch {big} / hand-written NumPy SGD step", f"tape, batch {big}", f"NumPy SGD, batch {big}", 0.5),
        Row(f"peak RSS training on {large:.0e} streamed examples / on {small:.0e}", f"peak RSS MiB, {large:.0e} streamed examples", f"peak RSS MiB, {small:.0e} streamed examples", 1.2, higher_is_better=False),
        Row("`python -m framework.train --cfg job` wall time, seconds", "--cfg job seconds", "one (reference)", 1.0, higher_is_better=False),
        Row("time to first training step / bare `import tensorflow`", "first training step seconds", "import tensorflow seconds", 1.5, higher_is_better=False),
        *(
            Row(f"CLI, verbose={v}: tape strategy / the tutorial's eager loop script, epochs/s", f"cli tape, verbose={v}", "tutorial eager loop script", 50)
            for v in (0, 1, 2)
        ),
        *(
            Row(f"CLI, verbose={v}: fit strategy / raw model.fit(x, y) script at verbose={v}, epochs/s", f"cli fit, verbose={v}", f"raw model.fit(x, y) script, verbose={v}", 10)
            for v in (0, 1, 2)
        ),
        Row("`python -m framework.train` (the default run) wall time / bare `import tensorflow, keras`", "default run seconds", "import tensorflow, keras seconds", 1.3, higher_is_better=False),
        *(
            row
            for task in ("digits CNN", "CSV MLP")
            for row in (
                Row(f"{task}: fit strategy / plain Keras script on the same arrays, examples/s", f"{task}, fit strategy", f"{task}, plain Keras script", 0.97),
                Row(f"{task}: tape strategy / plain Keras script on the same arrays, examples/s", f"{task}, tape strategy", f"{task}, plain Keras script", 1.0),
            )
        ),
        Row("digits CNN, tape strategy: metrics [accuracy] / no metrics, examples/s", "digits CNN, tape strategy", "digits CNN, tape strategy, no metrics", 0.9),
        Row(f"CSV of {sizes.csv_rows:.0e} rows: the framework's data source / `pandas.read_csv` + NumPy, load seconds", "framework CSV load seconds", "pandas.read_csv + NumPy seconds", 1.5, higher_is_better=False),
        Row("CLI, verbose=0: tape strategy on JAX / on TensorFlow, epochs/s", "cli tape, jax, verbose=0", "cli tape, tensorflow, verbose=0", 3),
        Row("CLI, verbose=0: fit strategy on JAX / on TensorFlow, epochs/s", "cli fit, jax, verbose=0", "cli fit, tensorflow, verbose=0", 3),
        Row("tape strategy on JAX, in-process / a hand-written Keras-on-JAX loop (stateless_call, value_and_grad, stateless_apply, fori_loop), epochs/s", "jax tape, tutorial in-process", "hand-written Keras-on-JAX loop", 0.9),
        Row("digits CNN on JAX: fit strategy / plain Keras script on the same arrays, examples/s", "digits CNN on JAX, fit strategy", "digits CNN on JAX, plain Keras script", 0.97),
        Row("digits CNN on JAX: tape strategy / plain Keras script on the same arrays, examples/s", "digits CNN on JAX, tape strategy", "digits CNN on JAX, plain Keras script", 1.0),
        Row("`python -m framework.train backend=jax` (the default run) wall time / bare `import jax, keras`", "default run on JAX seconds", "import jax, keras seconds", 1.3, higher_is_better=False),
        *(
            Row(f"data_parallel on JAX, digits CNN, {strategy}: 2 processes / 1 process on the CPU (same global batch), examples/s",
                f"data_parallel digits CNN, {strategy}, 2 processes", f"data_parallel digits CNN, {strategy}, 1 process", 1.0)
            for strategy in ("tape", "fit")
        ),
    ]


def report(sizes: Sizes, values: dict[str, float], tf_imported_for_cfg_job: bool) -> str:
    import keras
    import tensorflow as tf

    missed: list[Row] = []
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `python benchmarks/run.py` on {datetime.date.today().isoformat()}.",
        f"Machine: {_cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}; "
        f"GPUs TensorFlow sees: {len(tf.config.list_physical_devices('GPU')) or 'none'}.",
        f"Versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}.",
        *([] if tf.config.list_physical_devices("GPU") else
          ["No GPU table: TensorFlow sees no GPU here; the same command on a machine with one measures every row there."]),
        f"Method: in-process arms interleaved, median of {sizes.repeats} repeats, marginal steps/s between a small and a large run; "
        f"process rows median of {sizes.process_repeats}; CLI rows: whole `python -m framework.train` processes at default settings, "
        f"marginal epochs/s between a short and a long process, interleaved, median of {sizes.cli_repeats}; "
        f"real tasks: in-process runs of the task's config (verbose=0) against a plain Keras script on the same arrays, "
        f"marginal training examples/s between {sizes.digits_epochs} (digits) and {sizes.csv_epochs} (CSV) epochs, "
        f"interleaved, median of {sizes.real_repeats}.",
        "",
        "| ratio | measured | ratio | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in rows(sizes):
        if row.numerator not in values or row.denominator not in values:
            continue  # a section left out with --only
        numerator, denominator = values[row.numerator], values[row.denominator]
        ratio = numerator / denominator
        met = ratio >= row.target if row.higher_is_better else ratio <= row.target
        if not met:
            missed.append(row)
        sign = ">=" if row.higher_is_better else "<="
        lines.append(
            f"| {row.name} | {numerator:,.3g} / {denominator:,.3g} | {ratio:,.3g} | {sign} {row.target:g} | {'yes' if met else 'NO'} |"
        )
    lines.append("")
    lines.append(f"TensorFlow imported by `--cfg job`: {'yes (NOT at target)' if tf_imported_for_cfg_job else 'no'}.")
    lines.append("")
    lines.append("Throughput of every arm (steps/s, or the process measure):")
    lines.append("")
    lines.extend(f"- {name}: {value:,.4g}" for name, value in values.items() if name != "one (reference)")
    if missed:
        lines += ["", "## Rows below target: what was tried, and the measured reason", ""]
        lines += [_explanation(row) for row in missed]
    return "\n".join(lines) + "\n"


def _explanation(row: Row) -> str:
    """The section of below_target.md about `row`."""
    heading = f"### {row.numerator} / {row.denominator}"
    sections = (Path(__file__).parent / "below_target.md").read_text().split("\n### ")
    for section in sections[1:]:
        if f"### {section}".startswith(heading + "\n"):
            return f"### {section.strip()}\n"
    return f"{heading}\n\nNo explanation is recorded yet.\n"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


SECTIONS = {
    "loop": measure_throughput,
    "processes": measure_processes,
    "cli": measure_cli,
    "real": measure_real_tasks,
    "jax": measure_jax,
    "scaleout": measure_scaleout,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: checks the suite runs, measures nothing")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="measure these sections only (and write no BENCHMARKS.md unless --output is given)")
    parser.add_argument("--output", type=Path, help="where the table goes; default BENCHMARKS.md for a full run")
    options = parser.parse_args()
    sizes = SMOKE if options.smoke else FULL
    sections = options.only or list(SECTIONS)
    values = {"one (reference)": 1.0}
    values |= {name: value for section in sections for name, value in SECTIONS[section](sizes).items()}
    text = report(sizes, values, processes.imports_tensorflow_for_cfg_job())
    print(text)
    output = options.output or (None if options.only else Path(__file__).resolve().parents[1] / "BENCHMARKS.md")
    if output is not None:
        output.write_text(text)
        print(f"Written to {output}")


if __name__ == "__main__":
    main()
