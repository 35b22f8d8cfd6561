"""debug=profile: a TensorFlow profiler trace under the run's TensorBoard directory,
listed by TensorBoard's profile plugin in a real TensorBoard server."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers.runs import run_in

pytestmark = pytest.mark.slow  # a TensorBoard server with the profile plugin takes a while to start

SERVER_START_SECONDS = 90


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
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(runs), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        listed = _wait_for_profile_runs(url, server)
        assert {run.split("/")[0] for run in listed} == {"tape", "fit"}, listed
        tools = _get(url, "/data/plugin/profile/run_tools?" + urllib.parse.urlencode({"run": listed[0]}))
        assert any(tool.startswith("trace_viewer") for tool in tools), tools
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, path: str):
    with urllib.request.urlopen(url + path, timeout=30) as response:
        body = response.read()
        # The profile plugin gzips its answers.
        return json.loads(gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body)


def _wait_for_profile_runs(url: str, server: subprocess.Popen) -> list[str]:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"TensorBoard exited with {server.returncode}: {server.stderr.read().decode()}")
        try:
            listed = _get(url, "/data/plugin/profile/runs")
            if len(listed) >= 2:
                return listed
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"TensorBoard's profile plugin at {url} did not list the runs within {SERVER_START_SECONDS} s")
