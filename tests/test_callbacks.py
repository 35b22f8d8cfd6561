"""The `callbacks` list: Keras's callbacks by key and a plugin's, each called once per
epoch with the same logs under both strategies (Keras's RemoteMonitor posting to a real
local HTTP server), arguments checked before training, and the conformance kit."""

import http.server
import json
import threading

import keras
import pytest
from helpers.runs import run_in

from framework.errors import ConfigError
from framework.registry import CALLBACKS
from framework.testing import check_callback

RUN = ("data.num_examples=64", "data.batch_size=16", "data.val_fraction=0.25", "epochs=4", "verbose=0", "logger=none",
       "plots=false", "metrics=[mae]")


class EpochRecorder(keras.callbacks.Callback):
    """A plugin's callback: writes down every hook call it gets."""

    def __init__(self, label: str = "calls"):
        super().__init__()
        self.label = label
        self.calls: list[tuple] = []
        EpochRecorder.last = self

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, {name: float(value) for name, value in logs.items()}))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


class BatchCounter(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


@pytest.fixture(autouse=True)
def plugin_callbacks():
    CALLBACKS.register("test_epoch_recorder")(EpochRecorder)
    CALLBACKS.register("test_batch_counter")(BatchCounter)
    yield
    CALLBACKS.unregister("test_epoch_recorder")
    CALLBACKS.unregister("test_batch_counter")


def _calls(tmp_path, strategy: str) -> list[tuple]:
    run_in(tmp_path / strategy, *RUN, "callbacks=[terminate_on_nan,{name: test_epoch_recorder, label: x}]", f"strategy={strategy}")
    assert EpochRecorder.last.label == "x"
    return EpochRecorder.last.calls


def test_a_plugin_callback_gets_each_epoch_once_with_the_same_logs_under_both_strategies(tmp_path):
    tape, fit = _calls(tmp_path, "tape"), _calls(tmp_path, "fit")
    assert [call[:2] for call in tape] == [("train_begin",), *[(hook, e) for e in range(4) for hook in ("epoch_begin", "epoch_end")], ("train_end",)]
    assert [call[:2] for call in fit] == [call[:2] for call in tape]
    for tape_call, fit_call in zip(tape, fit):
        if tape_call[0] == "epoch_end":
            assert set(tape_call[2]) == set(fit_call[2]) == {"loss", "mae", "val_loss", "val_mae"}
            assert tape_call[2] == pytest.approx(fit_call[2], abs=1e-5)


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def monitor_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_remote_monitor_posts_every_epoch_alike_under_both_strategies(tmp_path, monitor_server):
    posted = {}
    for strategy in ("tape", "fit"):
        _Receiver.received = []
        run_in(tmp_path / strategy, *RUN, f"callbacks=[{{name: remote_monitor, root: '{monitor_server}', send_as_json: true}}]",
               f"strategy={strategy}")
        posted[strategy] = list(_Receiver.received)
    assert [post["epoch"] for post in posted["tape"]] == [0, 1, 2, 3]
    for tape, fit in zip(posted["tape"], posted["fit"]):
        assert tape == pytest.approx(fit, abs=1e-5)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("[terminate_on_nam]", r"callbacks\[0\].name: unknown callback 'terminate_on_nam'. .*Did you mean 'terminate_on_nan'"),
        ("[{name: remote_monitor, rooot: x}]", r"callbacks\[0\].rooot: callback 'remote_monitor' takes no argument 'rooot'. Did you mean root\?"),
        ("[early_stopping]", r"callbacks\[0\].name: 'early_stopping' is Keras's EarlyStopping, .*early_stopping.enabled=true"),
        ("[ModelCheckpoint]", r"'ModelCheckpoint' is Keras's ModelCheckpoint, .*checkpoint.every_n_epochs"),
        ("[csv_logger]", r"Keras's CSVLogger, .*logger=\[tensorboard,csv\]"),
        ("[test_batch_counter]", r"callbacks\[0\]: callback 'test_batch_counter' implements on_train_batch_end, which only strategy=fit calls"),
    ],
)
def test_callbacks_the_run_cannot_call_alike_are_refused_before_training(tmp_path, spec, message):
    with pytest.raises(ConfigError, match=message):
        run_in(tmp_path / "run", *RUN, f"callbacks={spec}")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_plugin_callback_passes_the_conformance_kit(tmp_path):
    check_callback(EpochRecorder, {"label": "kit"}, workdir=tmp_path)


def test_the_conformance_kit_refuses_a_callback_with_batch_hooks(tmp_path):
    with pytest.raises(ConfigError, match="implements on_train_batch_end"):
        check_callback(BatchCounter, {}, workdir=tmp_path, strategies=("tape",))
