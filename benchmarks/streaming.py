"""Streaming tables against the in-memory source: throughput, peak memory, time to the first batch.

    python benchmarks/streaming.py [--scratch /tmp/streaming-bench] [--repeats 3]

Writes its tables under --scratch (about 0.5 GB; removed at the end) and prints
one line per measure, the numbers BENCHMARKS.md quotes:

- examples/s of the CSV MLP (10^6 rows, batch 1024) streamed / held in memory,
  marginal between 1 and 3 epochs, per strategy;
- peak RSS of one training epoch (a whole process) on 3e6 rows streamed from
  CSV and from Parquet / on 4e4 rows streamed and held in memory;
- seconds from nothing to the first training batch (build the source, record
  the data's identity, read batch 0) on the 3e6-row CSV, streamed and in memory.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import peak_rss_mib  # noqa: E402
from real_tasks import csv_task, write_csv  # noqa: E402

STREAM = "data.stream=true"
QUIET = ("logger=none", "plots=false", "verbose=0", "data.val_fraction=0.1")


def write_parquet(csv_path: Path, path: Path) -> Path:
    """The CSV file as Parquet, converted a block at a time (row groups of 65536 rows)."""
    import pyarrow.csv
    import pyarrow.parquet

    reader = pyarrow.csv.open_csv(csv_path)
    with pyarrow.parquet.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=65536)
    return path


def examples_per_second(path: Path, strategy: str, stream: bool, repeats: int) -> float:
    """Training examples/s, marginal between 1 and 3 epochs (start-up and tracing cancel out)."""
    import tempfile

    from framework.config import compose
    from framework.run import run

    overrides = [*csv_task(path).overrides, *QUIET, f"strategy={strategy}", *([STREAM] if stream else [])]
    rates = []
    for _ in range(repeats):
        seconds = {}
        for epochs in (1, 3):
            with tempfile.TemporaryDirectory() as run_dir:
                start = time.perf_counter()
                result = run(compose([*overrides, f"epochs={epochs}"]), Path(run_dir) / "run")
                seconds[epochs] = time.perf_counter() - start
        examples = result.global_step // 3 * 1024  # steps per epoch x batch (the last batch counted whole)
        rates.append(2 * examples / (seconds[3] - seconds[1]))
    return statistics.median(rates)


def first_batch_seconds(path: Path, stream: bool) -> float:
    from framework.config import compose
    from framework.config.plan import plan_run
    from framework.data.identity import data_identity

    plan = plan_run(compose([*csv_task(path).overrides, *([STREAM] if stream else [])]))
    start = time.perf_counter()
    data = plan.build("data")
    data_identity(data.data_files)
    data.train_batch(0, 0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/streaming-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    scratch = arguments.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        million = write_csv(scratch / "rows_1e6.csv", 10**6)
        for strategy in ("tape", "fit"):
            streamed = examples_per_second(million, strategy, True, arguments.repeats)
            held = examples_per_second(million, strategy, False, arguments.repeats)
            print(f"CSV MLP 1e6 rows, {strategy}: streamed / in memory, examples/s: {streamed:.4g} / {held:.4g} = {streamed / held:.3f}")
        big, small = write_csv(scratch / "rows_3e6.csv", 3 * 10**6), write_csv(scratch / "rows_4e4.csv", 4 * 10**4)
        big_parquet = write_parquet(big, scratch / "rows_3e6.parquet")
        one_epoch = [*csv_task(big).overrides[3:], *QUIET, "epochs=1", "data.target=y"]
        rss = {
            "3e6 CSV streamed": peak_rss_mib("data=csv", f"data.path={big}", STREAM, *one_epoch),
            "3e6 Parquet streamed": peak_rss_mib("data=parquet", f"data.path={big_parquet}", *one_epoch),
            "4e4 CSV streamed": peak_rss_mib("data=csv", f"data.path={small}", STREAM, *one_epoch),
            "4e4 CSV in memory": peak_rss_mib("data=csv", f"data.path={small}", *one_epoch),
        }
        for name in ("3e6 CSV streamed", "3e6 Parquet streamed"):
            for base in ("4e4 CSV streamed", "4e4 CSV in memory"):
                print(f"peak RSS MiB, one epoch: {name} / {base}: {rss[name]:.0f} / {rss[base]:.0f} = {rss[name] / rss[base]:.3f}")
        for stream in (True, False):
            seconds = statistics.median(first_batch_seconds(big, stream) for _ in range(arguments.repeats))
            print(f"seconds to the first batch of the 3e6-row CSV ({'streamed' if stream else 'in memory'}, identity included): {seconds:.3g}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
