"""A real TensorBoard server on 127.0.0.1, for the tests that read a run through it."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# A cold TensorBoard start (plugin discovery) takes 10-20 s on a loaded 2-core machine.
SERVER_START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, path: str, **query: str) -> Any:
    """GET `path`: JSON (gunzipped where a plugin gzips it), or the bytes of an image."""
    address = f"{url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with urllib.request.urlopen(address, timeout=30) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body if response.headers.get_content_type().startswith("image/") else json.loads(body)


@contextlib.contextmanager
def tensorboard_server(logdir: Path, ready: Callable[[str], bool]) -> Iterator[str]:
    """Runs `tensorboard --logdir LOGDIR` on a free port until `ready(url)`; yields the url, stops it after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, ready)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_ready(url: str, process: subprocess.Popen, ready: Callable[[str], bool]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"TensorBoard exited with {process.returncode}: {process.stderr.read().decode()}")
        try:
            if ready(url):
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"TensorBoard at {url} was not ready within {SERVER_START_SECONDS} s")
