"""The TensorFlow backend: tf.function loops, tf.data pipelines, records written inside the graph."""

from __future__ import annotations

import keras
import tensorflow as tf

from framework.backends.backend import Backend, FitInputs
from framework.backends.tensorflow.devices import log_variable_placement, select_devices
from framework.backends.tensorflow.epoch_loop import CompiledEpochs
from framework.backends.tensorflow.examples import (
    TensorFlowExamples,
    held_out_dataset,
    training_dataset,
)
from framework.backends.tensorflow.fit_logging import LoggerCallback


def _fit_inputs(job, first_epoch: int, first_step: int, stop_epoch: int) -> FitInputs:
    # One pipeline over all epochs with `steps_per_epoch` spares Keras from rebuilding
    # its iterator each epoch, the main per-epoch cost of fit(x, y) on small data.
    examples = TensorFlowExamples(job.data)
    return FitInputs(
        x=training_dataset(examples, stop_epoch, first_epoch, first_step),
        validation_data=held_out_dataset(examples, "validation"),
        steps_per_epoch=job.data.steps_per_epoch - first_step,
    )


def _evaluation_input(batches):
    # A set held in memory as one tf.data pipeline, built once: Keras's evaluate on arrays rebuilds
    # its pipeline at every call (about 70 ms), and a PyDataset of held arrays gave wrong values
    # under distribution=mirrored.
    held = batches.held()
    if held is None:
        return batches
    return tf.data.Dataset.from_tensor_slices(held).batch(batches.source.batch_size).prefetch(tf.data.AUTOTUNE)


BACKEND = Backend(
    name="tensorflow",
    always_compiles=False,
    epoch_loop=CompiledEpochs,
    records_end_calls=False,
    fit_inputs=_fit_inputs,
    evaluation_input=_evaluation_input,
    logger_callback=lambda job: LoggerCallback(job.logger, job.records, job.run_records),
    write_errors=(OSError, tf.errors.OpError),
    run_functions_eagerly=tf.config.run_functions_eagerly,
    start_profiler=tf.profiler.experimental.start,
    select_devices=select_devices,
    log_variable_placement=log_variable_placement,
    stop_profiler=tf.profiler.experimental.stop,
    set_random_seed=keras.utils.set_random_seed,
)
