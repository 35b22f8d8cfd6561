"""A finished two-job multirun as a user sees it: the console, a real TensorBoard
server's HTTP data API, and its dashboard in a headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import numpy as np
import pytest
from helpers.runs import run_cli
from helpers.tensorboard_server import get, tensorboard_server

pytestmark = pytest.mark.slow

JOBS = {"tape": "0_epochs=3,strategy=tape", "fit": "1_epochs=3,strategy=fit"}

@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    """<root>/sweep: the two-job multirun; <root>/sequential: a run whose
    model has tensor variables, so there are histograms to serve."""
    from framework.config import compose
    from framework.run import run

    root = tmp_path_factory.mktemp("view")
    out = run_cli("-m", f"hydra.sweep.dir={root / 'sweep'}", "strategy=tape,fit", "epochs=3", cwd=root, timeout=300)
    assert out.returncode == 0, out.stderr
    cfg = compose(["model=sequential", "epochs=2"])
    run(cfg, root / "sequential")
    return root, out.stdout


@pytest.fixture(scope="module")
def server(logdir):
    """A real TensorBoard on 127.0.0.1 at a free port, serving the three runs; stopped after the module."""
    root, _ = logdir
    with tensorboard_server(root, ready=lambda url: len(get(url, "/data/runs")) >= 3) as url:
        yield url


def _post(url: str, path: str, body: dict):
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _run(job: str) -> str:
    return f"sweep/{JOBS[job]}/tensorboard"


def test_console_says_which_job_of_how_many_and_how_to_view_the_sweep(logdir):
    root, stdout = logdir
    assert "Job 1 of 2: strategy=tape epochs=3" in stdout
    assert "Job 2 of 2: strategy=fit epochs=3" in stdout
    for job_dir in JOBS.values():
        assert f"run directory: {root / 'sweep' / job_dir}" in stdout
    assert stdout.count(f"tensorboard --logdir {root / 'sweep'}") == 3  # after each job and at the end


def test_each_job_directory_holds_the_plots(logdir):
    root, _ = logdir
    for job_dir in JOBS.values():
        assert {p.name for p in (root / "sweep" / job_dir).glob("*.png")} == {"predictions.png", "variables.png", "loss.png"}


def test_server_serves_both_jobs_loss_and_variable_curves(server):
    tags = get(server, "/data/plugin/scalars/tags")
    for job in JOBS:
        assert {"epoch/loss", "epoch/learning_rate", "variables/linear/W", "variables/linear/b"} <= set(tags[_run(job)])
        loss = get(server, "/data/plugin/scalars/scalars", run=_run(job), tag="epoch/loss")
        assert [step for _, step, _ in loss] == [1, 2, 3]
        w = get(server, "/data/plugin/scalars/scalars", run=_run(job), tag="variables/linear/W")
        assert w[0][2] == 5.0 and 3.0 < w[-1][2] < 5.0
    np.testing.assert_allclose(
        [v for *_, v in get(server, "/data/plugin/scalars/scalars", run=_run("tape"), tag="epoch/loss")],
        [v for *_, v in get(server, "/data/plugin/scalars/scalars", run=_run("fit"), tag="epoch/loss")],
        atol=1e-5,
    )


def test_server_serves_histograms_of_tensor_variables(server):
    tags = get(server, "/data/plugin/histograms/tags")["sequential/tensorboard"]
    kernels = [tag for tag in tags if tag.startswith("variables/") and tag.endswith("kernel")]
    assert kernels, tags
    histograms = get(server, "/data/plugin/histograms/histograms", run="sequential/tensorboard", tag=kernels[0])
    assert [step for _, step, _ in histograms][0] == 0 and len(histograms) == 3  # before training and 2 epochs
    assert all(len(buckets) > 0 for *_, buckets in histograms)


def test_server_serves_the_plots_as_images(server):
    tags = get(server, "/data/plugin/images/tags")
    for job in JOBS:
        assert {"plots/predictions", "plots/variables", "plots/loss"} <= set(tags[_run(job)])
    [entry] = get(server, "/data/plugin/images/images", run=_run("tape"), tag="plots/predictions")
    assert entry["step"] == 3
    png = get(server, f"/data/plugin/images/individualImage?{entry['query']}")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_hparams_dashboard_lists_both_jobs_with_their_config_and_metrics(server, logdir):
    groups = _post(
        server,
        "/data/plugin/hparams/session_groups",
        {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS"], "colParams": [], "startIndex": 0, "sliceSize": 100},
    )["sessionGroups"]
    by_strategy = {
        group["hparams"]["strategy.name"]: group
        for group in groups
        if group["hparams"].get("model.name") == "linear"
    }
    assert set(by_strategy) == {"tape", "fit"}
    for job, group in by_strategy.items():
        assert group["hparams"]["optimizer.learning_rate"] == pytest.approx(0.1) and group["hparams"]["epochs"] == 3
        assert [session["name"] for session in group["sessions"]] == [_run(job)]
        metrics = {value["name"]["tag"]: value["value"] for value in group["metricValues"]}
        summary = json.loads((logdir[0] / "sweep" / JOBS[job] / "summary.json").read_text())
        assert metrics["epoch/loss"] == pytest.approx(summary["metrics"]["loss"], rel=1e-6)


@pytest.mark.parametrize("dashboard", ["hparams", "timeseries"])
def test_headless_chromium_renders_the_dashboard(server, logdir, dashboard):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    root, _ = logdir
    screenshot = root / f"dashboard-{dashboard}.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={root / f'chromium-{dashboard}'}",
            "--window-size=1400,900",
            "--virtual-time-budget=20000",  # lets the dashboard's scripts fetch and draw
            f"--screenshot={screenshot}",
            f"{server}/#{dashboard}",
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    import matplotlib.image

    pixels = matplotlib.image.imread(screenshot)[..., :3]
    assert pixels.shape[:2] == (900, 1400)
    orange_header = (np.abs(pixels - (0.96, 0.49, 0.0)).max(axis=-1) < 0.05).sum()
    assert orange_header > 20_000, f"no TensorBoard header in {screenshot}"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100, f"{screenshot} is nearly blank"
