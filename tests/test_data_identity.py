"""What data a run trained on: recorded in summary.json and checked by resume."""

import hashlib
import json
import os
from pathlib import Path

import pytest
from helpers.data_files import flowers_csv
from helpers.runs import run_in

from framework.data import identity
from framework.errors import ResumeError


def _flowers_run(path, *extra):
    return ("data=csv", f"data.path={path}", "data.target=weight", "data.features=[length,width]", "epochs=2",
            "logger=none", "plots=false", "verbose=0", *extra)


def test_a_run_records_its_data_file_in_the_summary(tmp_path):
    path = Path(flowers_csv(tmp_path))
    result = run_in(tmp_path / "run", *_flowers_run(path))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["data"] == result.data
    [entry] = summary["data"]
    assert entry["path"] == str(path.resolve())
    assert entry["bytes"] == path.stat().st_size
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["hashed"] == "whole"
    assert json.loads((tmp_path / "run" / "checkpoints" / "data.json").read_text()) == summary["data"]


def test_generated_data_records_no_files(tmp_path):
    result = run_in(tmp_path / "run", "+experiment=seed_linear", "epochs=1", "verbose=0", "plots=false")
    assert result.data == []
    assert not (tmp_path / "run" / "checkpoints" / "data.json").exists()


def test_a_large_file_is_hashed_on_a_bounded_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(identity, "WHOLE_HASH_BYTES", 1000)
    monkeypatch.setattr(identity, "SAMPLE_BLOCK_BYTES", 16)
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * 20)
    entry = identity.file_identity(path)
    assert entry["hashed"] == "sample" and entry["bytes"] == 5120
    assert entry["sha256"] != hashlib.sha256(path.read_bytes()).hexdigest()
    data = bytearray(path.read_bytes())
    data[0] ^= 1  # the first block is always sampled
    path.write_bytes(bytes(data))
    assert identity.file_identity(path)["sha256"] != entry["sha256"]


def test_touching_a_whole_hashed_file_is_no_change_but_a_sampled_one_is(tmp_path):
    whole = {"path": "/d.csv", "bytes": 10, "modified": "t0", "sha256": "a", "hashed": "whole"}
    assert identity.changed_files([whole], [{**whole, "modified": "t1"}]) == []
    sampled = {**whole, "hashed": "sample"}
    assert identity.changed_files([sampled], [{**sampled, "modified": "t1"}]) == ["  /d.csv: modified t0 -> t1"]


def test_resume_over_changed_data_is_refused_naming_the_file_unless_allowed(tmp_path):
    path = Path(flowers_csv(tmp_path))
    run_dir = tmp_path / "run"
    run_in(run_dir, *_flowers_run(path, "epochs=2"))
    recorded = json.loads((run_dir / "checkpoints" / "data.json").read_text())
    path.write_text(path.read_text().replace("rose", "tulip"))
    with pytest.raises(ResumeError, match=rf"the data changed since the run read it(.|\n)*  {path.resolve()}: bytes \d+ -> \d+, sha256 "
                                          r"(.|\n)*continue anyway with allow_changed_data=true"):
        run_in(run_dir, *_flowers_run(path, "epochs=3", f"resume={run_dir}"))
    assert json.loads((run_dir / "checkpoints" / "data.json").read_text()) == recorded  # nothing rewritten
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 2
    result = run_in(run_dir, *_flowers_run(path, "epochs=3", f"resume={run_dir}", "allow_changed_data=true"))
    assert result.epochs == 3
    assert result.data[0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_resume_over_the_same_data_touched_again_continues(tmp_path):
    path = Path(flowers_csv(tmp_path))
    run_dir = tmp_path / "run"
    run_in(run_dir, *_flowers_run(path, "epochs=1"))
    os.utime(path, (1_000_000_000, 1_000_000_000))
    assert run_in(run_dir, *_flowers_run(path, "epochs=2", f"resume={run_dir}")).epochs == 2


def test_trackers_get_a_data_identity_summary():
    entries = [{"sha256": "a", "bytes": 3}, {"sha256": "b", "bytes": 4}]
    params = identity.identity_params(entries)
    assert params == {"files": 2, "bytes": 7, "sha256": hashlib.sha256(b"ab").hexdigest()}


def test_mlflow_params_name_the_data(tmp_path, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    path = Path(flowers_csv(tmp_path))
    store = tmp_path / "mlruns"
    result = run_in(tmp_path / "run", *_flowers_run(path, "epochs=1", "logger=mlflow", f"logger.mlflow.tracking_uri={store}"))
    client = MlflowClient(str(store))
    params = client.get_run((tmp_path / "run" / "mlflow_run_id").read_text().strip()).data.params
    assert params["data_identity.sha256"] == identity.identity_params(result.data)["sha256"]
    assert params["data_identity.bytes"] == str(path.stat().st_size)
    assert params["data_identity.files"] == "1"
