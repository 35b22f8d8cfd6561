"""Every cheap command in the README's ```bash blocks runs as written, exits 0 with a
clean console, and every training command among them learns.

Commands are taken from the README itself, so one that breaks fails here.
The few that are not run are listed in SKIPPED with the reason and the test
that covers them instead. A training command learns when its loss falls by
LOSS_FALLS_BY from the first epoch's line to the last, and a classifier ends
with an accuracy of at least ACCURACY_AT_LEAST (validation where the data has
some; chance is 1/2 or 1/3 on the README's data), and no setting draws a warning.
"""

import contextlib
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.runs import REPO_ROOT

# Start of a command -> why it is not run here.
SKIPPED = {
    "framework-train optimizer.glo<TAB>": "interactive completion; tests/test_help.py queries it",
    "python -m framework.train -m sweep=": "sweeps of 8 to 50 jobs take minutes; tests/test_sweeps.py runs them with 2-3 trials, tests/test_pruning.py the pruning example's 8 + 4",
    "python -m framework.train -m 'sweep=": "parallel Optuna trials take minutes; tests/test_sweeps.py and tests/test_pruning.py run them with 2 and 4 trials",
    "python -m framework.predict run=outputs/2026-01-31/12-00-00-3fa94c 'x=[[1,2],[3,4]]'": "needs a two-feature run; tests/test_predict.py covers rows",
    "python -m framework.predict run=outputs/digits": "needs a trained digits_cnn run; tests/test_predict.py predicts an .npz of digits images",
    "python -m framework.train +experiment=digits_cnn": "trains a CNN for 20 epochs; tests/test_classification.py trains the preset under both strategies",
    "python -m framework.train -m strategy=tape,fit": "four jobs; tests/test_job_summary.py and tests/test_sweeps.py run real multiruns",
    "python -m framework.train logger=mlflow": "the README's logger=[tensorboard,mlflow,csv] command runs MLflow too",
    "python -m framework.train logger=csv": "the README's logger=[tensorboard,mlflow,csv] command runs the CSV logger too",
    "python -m framework.train --cfg job": "tests/test_cli.py runs it as a process and checks that it loads no TensorFlow",
    "python -m framework.train --help": "tests/test_cli.py runs it as a process; tests/test_help.py checks its text",
    "python -m framework.train resume=": "needs an interrupted run; tests/test_resume.py and tests/test_signals.py resume real ones",
    "python -m framework.launch": "two worker processes training; tests/test_launch.py runs them",
    "python -m framework.train -m +cluster=slurm": "submits to a SLURM cluster",
    "python -m framework.train +cluster=slurm": "needs the slurm extra (submitit); tests/test_distribution_slurm.py",
    "python -m framework.train +experiment=gated_sine": "needs the README's example plugin; tests/test_plugins_install.py builds and runs it",
    "python -m framework.train data=sine model=sequential  'model.layers=[{name: gated_dense": "needs the README's example plugin; tests/test_plugins_install.py",
}
# The placeholder run directory of the predict examples, trained first.
PREDICT_RUN = "outputs/2026-01-31/12-00-00-3fa94c"
# What a training command of the README must reach (see the module's docs).
LOSS_FALLS_BY = 2.0
ACCURACY_AT_LEAST = 0.8
_WHERE_WRITTEN = re.compile(r"(Written to |\d+ prediction\(s\) written to )\S+$")
_TRAINING_LOSS = re.compile(r"(?<![\w])loss=([-+0-9.e]+|nan|inf)")


def readme_commands() -> list[str]:
    """Every `python -m framework...` / `framework-...` line of the README's bash blocks, continuations joined."""
    text = (REPO_ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if line.startswith(("python -m framework", "framework-")):
                commands.append(re.sub(r"\s+#\s.*$", "", line))  # the trailing comment
    return commands


def _skipped(command: str) -> str | None:
    return next((reason for start, reason in SKIPPED.items() if command.startswith(start)), None)


COMMANDS = list(dict.fromkeys(c for c in readme_commands() if not _skipped(c)))  # each once


def test_the_readme_has_commands_and_every_skip_names_one():
    commands = readme_commands()
    assert len(COMMANDS) >= 12
    for start in SKIPPED:
        assert any(c.startswith(start) for c in commands), f"SKIPPED entry matches no README command: {start}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A fresh working directory holding the run and CSV file the predict examples name."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "inputs.csv").write_text("x\n1.0\n2.0\n")
    write_readme_data_files(folder)
    trained = _shell(f"python -m framework.train epochs=2 verbose=0 hydra.run.dir={PREDICT_RUN}", folder)
    assert trained.returncode == 0, trained.stderr
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(workdir, command):
    with _monitor_server_if_named(command) as received:
        out = _shell(command, workdir)
    if received is not None:  # RemoteMonitor posted every epoch's logs to the README's server
        assert len(received) == 10 and all(b'"loss"' in body for body in received), received
    assert out.returncode == 0, f"{command}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    # No traceback, error, warning or library chatter. framework.evaluate and framework.predict --output say
    # where they wrote on stderr, so that stdout holds the result alone (JSON, or nothing) and pipes on.
    console = [line for line in out.stderr.splitlines() if not _WHERE_WRITTEN.match(line)]
    assert console == [], out.stderr
    if command.startswith(("python -m framework.train", "framework-train")):
        assert_learned(out.stdout, fine_tuned="init_from=" in command)


def assert_learned(stdout: str, fine_tuned: bool = False) -> None:
    """The run's loss fell by LOSS_FALLS_BY over its epoch lines (a run that starts from a trained
    run's weights has little left to learn: its loss must not rise); a classifier's final accuracy is high."""
    lines = stdout.splitlines()
    assert not [line for line in lines if line.startswith("Warning:")], stdout[-3000:]
    epochs = [_TRAINING_LOSS.search(line) for line in lines if re.match(r"Epoch\s+\d+:", line)]
    losses = [float(loss.group(1)) for loss in epochs if loss]  # not the line saying why training stopped early
    assert len(losses) >= 2, stdout[-3000:]
    falls_by = 1.0 if fine_tuned else LOSS_FALLS_BY
    assert losses[-1] * falls_by <= losses[0], f"the loss went from {losses[0]} to {losses[-1]}"
    (finished,) = [line for line in lines if line.startswith("Finished (")]
    accuracy = re.search(r"\bval_accuracy=([0-9.]+)", finished) or re.search(r"\baccuracy=([0-9.]+)", finished)
    if accuracy:
        assert float(accuracy.group(1)) >= ACCURACY_AT_LEAST, finished


@contextlib.contextmanager
def _monitor_server_if_named(command: str):
    """The HTTP server the README's remote_monitor example posts to (http://localhost:9000): the POST
    bodies it received, or None where the command names no such server."""
    if "http://localhost:9000" not in command:
        yield None
        return
    received: list[bytes] = []

    class Monitor(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("localhost", 9000), Monitor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def write_readme_data_files(folder: Path) -> None:
    """The files the README's "Data" examples name: houses.csv, shards/ (houses.csv as two Parquet shards),
    set.npz, pets/, flowers.csv, shops.csv (a text column decides the class) and new_shops.csv (raw rows)."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(0)
    rooms, area = rng.integers(1, 6, 60), rng.uniform(30, 150, 60)
    houses = pd.DataFrame({"rooms": rooms, "area": area, "price": 2.0 * area + 10 * rooms, "rent": area / 10})
    houses.to_csv(folder / "houses.csv", index=False)
    (folder / "shards").mkdir()
    houses[:30].to_parquet(folder / "shards" / "part-0.parquet", index=False)
    houses[30:].to_parquet(folder / "shards" / "part-1.parquet", index=False)
    # 8x8 images of three classes, each brighter in its own third of the rows; pixel values 0..1.
    labels = rng.integers(0, 3, 120)
    images = rng.uniform(0, 0.5, (120, 8, 8))
    for index, label in enumerate(labels):
        images[index, 3 * label : 3 * label + 2] += 0.5
    np.savez(folder / "set.npz", images=images.astype("float32"), labels=labels)
    for label, (low, high) in (("cat", (0, 150)), ("dog", (100, 256))):  # dogs are brighter, on average
        (folder / "pets" / label).mkdir(parents=True)
        for index in range(10):
            Image.fromarray(rng.integers(low, high, (20, 20, 3), dtype=np.uint8)).save(folder / "pets" / label / f"{index}.png")
    species = rng.integers(0, 3, 90)
    measures = rng.normal(size=(90, 4)) + 2 * species[:, None]  # three clusters, as iris's species are
    flowers = pd.DataFrame(measures, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    flowers["species"] = np.array(["setosa", "versicolor", "virginica"])[species]
    flowers.to_csv(folder / "flowers.csv", index=False)
    cities = np.array(["berlin", "lima", "oslo", "pune", "quito", "rome"])[rng.integers(0, 6, 200)]
    shops = pd.DataFrame({"size": rng.normal(size=200), "city": cities, "zip": 10000 + rng.integers(0, 5, 200)})
    shops["busy"] = np.where(np.isin(cities, ["berlin", "oslo", "quito"]), "yes", "no")  # the city decides
    shops.to_csv(folder / "shops.csv", index=False)
    shops[:3].assign(city=["oslo", "rome", "atlantis"]).drop(columns="busy").to_csv(folder / "new_shops.csv", index=False)


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)  # `python` and the console scripts of this environment
    return subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
