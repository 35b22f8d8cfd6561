"""The command line, as users run it: real subprocesses."""

import json
import sys
from pathlib import Path

import pytest
from helpers.events import read_scalars
from helpers.probes import PROBE, imported_tensorflow
from helpers.runs import run_cli

pytestmark = pytest.mark.slow  # each test starts Python (and most TensorFlow)


def test_tutorial_run_prints_the_tutorials_lines(tmp_path):
    out = run_cli("+experiment=seed_linear", f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("Epoch")]
    assert len(lines) == 10
    assert lines[0].startswith("Epoch  0: W=5.00 b=0.00, loss=")
    assert lines[9].startswith("Epoch  9: W=")
    assert {p.name for p in tmp_path.iterdir()} >= {".hydra", "tensorboard", "model.keras", "summary.json", "train.log"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert abs(summary["variables"]["linear/W"] - 3) < 0.35 and abs(summary["variables"]["linear/b"] - 2) < 0.35


@pytest.mark.parametrize(
    "override, expected",
    [
        ("model=no_such_model", r"model=no_such_model: there is no option 'no_such_model' in config group 'model'. Available options: (\w+, )*linear, my_dense, sequential"),
        ("optimizer.learning_rate=abc", r"optimizer.learning_rate='abc' is invalid: input should be a valid number"),
        ("data.num_examples=-5", r"data.num_examples=-5 is invalid: input should be greater than or equal to 1"),
        ("data.no_such_key=1", r"data.no_such_key=1: 'no_such_key' is not a key of data. Valid keys: name, num_examples, batch_size"),
        ("optimizer.learning_rate=0", r"optimizer.learning_rate=0(\.0)? is invalid: input should be greater than 0"),
        ("epochs=0", r"epochs=0 is invalid: input should be greater than or equal to 1"),
        ("data.batch_size=0", r"data.batch_size=0 is invalid: input should be greater than or equal to 1"),
    ],
)
def test_bad_input_gives_one_clear_error_without_traceback(tmp_path, override, expected):
    import re

    out = run_cli(override, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 2
    assert re.search(expected, out.stderr), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "run" / "model.keras").exists()


def test_full_error_shows_the_traceback_when_asked(tmp_path):
    out = run_cli("data.num_examples=-5", f"hydra.run.dir={tmp_path}", env={"HYDRA_FULL_ERROR": "1"})
    assert out.returncode != 0
    assert "Traceback" in out.stderr and "ConfigError" in out.stderr


def test_cfg_job_and_help_do_not_import_tensorflow(tmp_path):
    import subprocess

    outputs = {}
    for flag in ("--cfg job", "--help"):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, "framework.train", *flag.split()], capture_output=True, text=True, cwd=tmp_path, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert not imported_tensorflow(out.stderr), flag
        outputs[flag] = out.stdout
    assert "name: linear" in outputs["--cfg job"] and outputs["--help"].startswith("usage: python -m framework.train")


def test_console_script_runs_from_any_directory(tmp_path):
    import shutil
    import subprocess

    script = shutil.which("framework-train", path=str(Path(sys.executable).parent))
    assert script, "the console script framework-train is not installed"
    out = subprocess.run(
        [script, "+experiment=seed_linear", "strategy=fit", "epochs=2", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, cwd=tmp_path, timeout=180,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["strategy"] == "fit"


def test_multirun_gives_each_job_a_tensorboard_run(tmp_path):
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    out = run_cli(
        "-m", "+experiment=seed_linear", "strategy=tape,fit", "epochs=3", f"hydra.sweep.dir={tmp_path}", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    jobs = sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith("."))
    # Job directories are named by number and overrides, so TensorBoard's run names tell them apart.
    assert jobs == ["0_+experiment=seed_linear,epochs=3,strategy=tape", "1_+experiment=seed_linear,epochs=3,strategy=fit"]
    multiplexer = EventMultiplexer().AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    assert sorted(multiplexer.Runs()) == [f"{job}/tensorboard" for job in jobs]
    losses = [read_scalars(tmp_path / job / "tensorboard")["epoch/loss"] for job in jobs]
    assert [step for step, _ in losses[0]] == [1, 2, 3]
    assert [v for _, v in losses[0]] == pytest.approx([v for _, v in losses[1]], abs=1e-5)
