"""Many epochs in one graph call: the tape strategy's training loop.

One tf.function runs `num_epochs` epochs of `steps_per_epoch` GradientTape
steps, computes each epoch's loss and metrics (and their validation values)
and calls the run's logger at the same points the fit strategy does, all
without returning to Python. The metrics are the run's Keras metric objects,
reset at each epoch's start and updated from each step's outputs, as fit
does; their update ops are part of the step, not a Python call. Its
arguments are tensors, so it is traced once per run whatever the number of
epochs per call.

The loops are written with tf.while_loop and tf.cond and traced with
`autograph=False`: AutoGraph would transpile this module, and everything it
calls, at every start (about a second of the default run). Keras's own
trainer does not convert the model's code either.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from framework.backends.job import TrainingJob
from framework.backends.tensorflow.examples import TensorFlowExamples
from framework.backends.tensorflow.graph_records import graph_records
from framework.backends.tensorflow.train_step import TrainStep
from framework.config.plan import logged_values
from framework.loggers.run_records import LEARNING_RATE, VARIABLES


class CompiledEpochs:
    """`run(first_epoch, num_epochs, ...) -> (per-epoch logs, recorded, finite)` for one job
    (see framework.backends.EpochLoop).

    The logs hold one value per epoch run; `finite` is False when a loss
    stopped being finite, in which case the last epoch in the logs is the one
    it happened in and training stopped right after that step.

    The loop body is kept free of branches (each costs as much as a small
    training step): the NaN check is part of the loop condition, epochs of one
    step have no inner loop, a logger that records every epoch needs no branch,
    and one that records rarely gets an inner loop over the epochs between its
    records and one branch per record.
    """

    def __init__(self, job: TrainingJob, jit_compile: bool):
        self.job = job
        self.calls = 0
        self._step = TrainStep(job, jit_compile)
        self._records = graph_records(job.logger)  # before the logger opens: it writes in the graph
        self._examples = TensorFlowExamples(job.data)
        # One set for training, one for validation (fit evaluates with the same
        # objects after reading the training results; two sets need no ordering).
        self._metrics = self._new_metrics()
        self._validation_metrics = self._new_metrics() if job.data.validation_steps else []
        # Calls that start or end inside an epoch (checkpoint.every_n_steps, validation.every_n_steps,
        # or a run resumed from a checkpoint inside one) keep the epoch's metrics across calls and validate complete epochs only.
        self._inside_epochs = job.stops_inside_epochs
        self.names = logged_values([metric.name for metric in self._metrics], validation=bool(job.data.validation_steps))
        # The learning rate and the scalar variables at each epoch's end, for the run's records.
        self._scalars = [v for v in job.model.trainable_variables if v.shape.num_elements() == 1]
        self.recorded_names = [LEARNING_RATE, *(f"{VARIABLES}{variable.path}" for variable in self._scalars)]
        # A partial, not the bound method: TensorFlow counts traces by code object, so runs in
        # one process (multiruns, notebooks) would add up to a false retracing warning.
        self._function = tf.function(
            functools.partial(CompiledEpochs._run_epochs, self),
            # The orders' shape varies with the epochs per call: traced once for any.
            input_signature=[
                tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64), tf.TensorSpec([None, None], tf.int64),
                tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64), tf.TensorSpec([2], tf.float32),
            ],
            autograph=False,
        )

    @property
    def tracing_count(self) -> int:
        return self._function.experimental_get_tracing_count()

    @property
    def metrics(self) -> list:
        return self._metrics

    def run(
        self, first_epoch: int, num_epochs: int, start_step: int = 0, end_step: int | None = None,
        start_loss: tuple[float, float] = (0.0, 0.0),
    ) -> tuple[dict[str, list[float]], dict[str, list[float]], bool]:
        self.calls += 1
        orders = self._examples.orders(first_epoch, num_epochs)
        end_step = self.job.data.steps_per_epoch if end_step is None else end_step
        rows, finite = self._function(
            tf.constant(first_epoch, tf.int64), tf.constant(num_epochs, tf.int64), orders,
            tf.constant(start_step, tf.int64), tf.constant(end_step, tf.int64), tf.constant(start_loss, tf.float32),
        )
        # A row per epoch: its logs in the order fit logs them, then what the run's records keep.
        columns = rows.numpy().T.tolist()
        epoch_logs = dict(zip(self.names, columns))
        recorded = dict(zip(self.recorded_names, columns[len(self.names) :]))
        return epoch_logs, recorded, bool(finite)

    def _new_metrics(self) -> list:
        """The run's metrics with their state created: some (r2_score, a multi-label auc) create
        variables at their first update, which inside the loop would trace it twice."""
        metrics = self.job.metrics()
        x, y = self.job.data.sample(1)
        outputs = self.job.model(x, training=False)
        for metric in metrics:
            metric.update_state(y, outputs)
            metric.reset_state()
        return metrics

    def _validation_logs(self, batch):
        # As Keras's evaluate: the mean of batch losses weighted by batch size, metrics reset first.
        data = self.job.data
        _reset(self._validation_metrics)

        def step_body(step, total, count):
            x, y = batch(step)
            loss, outputs = self._step.evaluate(x, y)
            _update(self._validation_metrics, y, outputs)
            size = tf.cast(tf.shape(x)[0], tf.float32)
            return step + 1, total + tf.cast(loss, tf.float32) * size, count + size

        _, total, count = tf.while_loop(
            lambda step, total, count: step < data.validation_steps,
            step_body,
            (tf.constant(0, tf.int64), tf.constant(0.0), tf.constant(0.0)),
        )
        return {"val_loss": total / count, **_results(self._validation_metrics, prefix="val_")}

    def _no_validation_logs(self):
        """Zeros in place of the validation logs of an epoch a call ends inside (its row is dropped)."""
        return {name: tf.constant(0.0) for name in ("val_loss", *(f"val_{metric.name}" for metric in self._validation_metrics))}

    def _train_step(self, x, y):
        loss, outputs = self._step.train(x, y)
        _update(self._metrics, y, outputs)
        return loss

    def _epoch_loss(self, batch, begin, end, start_loss):
        """Trains steps [begin, end) of the epoch whose batches are `batch(step)`, after steps
        whose loss sums and counts to `start_loss`; returns its loss (the running mean Keras
        reports) and whether every step's loss was finite."""
        data, records = self.job.data, self.job.records
        iterations = self.job.optimizer.iterations
        if self._inside_epochs:  # the metrics of an epoch begun in an earlier call carry on
            _when(tf.equal(begin, 0), lambda: _reset(self._metrics))
        else:
            _reset(self._metrics)
        if data.steps_per_epoch == 1:  # decided when tracing: no inner loop (no step falls inside an epoch)
            loss = self._train_step(*batch(0))
            _when(records.step_due(iterations), lambda: self._log_step(iterations, loss))
            return loss, tf.math.is_finite(loss)

        def step_body(step, total, count, finite):
            x, y = batch(step)
            loss = self._train_step(x, y)
            size = tf.cast(tf.shape(x)[0], tf.float32)
            total, count = total + loss * size, count + size
            _when(records.step_due(iterations), lambda: self._log_step(iterations, total / count))
            return step + 1, total, count, tf.math.is_finite(loss)

        _, total, count, finite = tf.while_loop(
            lambda step, total, count, finite: tf.logical_and(step < end, finite),
            step_body,
            (begin, start_loss[0], start_loss[1], tf.constant(True)),
        )
        return total / count, finite

    def _log_step(self, step, loss):
        self._records.log_step(step, loss)

    def _log_epoch(self, epoch, logs):
        model, optimizer = self.job.model, self.job.optimizer
        self._records.log_epoch(
            optimizer.iterations, epoch, logs, optimizer.learning_rate, [v.value for v in model.trainable_variables]
        )

    def _run_epochs(self, first_epoch, num_epochs, orders, start_step, end_step, start_loss):
        records, names, steps_per_epoch = self.job.records, self.names, self.job.data.steps_per_epoch
        # One row per epoch, one write (a write per value costs a few us each).
        rows = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[len(names) + len(self.recorded_names)])
        logs = {name: tf.constant(0.0) for name in names}
        # A call begun or ended inside an epoch fetches batches by step (block iterators start at step 0).
        batches = self._examples.epoch_batches(orders, by_step=self._inside_epochs)
        validation_batch = self._examples.validation_batches(num_epochs, self._inside_epochs) if self.job.data.validation_steps else None

        def running(index, finite, *_):
            return tf.logical_and(index < num_epochs, finite)

        def completes(index):  # whether the epoch before `index` ran to its end
            return tf.logical_or(index < num_epochs, tf.equal(end_step, steps_per_epoch))

        def due_and_complete(due, index):
            if not self._inside_epochs:
                return due
            return completes(index) if due is True else tf.logical_and(due, completes(index))

        def train_epoch(index, finite, rows, logs):
            first, last = tf.equal(index, 0), tf.equal(index, num_epochs - 1)
            epoch_loss, finite = self._epoch_loss(
                lambda step: batches(index, step), tf.where(first, start_step, 0), tf.where(last, end_step, steps_per_epoch),
                tf.where(first, start_loss, tf.zeros([2])),
            )
            logs = {"loss": epoch_loss, **_results(self._metrics)}
            if self.job.data.validation_steps and self._inside_epochs:  # decided when tracing
                logs.update(tf.cond(completes(index + 1), lambda: self._validation_logs(validation_batch), self._no_validation_logs))
            elif self.job.data.validation_steps:
                logs.update(self._validation_logs(validation_batch))
            recorded = [self.job.optimizer.learning_rate, *(variable.value for variable in self._scalars)]
            row = [logs[name] for name in names] + [tf.cast(tf.reshape(value, ()), tf.float32) for value in recorded]
            rows = rows.write(tf.cast(index, tf.int32), tf.stack(row))
            return index + 1, finite, rows, logs

        if records.due_epochs_in_loop:  # records every epoch, or often: asked at each

            def body(*state):
                index, finite, rows, logs = train_epoch(*state)
                due = due_and_complete(records.epoch_due(first_epoch + index - 1), index)
                _when(due, lambda: self._log_epoch(first_epoch + index - 1, logs))
                return index, finite, rows, logs

        else:  # rare records, or none: the epochs up to the next record run without asking

            def body(index, *state):
                until_due = records.epochs_until_due(first_epoch + index)
                group_end = num_epochs if until_due is None else tf.minimum(index + until_due, num_epochs)
                index, finite, rows, logs = tf.while_loop(
                    lambda index, finite, *_: tf.logical_and(index < group_end, finite), train_epoch, (index, *state)
                )
                due = records.epoch_due(first_epoch + index - 1)
                if due is not False:  # a logger that records some epochs
                    due = due_and_complete(due, index)
                    _when(tf.logical_and(due, finite), lambda: self._log_epoch(first_epoch + index - 1, logs))
                return index, finite, rows, logs

        _, finite, rows, _ = tf.while_loop(running, body, (tf.constant(0, tf.int64), tf.constant(True), rows, logs))
        return rows.stack(), finite


def _when(condition, write) -> None:
    """Runs `write` (summary ops, no outputs) where `condition` holds: a Python bool is
    decided when tracing, a tensor by a branch in the graph."""
    if isinstance(condition, bool):
        if condition:
            write()
    else:
        tf.cond(condition, write, lambda: None)


def _reset(metrics) -> None:
    for metric in metrics:
        metric.reset_state()


def _update(metrics, y, outputs) -> None:
    for metric in metrics:
        metric.update_state(y, outputs)


def _results(metrics, prefix: str = "") -> dict:
    return {f"{prefix}{metric.name}": tf.cast(metric.result(), tf.float32) for metric in metrics}
