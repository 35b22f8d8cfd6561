"""Streaming tables against the in-memory source: throughput, peak memory, time to the first batch.

    python benchmarks/streaming.py [--scratch /tmp/streaming-bench] [--repeats 3]

Writes its tables under --scratch (about 0.6 GB; removed at the end) and prints
one line per measure, the numbers BENCHMARKS.md quotes:

- examples/s of the CSV MLP (10^6 rows, batch 1024) streamed / held in memory,
  marginal between 1 and 6 epochs, from the CSV file and from the same rows as
  Parquet, per backend and strategy (each epoch count's fastest of --repeats
  runs: other work on a shared machine only adds time; the JAX rows run in a
  process of their own with KERAS_BACKEND=jax, as Keras loads one backend per
  process);
- peak RSS of one training epoch (a whole process) on 3e6 rows streamed from
  CSV and from Parquet, and held in memory (for scale) / on 4e4 rows streamed
  and held in memory;
- seconds from nothing to the first training batch (build the source, record
  the data's identity, read batch 0) on the 3e6-row CSV, streamed and in memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import peak_rss_mib  # noqa: E402
from real_tasks import csv_task, write_csv  # noqa: E402

STREAM = "data.stream=true"
# Epochs of the long run: 5 marginal epochs of an in-memory arm last 1-3 s, above the
# spread of whole runs on a shared machine (2 marginal epochs were not).
LONG_RUN = 6
QUIET = ("logger=none", "plots=false", "verbose=0", "data.val_fraction=0.1")


def write_parquet(csv_path: Path, path: Path) -> Path:
    """The CSV file as Parquet, converted a block at a time (a row group per block pyarrow's
    reader parses: about 12700 rows of the benchmark's table)."""
    import pyarrow.csv
    import pyarrow.parquet

    reader = pyarrow.csv.open_csv(csv_path)
    with pyarrow.parquet.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=65536)
    return path


def table_overrides(path: Path, stream: bool) -> list[str]:
    """The CSV MLP task on `path` (a .csv or .parquet file), streamed or held in memory."""
    data = "data=parquet" if path.suffix == ".parquet" else "data=csv"
    return [data, *csv_task(path).overrides[1:], f"data.stream={str(stream).lower()}"]


def examples_per_second(path: Path, strategy: str, stream: bool, backend: str, repeats: int) -> float:
    """Training examples/s, marginal between 1 and LONG_RUN epochs (start-up and tracing cancel out);
    each length's fastest of `repeats` runs, as other work on the machine only ever adds time."""
    import tempfile

    from framework.config import compose
    from framework.run import run

    overrides = [*table_overrides(path, stream), *QUIET, f"strategy={strategy}", f"backend={backend}"]
    seconds = {1: [], LONG_RUN: []}
    for _ in range(repeats):
        for epochs in seconds:
            with tempfile.TemporaryDirectory() as run_dir:
                start = time.perf_counter()
                result = run(compose([*overrides, f"epochs={epochs}"]), Path(run_dir) / "run")
                seconds[epochs].append(time.perf_counter() - start)
    examples = result.global_step // LONG_RUN * 1024  # steps per epoch x batch (the last batch counted whole)
    return (LONG_RUN - 1) * examples / (min(seconds[LONG_RUN]) - min(seconds[1]))


def print_rates(tables: list[Path], backend: str, repeats: int) -> None:
    """One line per table and strategy: streamed / in memory examples/s."""
    for path in tables:
        for strategy in ("tape", "fit"):
            streamed = examples_per_second(path, strategy, True, backend, repeats)
            held = examples_per_second(path, strategy, False, backend, repeats)
            name = "Parquet" if path.suffix == ".parquet" else "CSV"
            print(f"{name} MLP 1e6 rows, {backend} {strategy}: streamed / in memory, examples/s: "
                  f"{streamed:.4g} / {held:.4g} = {streamed / held:.3f}", flush=True)


def print_jax_rates(tables: list[Path], repeats: int) -> None:
    """print_rates on JAX, in a process of its own."""
    command = [sys.executable, __file__, "--jax-rates", *map(str, tables), "--repeats", str(repeats)]
    subprocess.run(command, env={**os.environ, "KERAS_BACKEND": "jax"}, check=True, stderr=subprocess.DEVNULL)


def first_batch_seconds(path: Path, stream: bool) -> float:
    from framework.config import compose
    from framework.config.plan import plan_run
    from framework.data.identity import data_identity

    plan = plan_run(compose(table_overrides(path, stream)))
    start = time.perf_counter()
    data = plan.build("data")
    data_identity(data.data_files)
    data.train_batch(0, 0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/streaming-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jax-rates", type=Path, nargs="+", help="only the JAX throughput rows of these tables")
    arguments = parser.parse_args()
    if arguments.jax_rates:
        print_rates(arguments.jax_rates, "jax", arguments.repeats)
        return
    scratch = arguments.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        million = write_csv(scratch / "rows_1e6.csv", 10**6)
        tables = [million, write_parquet(million, scratch / "rows_1e6.parquet")]
        print_rates(tables, "tensorflow", arguments.repeats)
        print_jax_rates(tables, arguments.repeats)
        big, small = write_csv(scratch / "rows_3e6.csv", 3 * 10**6), write_csv(scratch / "rows_4e4.csv", 4 * 10**4)
        big_parquet = write_parquet(big, scratch / "rows_3e6.parquet")
        one_epoch = [*csv_task(big).overrides[3:], *QUIET, "epochs=1", "data.target=y"]
        rss = {
            "3e6 CSV streamed": peak_rss_mib("data=csv", f"data.path={big}", STREAM, *one_epoch),
            "3e6 Parquet streamed": peak_rss_mib("data=parquet", f"data.path={big_parquet}", *one_epoch),
            "4e4 CSV streamed": peak_rss_mib("data=csv", f"data.path={small}", STREAM, *one_epoch),
            "4e4 CSV in memory": peak_rss_mib("data=csv", f"data.path={small}", *one_epoch),
            "3e6 CSV in memory": peak_rss_mib("data=csv", f"data.path={big}", *one_epoch),  # the growth streaming avoids
        }
        for name in ("3e6 CSV streamed", "3e6 Parquet streamed", "3e6 CSV in memory"):
            for base in ("4e4 CSV streamed", "4e4 CSV in memory"):
                print(f"peak RSS MiB, one epoch: {name} / {base}: {rss[name]:.0f} / {rss[base]:.0f} = {rss[name] / rss[base]:.3f}")
        for stream in (True, False):
            seconds = statistics.median(first_batch_seconds(big, stream) for _ in range(arguments.repeats))
            print(f"seconds to the first batch of the 3e6-row CSV ({'streamed' if stream else 'in memory'}, identity included): {seconds:.3g}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
