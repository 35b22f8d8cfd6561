"""debug=profile: a TensorFlow profiler trace under the run's TensorBoard directory,
listed by TensorBoard's profile plugin in a real TensorBoard server."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.runs import run_in
from helpers.tensorboard_server import get, tensorboard_server

pytestmark = pytest.mark.slow  # a TensorBoard server with the profile plugin takes a while to start


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("profile")
    for strategy in ("tape", "fit"):
        run_in(root / strategy, "+experiment=seed_linear", "debug=profile", "verbose=0", f"strategy={strategy}")
    return root


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_trace_files_are_written_under_the_run_s_tensorboard_directory(runs, strategy):
    sessions = list(Path(runs, strategy, "tensorboard", "plugins", "profile").iterdir())
    assert len(sessions) == 1  # one trace of the two profiled epochs
    traces = list(sessions[0].glob("*.xplane.pb"))
    assert traces and traces[0].stat().st_size > 1000


def test_tensorboard_s_profile_plugin_lists_each_run(runs):
    with tensorboard_server(runs, ready=lambda url: len(get(url, "/data/plugin/profile/runs")) >= 2) as url:
        listed = get(url, "/data/plugin/profile/runs")
        assert {run.split("/")[0] for run in listed} == {"tape", "fit"}, listed
        tools = get(url, "/data/plugin/profile/run_tools", run=listed[0])
        assert any(tool.startswith("trace_viewer") for tool in tools), tools
