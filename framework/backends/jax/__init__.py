"""The JAX backend: jax.jit loops over every variable's value, batches from NumPy, records written from the host."""

from __future__ import annotations

import jax

from framework.backends.backend import Backend, FitInputs
from framework.backends.jax.devices import log_variable_placement, select_devices
from framework.backends.jax.epoch_loop import JaxEpochs
from framework.backends.jax.fit_logging import HostLoggerCallback
from framework.backends.jax.sharding import ProcessShares, process_share
from framework.backends.jax.without_tensorflow import (
    set_random_seed_without_tensorflow,
    use_tensorboard_without_tensorflow,
)
from framework.data.batches import PartBatches

use_tensorboard_without_tensorflow()


def _fit_inputs(job, first_epoch: int, first_step: int, stop_epoch: int) -> FitInputs:
    """The epochs' batches; with several processes (distribution=data_parallel) each feeds its share."""
    data = job.data

    def training_batches():  # the epochs one after another, as the data source orders them
        for epoch in range(first_epoch, stop_epoch):
            order = data.epoch_order(epoch)  # drawn once an epoch: it permutes every held example
            for step in range(first_step if epoch == first_epoch else 0, data.steps_per_epoch):
                yield process_share(data.storage.train_batch(order, step))

    return FitInputs(
        x=training_batches(),
        validation_data=ProcessShares(PartBatches(data, "validation")) if data.validation_steps else None,
        steps_per_epoch=data.steps_per_epoch - first_step,
    )


BACKEND = Backend(
    name="jax",
    always_compiles=True,
    epoch_loop=JaxEpochs,
    records_end_calls=True,
    fit_inputs=_fit_inputs,
    evaluation_input=ProcessShares,  # with several processes each feeds its share, as for validation
    logger_callback=HostLoggerCallback,
    write_errors=(OSError,),
    run_functions_eagerly=lambda eagerly: jax.config.update("jax_disable_jit", eagerly),
    start_profiler=jax.profiler.start_trace,
    select_devices=select_devices,
    log_variable_placement=log_variable_placement,
    stop_profiler=jax.profiler.stop_trace,
    set_random_seed=set_random_seed_without_tensorflow,
)
