"""The benchmark suite runs end to end (at tiny sizes: CI measures nothing)."""

import subprocess
import sys

import pytest
from helpers.runs import REPO_ROOT

pytestmark = pytest.mark.slow


def test_benchmark_smoke_writes_every_row(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    out = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "run.py"), "--smoke", "--output", str(output)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    text = output.read_text()
    table = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| ratio")]
    assert len(table) == 26, text  # all 30 rows but the CLI rows at verbose 0 and 1, which the smoke leaves out
    assert all(line.rstrip().endswith(("| yes |", "| NO |")) for line in table)
    assert "TensorFlow imported by `--cfg job`: no." in text
    assert "Versions: Python 3.11" in text
