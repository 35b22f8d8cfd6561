"""Many epochs in one compiled call: the hand-written loop on JAX.

The step is written as JAX wants it: the model called in a StatelessScope under
`jax.value_and_grad`, the optimizer's `stateless_apply`, the metrics'
stateless updates, every variable's value carried through the loop as an
array. For data held in memory and a small model the whole call (its epochs,
their steps and validation) is one `jax.jit` function of `lax.while_loop`s,
with batches gathered on the device from the epoch's order; data generated or
streamed per batch, and larger models, take their batches from the host and
train by the same compiled step, one call per batch (see
_PARAMETERS_STEPPED_FROM_THE_HOST). Either way the numbers are those of the TensorFlow loop and
of `fit`: the same batches, the same loss (the batch mean, plus the model's
own losses), the same epoch loss (the mean of batch losses weighted by batch
size) and the same metrics.

Shapes are static under `jit`: a last batch smaller than the others is a
second, statically shaped step, and every call's epochs are padded to one
capacity per run (`_epoch_capacity`), so a run compiles its loop once, whatever
lengths its calls have.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import keras
import numpy as np

from framework.backends.jax.sharding import LoopSharding
from framework.config.plan import logged_values
from framework.loggers.run_records import LEARNING_RATE, VARIABLES


# XLA on the CPU runs a step inside lax.while_loop far slower than the same step compiled
# alone once the step is large: measured on 2 cores, the digits CNN (85k parameters)
# took 0.52 s an epoch inside the loop and 0.125 s called step by step from Python, while the
# tutorial's 2-parameter step costs microseconds in the loop and about 100 us a call from
# Python. Models from this many parameters up are stepped from the host.
_PARAMETERS_STEPPED_FROM_THE_HOST = 10_000
# At most this many example indices (epoch orders) go to the device per compiled call: 64 MiB.
_ORDERS_PER_CALL = 1 << 24


class JaxEpochs:
    """`run(first_epoch, num_epochs) -> (logs, recorded, finite)` for one job (see framework.backends.EpochLoop)."""

    def __init__(self, job, jit_compile: bool):
        del jit_compile  # on JAX every step is compiled with XLA
        self.job = job
        self.calls = 0
        self._traces = 0
        data, model = job.data, job.model
        self._metrics, self._metrics_reset = _new_metrics(job)
        self._validation_metrics, self._validation_reset = _new_metrics(job) if data.validation_steps else ([], [])
        self.names = logged_values([metric.name for metric in self._metrics], validation=bool(data.validation_steps))
        self._scalars = [index for index, v in enumerate(model.trainable_variables) if math.prod(v.shape) == 1]
        self.recorded_names = [LEARNING_RATE, *(f"{VARIABLES}{model.trainable_variables[i].path}" for i in self._scalars)]
        self._sharding = LoopSharding()  # under distribution=data_parallel: each batch split over the devices
        # Calls that start or end inside an epoch (checkpoint.every_n_steps, validation.every_n_steps, or
        # a run resumed from a checkpoint inside one) step from the host, whose loop can stop at any step.
        held = data.held if model.count_params() < _PARAMETERS_STEPPED_FROM_THE_HOST and not job.stops_inside_epochs else None
        self._held = None if held is None else {
            part: tuple(self._sharding.whole(a) for a in arrays) for part, arrays in held.parts.items()
        }
        self._calls_function = jax.jit(self._run_epochs)
        self._step_function = jax.jit(self._train_step)
        self._validation_function = jax.jit(self._validation_logs_of_batches)

    @property
    def tracing_count(self) -> int:
        return self._traces

    # The state carried through a call: every variable's value, as arrays.

    def _state(self):
        model, optimizer = self.job.model, self.job.optimizer
        return (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in optimizer.variables],
            [[v.value for v in metric.variables] for metric in self._metrics],
        )

    def _assign(self, state) -> None:
        model, optimizer = self.job.model, self.job.optimizer
        trainable, non_trainable, optimizer_values, metric_values = state
        for variables, values in (
            (model.trainable_variables, trainable),
            (model.non_trainable_variables, non_trainable),
            (optimizer.variables, optimizer_values),
            *((metric.variables, values) for metric, values in zip(self._metrics, metric_values)),
        ):
            for variable, value in zip(variables, values):
                variable.assign(value)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return self._metrics

    def run(self, first_epoch: int, num_epochs: int, start_step: int = 0, end_step: int | None = None,
            start_loss: tuple[float, float] = (0.0, 0.0)):
        self.calls += 1
        steps_before = int(self.job.optimizer.iterations.numpy())
        if self._held is not None:  # whole epochs only (see __init__)
            rows, finite, state, step_losses = self._run_held(first_epoch, num_epochs)
        else:
            rows, finite, state, step_losses = self._run_fetched(first_epoch, num_epochs, start_step, end_step, start_loss)
        self._assign(state)
        self._write_step_records(steps_before, step_losses[: int(self.job.optimizer.iterations.numpy()) - steps_before])
        columns = rows.T.tolist()
        epoch_logs = dict(zip(self.names, columns))
        recorded = dict(zip(self.recorded_names, columns[len(self.names) :]))
        if end_step is None:  # an epoch a call ends inside gets no record
            self._write_record(first_epoch + len(rows) - 1, rows[-1], finite)
        return epoch_logs, recorded, finite

    def _write_step_records(self, steps_before: int, step_losses: np.ndarray) -> None:
        """The due step records of the steps a call ran: the epoch's running mean loss after
        each step, as the TensorFlow loop records it."""
        for offset, loss in enumerate(step_losses.tolist(), start=1):
            if self.job.records.step_due(steps_before + offset):
                self.job.logger.write_step(steps_before + offset, loss)

    def _write_record(self, epoch: int, row: np.ndarray, finite: bool) -> None:
        """The call's last epoch, where its record is due: handed to the logger from the host
        (the loop ends a call at each record, framework.strategies.call_plan)."""
        if not finite or not self.job.records.epoch_due(epoch):
            return
        values = dict(zip([*self.names, LEARNING_RATE], (float(value) for value in row[: len(self.names) + 1])))
        variables = [keras.ops.convert_to_numpy(v.value) for v in self.job.model.trainable_variables]
        self.job.logger.write_epoch(int(self.job.optimizer.iterations.numpy()), epoch, values, variables)

    # Data held in memory: the whole call is one compiled function.

    def _run_held(self, first_epoch: int, num_epochs: int):
        """The call's epochs in compiled calls of `_epoch_capacity` epochs each (one, mostly)."""
        state, rows, step_losses, finite = self._state(), [], [], True
        for start in range(first_epoch, first_epoch + num_epochs, self._epoch_capacity):
            count = min(self._epoch_capacity, first_epoch + num_epochs - start)
            chunk_rows, finite, state, chunk_losses = self._run_held_chunk(state, start, count)
            rows.append(chunk_rows)
            step_losses.append(chunk_losses[: len(chunk_rows) * (chunk_losses.size // self._epoch_capacity)])
            if not finite:
                break
        return np.concatenate(rows), finite, state, np.concatenate(step_losses)

    @functools.cached_property
    def _epoch_capacity(self) -> int:
        """Epochs per compiled call: the run's epochs rounded up to a power of two (one shape
        per run), fewer where a call's epoch orders would pass _ORDERS_PER_CALL indices."""
        job = self.job
        wanted = 1 << (max(1, job.epochs - job.initial_epoch) - 1).bit_length()
        units = job.data.storage.num_units if job.data.shuffle else 0
        return max(1, min(wanted, 1 << max(0, (_ORDERS_PER_CALL // max(1, units)).bit_length() - 1)))

    def _run_held_chunk(self, state, first_epoch: int, num_epochs: int):
        data, capacity = self.job.data, self._epoch_capacity
        if data.shuffle:
            orders = np.zeros([capacity, data.storage.num_units], np.int32)
            for index in range(num_epochs):
                orders[index] = data.epoch_order(first_epoch + index)
        else:
            orders = np.zeros([capacity, 0], np.int32)
        whole = self._sharding.whole
        rows, ran, finite, state, step_losses = self._calls_function(
            state, self._held, whole(orders), whole(np.int32(num_epochs))
        )
        ran = int(ran)
        return np.asarray(rows)[:ran], bool(finite), state, np.asarray(step_losses).reshape(-1)

    def _run_epochs(self, state, held, orders, num_epochs):
        self._traces += 1  # counted while tracing
        width = len(self.names) + len(self.recorded_names)
        rows = jnp.zeros([orders.shape[0], width], jnp.float32)
        # Each step's running epoch loss, kept only for a logger that takes step records.
        step_losses = jnp.zeros([orders.shape[0], self.job.data.steps_per_epoch if self.job.records.step_interval else 0])

        def running(carry):
            index, finite, *_ = carry
            return (index < num_epochs) & finite

        def epoch(carry):
            index, _, rows, state, step_losses = carry
            state, train_logs, finite, losses = self._held_epoch(state, held, orders[index], step_losses.shape[1])
            row = self._row(state, train_logs, held)
            return index + 1, finite, rows.at[index].set(row), state, step_losses.at[index].set(losses)

        carry = (0, jnp.array(True), rows, state, step_losses)
        index, finite, rows, state, step_losses = jax.lax.while_loop(running, epoch, carry)
        return rows, index, finite, state, step_losses

    def _held_epoch(self, state, held, order, kept_steps: int):
        """One epoch over the held training examples in `order`; returns the state, the
        epoch's loss and metrics, whether every step's loss was finite, and the running
        loss after each of its first `kept_steps` steps."""
        x, y = held["train"]
        batch_size, count = self.job.data.batch_size, self.job.data.num_train_examples
        full_steps, remainder = divmod(count, batch_size)
        state = (*state[:3], self._metrics_reset)

        def batch(step, size):
            start = step * batch_size
            if order.shape[0] == 0:
                return jax.lax.dynamic_slice_in_dim(x, start, size), jax.lax.dynamic_slice_in_dim(y, start, size)
            indices = jax.lax.dynamic_slice_in_dim(order, start, size)
            return jnp.take(x, indices, axis=0), jnp.take(y, indices, axis=0)

        def running(carry):
            step, _, _, _, finite, _ = carry
            return (step < full_steps) & finite

        def step_body(carry):
            step, state, total, seen, _, losses = carry
            state, loss, finite = self._train_step(state, *batch(step, batch_size))
            total, seen = total + loss * batch_size, seen + batch_size
            if kept_steps:
                losses = losses.at[step].set(total / seen)
            return step + 1, state, total, seen, finite, losses

        carry = (0, state, jnp.float32(0.0), jnp.float32(0.0), jnp.array(True), jnp.zeros([kept_steps], jnp.float32))
        if full_steps:
            carry = jax.lax.while_loop(running, step_body, carry)
        _, state, total, seen, finite, losses = carry
        if remainder:  # the last, smaller batch: its own static shape
            state, loss, last_finite = jax.lax.cond(
                finite,
                lambda state: self._train_step(state, *batch(full_steps, remainder)),
                lambda state: (state, jnp.float32(0.0), jnp.array(False)),
                state,
            )
            total, seen, finite = total + loss * remainder, seen + remainder, finite & last_finite
            if kept_steps:
                losses = losses.at[full_steps].set(total / seen)
        logs = {"loss": total / seen, **_results(self._metrics, state[3])}
        return state, logs, finite, losses

    def _row(self, state, train_logs, held):
        """An epoch's row: its logs in the order fit logs them, then what the run's records keep."""
        logs = dict(train_logs)
        if self.job.data.validation_steps:
            x, y = held["validation"]
            logs.update(self._validation_logs_of_batches(state, list(_held_out_batches(x, y, self.job.data.batch_size))))
        trainable = state[0]
        recorded = [self._learning_rate(state), *(jnp.reshape(trainable[i], ()).astype(jnp.float32) for i in self._scalars)]
        return jnp.stack([jnp.asarray(logs[name], jnp.float32) for name in self.names] + recorded)

    # Data fetched per batch: the same compiled step, called from Python.

    def _run_fetched(self, first_epoch: int, num_epochs: int, start_step: int, end_step: int | None, start_loss):
        data = self.job.data
        state, rows, finite, step_losses = self._state(), [], True, []
        for epoch in range(first_epoch, first_epoch + num_epochs):
            begin = start_step if epoch == first_epoch else 0
            stop = end_step if end_step is not None and epoch == first_epoch + num_epochs - 1 else data.steps_per_epoch
            if not begin:  # else the metrics carry on from the call that began the epoch
                state = (*state[:3], self._metrics_reset)
            total, seen = start_loss if begin else (0.0, 0)
            order = data.epoch_order(epoch)  # drawn once an epoch: it permutes every held example
            for step in range(begin, stop):
                x, y = data.storage.train_batch(order, step)
                state, loss, step_finite = self._step_function(state, self._sharding.batch(x), self._sharding.batch(y))
                total, seen = total + float(loss) * len(x), seen + len(x)
                step_losses.append(total / seen)
                if not bool(step_finite):
                    finite = False
                    break
            logs = {"loss": total / seen, **{k: float(v) for k, v in _results(self._metrics, state[3]).items()}}
            if data.validation_steps and finite and stop == data.steps_per_epoch:
                x, y = data.examples("validation")
                whole = self._sharding.whole
                batches = [(whole(xs), whole(ys)) for xs, ys in _held_out_batches(np.asarray(x), np.asarray(y), data.batch_size)]
                logs.update({k: float(v) for k, v in self._validation_function(state, batches).items()})
            trainable = state[0]
            recorded = [float(self._learning_rate(state)), *(float(jnp.reshape(trainable[i], ())) for i in self._scalars)]
            rows.append([logs.get(name, math.nan) for name in self.names] + recorded)
            if not finite:
                break
        return np.asarray(rows, np.float32), finite, state, np.asarray(step_losses, np.float32)

    # The step, and validation.

    def _train_step(self, state, x, y):
        """One optimizer step on the batch (x, y): the new state, the batch's loss, and whether it is finite."""
        trainable, non_trainable, optimizer_values, metric_values = state
        optimizer = self.job.optimizer
        x, y = self._sharding.split(x), self._sharding.split(y)  # each device computes its share of the batch

        def scaled_loss(trainable, non_trainable):
            loss, outputs, non_trainable = self._loss(trainable, non_trainable, x, y, training=True)
            # Mixed precision: the optimizer scales the loss (identity otherwise), reading its own state.
            with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, optimizer_values))):
                scaled = optimizer.scale_loss(loss)
            return scaled, (loss, outputs, non_trainable)

        (_, (loss, outputs, non_trainable)), gradients = jax.value_and_grad(scaled_loss, has_aux=True)(trainable, non_trainable)
        trainable, optimizer_values = optimizer.stateless_apply(optimizer_values, gradients, trainable)
        metric_values = [
            metric.stateless_update_state(values, y, outputs) for metric, values in zip(self._metrics, metric_values)
        ]
        return (trainable, non_trainable, optimizer_values, metric_values), loss, jnp.isfinite(loss)

    def _loss(self, trainable, non_trainable, x, y, training: bool):
        """The batch's mean loss plus the model's own losses (regularizers), as Keras's fit computes it."""
        model = self.job.model
        mapping = [*zip(model.trainable_variables, trainable), *zip(model.non_trainable_variables, non_trainable)]
        # The model's __call__ (not stateless_call, which skips it): it casts inputs to the dtype
        # policy and passes `training` only to layers that take it, as a call in fit does.
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            outputs = model(x, training=training)
            losses = model.losses
        non_trainable = [scope.get_current_value(v) for v in model.non_trainable_variables]
        loss = self.job.loss(y, outputs)
        if losses:
            loss = loss + sum(losses)
        return jnp.asarray(loss, jnp.float32), outputs, non_trainable

    def _validation_logs_of_batches(self, state, batches):
        """`val_loss` and the `val_` metrics over the validation batches, as Keras's evaluate:
        the mean of batch losses weighted by batch size, the metrics reset first."""
        trainable, non_trainable = state[0], state[1]
        values = self._validation_reset
        total, seen = jnp.float32(0.0), 0
        for x, y in batches:  # at most two shapes: the full batches, stacked, and the last one

            def body(carry, batch):
                total, values = carry
                loss, outputs, _ = self._loss(trainable, non_trainable, *batch, training=False)
                values = [m.stateless_update_state(v, batch[1], outputs) for m, v in zip(self._validation_metrics, values)]
                return (total + loss * batch[0].shape[0], values), None

            (total, values), _ = jax.lax.scan(body, (total, values), (x, y))
            seen += x.shape[0] * x.shape[1]
        return {"val_loss": total / seen, **_results(self._validation_metrics, values, prefix="val_")}

    def _learning_rate(self, state):
        optimizer = self.job.optimizer
        with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, state[2]))):
            return jnp.asarray(optimizer.learning_rate, jnp.float32)


def _held_out_batches(x, y, batch_size: int):
    """The batches of a held-out part, stacked by shape: [steps, batch, ...] for the full
    batches, then [1, remainder, ...] for the last one, if smaller."""
    full, remainder = divmod(x.shape[0], batch_size)
    if full:
        yield (x[: full * batch_size].reshape(full, batch_size, *x.shape[1:]),
               y[: full * batch_size].reshape(full, batch_size, *y.shape[1:]))
    if remainder:
        yield x[None, full * batch_size :], y[None, full * batch_size :]


def _new_metrics(job) -> tuple[list[keras.metrics.Metric], list[list]]:
    """The run's metrics with their state created (some create variables at their first
    update), and their variables' values as a reset leaves them."""
    metrics = job.metrics()
    x, y = job.data.sample(1)
    outputs = job.model(x, training=False)
    for metric in metrics:
        metric.update_state(y, outputs)
        metric.reset_state()
    return metrics, [[v.value for v in metric.variables] for metric in metrics]


def _results(metrics, metric_values, prefix: str = "") -> dict:
    return {f"{prefix}{m.name}": jnp.asarray(m.stateless_result(v), jnp.float32) for m, v in zip(metrics, metric_values)}
