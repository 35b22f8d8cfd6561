"""What makes the tape strategy fast: many epochs per graph call, one trace,
and Python visited only where a callback must see the live model."""

import logging
import re

import numpy as np
import pytest

from framework.callbacks import EpochCallback
from framework.schedules import NEVER, At, Every


def loop_stats(result) -> tuple[int, int]:
    """(graph calls, traces) of a tape run, as the strategy counted them."""
    return result.loop["graph_calls"], result.loop["traces"]


# Checkpoints only at the end: every checkpoint is an epoch that needs the live model.
END_CHECKPOINT_ONLY = "checkpoint.every_n_epochs=100000"


def test_many_epochs_run_in_few_calls_traced_once(train):
    result = train("+experiment=seed_linear", "epochs=95", "strategy.steps_per_call=10", "verbose=0", END_CHECKPOINT_ONLY)
    assert result.epochs == 95 and result.global_step == 95
    # 9 calls of 10 epochs and one of 5 (ending with the checkpoint); one trace for all.
    assert loop_stats(result) == (10, 1)


def test_checkpoint_epochs_end_calls(train):
    result = train("+experiment=seed_linear", "epochs=100", "verbose=0")  # a checkpoint every 10 epochs by default
    assert loop_stats(result) == (10, 1)  # each call ends with a checkpointed epoch


def test_the_call_planner_asks_the_schedules_once_per_call_not_once_per_epoch(train, monkeypatch):
    # Asking per epoch is Python per epoch, as much as a small epoch's graph work.
    asked = []
    for method in ("due", "next_due", "due_in"):
        original = getattr(Every, method)
        monkeypatch.setattr(Every, method, lambda self, *args, _original=original: asked.append(args) or _original(self, *args))
    result = train("+experiment=seed_linear", "epochs=3000", "verbose=0", "plots=false")
    graph_calls, _ = loop_stats(result)
    assert graph_calls == 10 and result.epochs == 3000
    assert len(asked) <= 10 * graph_calls


def test_minibatch_epochs_count_steps_per_call_in_whole_epochs(train):
    overrides = ("data=sine", "data.num_examples=200", "data.batch_size=32", "model=sequential", "verbose=0", END_CHECKPOINT_ONLY)
    result = train(*overrides, "epochs=12", "strategy.steps_per_call=40")  # 5 steps per epoch: 8 epochs per call
    assert result.global_step == 60
    assert loop_stats(result) == (2, 1)  # epochs 0-7, then 8-11 ending with its checkpoint
    result = train(*overrides, "epochs=2", "strategy.steps_per_call=1")  # fewer steps than an epoch: one epoch per call
    assert loop_stats(result) == (2, 1)


def test_the_epoch_report_reads_the_model_as_each_shown_epoch_begins(train, caplog):
    caplog.set_level(logging.INFO, logger="framework")
    result = train("+experiment=seed_linear", "epochs=6", "verbose=2", END_CHECKPOINT_ONLY)
    assert loop_stats(result) == (6, 1)  # every epoch is shown, so every epoch begins a call
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    # The tutorial's numbers: W and b as each epoch began.
    assert lines[:3] == ["Epoch  0: W=5.00 b=0.00, loss=8.28051", "Epoch  1: W=4.65 b=0.37, loss=5.92016", "Epoch  2: W=4.37 b=0.68, loss=4.32861"]
    assert len(lines) == 6


def test_a_huge_loss_reads_in_scientific_notation(train, caplog):
    caplog.set_level(logging.INFO, logger="framework")
    train("+experiment=seed_linear", "data.true_w=1e12", "epochs=1", "verbose=2", "logger=none", "plots=false")
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert re.fullmatch(r"Epoch  0: W=5\.00 b=0\.00, loss=[1-9]\.\d{5}e\+2[34]", line), line  # not 25 digits


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_long_run_reports_a_thinned_schedule_with_the_first_and_last_epoch(train, caplog, strategy):
    caplog.set_level(logging.INFO, logger="framework")
    result = train("+experiment=seed_linear", "epochs=1000", "verbose=2", "plots=false", END_CHECKPOINT_ONLY, f"strategy={strategy}")
    epochs = [int(r.getMessage().split(":")[0].split()[1]) for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert epochs == [0, *range(9, 1000, 10)]  # every 10th epoch, the first and the last: 101 lines
    if strategy == "tape":
        assert loop_stats(result) == (101, 1)  # a call begins at each shown epoch


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_long_run_draws_the_progress_bar_on_the_same_thinned_schedule(train, capsys, strategy):
    train("+experiment=seed_linear", "epochs=1000", "verbose=1", "plots=false", END_CHECKPOINT_ONLY, f"strategy={strategy}")
    out = capsys.readouterr().out
    bars = [int(line.split()[1]) for line in out.splitlines() if line.startswith("Epoch ") and line.endswith(" of 1000)")]
    assert bars == [0, *range(9, 1000, 10)]  # numbered from 0 as the report numbers them: the same 101 epochs
    assert out.rstrip().splitlines()[-1].split(" - loss: ")[1]  # the last epoch's bar ends with its loss


class RecordsWeights(EpochCallback):
    """Reads the model at the end of epochs 3 and 7 only; every other epoch is replayed from logs."""

    model_at_epoch_end = At(3, 7)

    def __init__(self):
        super().__init__()
        self.seen = {}
        self.replayed = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch in (3, 7):
            self.seen[epoch] = (int(self.model.optimizer.iterations.numpy()), float(self.model.W.numpy()))
        else:
            self.replayed.append((epoch, logs["loss"]))


class RecordsCallEnds(EpochCallback):
    """Acts on no epoch of its own: it hears of the last epoch of each call only."""

    acts_on = NEVER
    model_at_epoch_end = At(3, 7)

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(epoch)


class ReadsModelAsEpochsBegin(EpochCallback):
    """Reads the model as epochs 2 and 5 begin."""

    acts_on = model_at_epoch_start = At(2, 5)
    model_at_epoch_end = NEVER

    def __init__(self):
        super().__init__()
        self.steps_at_start = {}

    def on_epoch_begin(self, epoch, logs=None):
        if self.acts_at(epoch):
            self.steps_at_start[epoch] = int(self.model.optimizer.iterations.numpy())


def test_calls_end_where_a_callback_needs_the_live_model(tmp_path):
    import keras

    from framework.data import LinearRegressionData
    from framework.loggers import LoggerContext, NoLogger
    from framework.models import LinearModel
    from framework.run_directory import RunDirectory
    from framework.strategies import TapeStrategy, TrainingJob

    data = LinearRegressionData(1, 3.0, 2.0, 1.0, num_examples=100, batch_size=100, val_fraction=0.0, test_fraction=0.0, shuffle=False, seed=1, normalize=False, streaming=False)
    model = LinearModel(5.0, 0.0)
    model(data.sample(1)[0])
    callback, call_ends, at_start = RecordsWeights(), RecordsCallEnds(), ReadsModelAsEpochsBegin()
    job = TrainingJob(
        model, keras.losses.MeanSquaredError(), keras.optimizers.SGD(0.1),
        data, epochs=10, logger=NoLogger(LoggerContext(RunDirectory(tmp_path))), callbacks=[callback, call_ends, at_start],
    )
    strategy = TapeStrategy(jit_compile=False, steps_per_call=1000)
    history = strategy.train(job)
    # Calls end after epochs 3 and 7 and before epochs 2 and 5: 0-1, 2-3, 4, 5-7, 8-9.
    assert strategy.loop_stats() == {"graph_calls": 5, "traces": 1}
    assert at_start.steps_at_start == {2: 2, 5: 5}  # the live model as those epochs began
    assert sorted(callback.seen) == [3, 7]
    assert callback.seen[3][0] == 4 and callback.seen[7][0] == 8  # the live model, right after that epoch
    assert [epoch for epoch, _ in callback.replayed] == [0, 1, 2, 4, 5, 6, 8, 9]
    assert [loss for _, loss in callback.replayed] == [history.history["loss"][e] for e, _ in callback.replayed]
    assert call_ends.ends == [1, 3, 4, 7, 9]


def test_xla_is_reported_when_on(train, caplog):
    caplog.set_level(logging.INFO, logger="framework")
    first = train("+experiment=seed_linear", "epochs=3", "verbose=0", "strategy.jit_compile=true")
    assert any("compiled with XLA" in r.getMessage() for r in caplog.records)
    second = train("+experiment=seed_linear", "epochs=3", "verbose=0")
    np.testing.assert_allclose(first.variables["linear/W"], second.variables["linear/W"], atol=1e-5)


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_diverging_run_stops_with_a_clear_error(train, strategy):
    from framework.errors import NonFiniteLossError

    with pytest.raises(NonFiniteLossError, match=r"The training loss became (nan|inf) at step \d+ \(epoch \d+\).*lower optimizer.learning_rate \(now 1e\+06\)"):
        train("+experiment=seed_linear", f"strategy={strategy}", "epochs=200", "optimizer.learning_rate=1e6", "verbose=0")


def test_streaming_data_trains_like_held_data(train):
    result = train("+experiment=seed_linear", "data.streaming=true", "data.num_examples=4000", "data.batch_size=500", "epochs=5", "verbose=0", "data.shuffle=true")
    assert result.global_step == 40
    assert result.variables["linear/W"] == pytest.approx(3.0, abs=0.1)
    assert result.variables["linear/b"] == pytest.approx(2.0, abs=0.1)


def test_fit_writes_its_records_through_one_trace_however_they_are_batched(train, monkeypatch):
    import itertools
    import types

    from framework.backends.tensorflow import fit_logging

    # A clock a third of a write interval further at every look: records are
    # written in batches of different sizes (1 to 3 epochs), as on a busy machine.
    ticks = itertools.count()
    clock = types.SimpleNamespace(monotonic=lambda: next(ticks) * fit_logging._WRITE_SECONDS / 3)
    monkeypatch.setattr(fit_logging, "time", clock)  # this module's clock alone
    result = train("+experiment=seed_linear", "strategy=fit", "epochs=40", "verbose=0", END_CHECKPOINT_ONLY)
    assert result.loop["logger_writes"] > 5
    assert result.loop["logger_traces"] == 1


@pytest.mark.parametrize("strategy", ["fit", "tape", "tape strategy.jit_compile=true"])
def test_runs_in_one_process_raise_no_retracing_warning(train, caplog, strategy):
    # TensorFlow warns when one function traces 5 times in a few calls; it counts
    # traces by code object, so one trace per run must not add up across runs
    # (a multirun's jobs, a notebook). Keras's own train function warns so too, as
    # it does for plain model.fit in a loop. With XLA the step is its own compiled function.
    for _ in range(6):
        train("+experiment=seed_linear", f"strategy={strategy.split()[0]}", *strategy.split()[1:], "epochs=3", "verbose=0", "plots=false")
    warnings = [r.getMessage() for r in caplog.records if "retracing" in r.getMessage()]
    assert not [message for message in warnings if "TensorFlowTrainer" not in message]


def test_the_epoch_lines_work_for_a_model_without_scalar_variables(train, caplog):
    caplog.set_level(logging.INFO, logger="framework")
    result = train("data=spirals", "model=sequential", "model.layers=[{name: dense, units: 3}]",
                   "loss=sparse_categorical_crossentropy", "loss.from_logits=true", "epochs=3", "verbose=2")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert len(lines) == 3 and lines[0].startswith("Epoch  0: loss=") and result.epochs == 3
