"""A full disk: one clear error naming the path and the cause, exit status 4, nothing
half-written, the newest checkpoint intact, and a resume that ends as an uninterrupted run.

The run directory is put on a tiny tmpfs, which needs root (CI runs as root);
elsewhere these tests skip, saying why.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from helpers.runs import run_cli

RUN = ("+experiment=seed_linear", "epochs=20", "verbose=0")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs to fill up needs root"),
]


@pytest.fixture
def tiny_disk(tmp_path):
    """A tmpfs of the given size mounted in tmp_path, unmounted afterwards."""
    mounted = []

    def _mount(size: str):
        mount_point = tmp_path / f"disk-{size}"
        mount_point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(mount_point)
        return mount_point

    yield _mount
    for mount_point in mounted:
        subprocess.run(["umount", str(mount_point)], check=False)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("whole") / "run"
    assert run_cli(*RUN, f"hydra.run.dir={run_dir}").returncode == 0
    return json.loads((run_dir / "summary.json").read_text())


# Sizes that fill up during a checkpoint, at the first checkpoint after one was
# written, and during the end-of-run plots.
@pytest.mark.parametrize("size", ["24k", "48k", "96k", "160k"])
def test_a_full_disk_is_one_clear_error_and_the_run_resumes_to_the_same_weights(tiny_disk, tmp_path, uninterrupted, size):
    run_dir = tiny_disk(size) / "run"
    out = run_cli(*RUN, f"hydra.run.dir={run_dir}")
    assert out.returncode == 4, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in out.stderr, out.stderr
    assert "cannot write the " in errors[0] and f"{run_dir}" in errors[0] and "No space left on device" in errors[0]
    assert f"continue with resume={run_dir}" in errors[0]
    leftovers = [p.name for p in run_dir.rglob("*") if p.name.endswith((".tmp", "_temp")) or p.name.startswith(".partial-")]
    assert leftovers == [] and not (run_dir / "summary.json").exists()
    assert (run_dir / "FAILED").exists() or "could not mark the run failed" in out.stderr
    # Space freed (the run copied to a real disk): the resume ends where the uninterrupted run did.
    copy = tmp_path / "freed"
    shutil.copytree(run_dir, copy)
    resumed = run_cli(*RUN, f"resume={copy}")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((copy / "summary.json").read_text())
    assert summary["global_step"] == uninterrupted["global_step"] and not (copy / "FAILED").exists()
    for path, value in uninterrupted["variables"].items():
        np.testing.assert_allclose(summary["variables"][path], value, atol=1e-5, err_msg=path)
    assert summary["metrics"] == pytest.approx(uninterrupted["metrics"], abs=1e-5)
