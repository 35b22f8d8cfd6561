"""A regular (non-editable) install finds its configs and experiments from any directory."""

import json
import os
import subprocess
import sys

import pytest
from helpers.runs import REPO_ROOT

pytestmark = pytest.mark.slow


def test_regular_install_runs_an_experiment_outside_the_repository(tmp_path):
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(site), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "framework" / "conf" / "train.yaml").is_file()
    assert (site / "framework" / "experiments" / "seed_linear.yaml").is_file()

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "2"}
    where = subprocess.run(
        # Every subpackage is installed (a package missing from setup.cfg's list imports from nowhere).
        [sys.executable, "-c", "import framework, framework.conf, framework.inference.evaluation; print(framework.__file__)"],
        capture_output=True, text=True, cwd=work, env=env,
    )
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    out = subprocess.run(
        [sys.executable, "-m", "framework.train", "+experiment=seed_linear", "strategy=fit", "epochs=2", "hydra.run.dir=run"],
        capture_output=True, text=True, cwd=work, env=env, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Epoch  0: W=5.00 b=0.00" in out.stdout
    assert json.loads((work / "run" / "summary.json").read_text())["epochs"] == 2
