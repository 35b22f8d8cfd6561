"""A hand-written training loop: tf.GradientTape inside a compiled step."""

from __future__ import annotations

import keras
import pydantic
import tensorflow as tf

from framework.registry import STRATEGIES
from framework.strategies.job import TrainingJob, TrainingStrategy
from framework.validation import ComponentConfig


class TapeStrategyConfig(ComponentConfig):
    """Attributes:
    jit_compile: Compiles the training step with XLA.
    verbose: 0 silent, 1 a Keras progress bar, 2 one line per epoch (as in fit).
    """

    jit_compile: bool
    verbose: int = pydantic.Field(ge=0, le=2)


@STRATEGIES.register("tape", config=TapeStrategyConfig)
class TapeStrategy(TrainingStrategy):
    """Computes the loss under tf.GradientTape and applies the Keras optimizer.

    Callbacks see the same calls as under `model.fit`, and the running epoch
    loss is tracked the same way (a mean weighted by batch size), so logs from
    both strategies mean the same thing.
    """

    def __init__(self, jit_compile: bool, verbose: int):
        self.jit_compile = jit_compile
        self.verbose = verbose

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        model, loss_fn, optimizer = job.model, job.loss, job.optimizer
        # Compiling attaches the optimizer and loss to the model, so callbacks
        # and the saved .keras file see them exactly as under fit.
        model.compile(optimizer=optimizer, loss=loss_fn, jit_compile=self.jit_compile)
        optimizer.build(model.trainable_variables)
        loss_tracker = keras.metrics.Mean(name="loss")
        val_loss_tracker = keras.metrics.Mean(name="val_loss")

        def train_step(x, y):
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = loss_fn(y, y_pred) + sum(model.losses)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            loss_tracker.update_state(loss, sample_weight=tf.shape(x)[0])

        def val_step(x, y):
            loss = loss_fn(y, model(x, training=False)) + sum(model.losses)
            val_loss_tracker.update_state(loss, sample_weight=tf.shape(x)[0])

        train_step = tf.function(train_step, jit_compile=self.jit_compile, reduce_retracing=True)
        val_step = tf.function(val_step, jit_compile=self.jit_compile, reduce_retracing=True)

        batches = iter(job.data.train_dataset(job.epochs))
        validation_dataset = job.data.validation_dataset()
        callbacks = keras.callbacks.CallbackList(
            job.callbacks,
            add_history=True,
            add_progbar=self.verbose != 0,
            model=model,
            verbose=self.verbose,
            epochs=job.epochs,
            steps=job.data.steps_per_epoch,
        )
        model.stop_training = False
        callbacks.on_train_begin()
        logs: dict[str, float] = {}
        for epoch in range(job.epochs):
            callbacks.on_epoch_begin(epoch)
            loss_tracker.reset_state()
            for step in range(job.data.steps_per_epoch):
                callbacks.on_train_batch_begin(step)
                train_step(*next(batches))
                callbacks.on_train_batch_end(step, {"loss": loss_tracker.result()})
            logs = {"loss": float(loss_tracker.result())}
            if validation_dataset is not None:
                val_loss_tracker.reset_state()
                for x, y in validation_dataset:
                    val_step(x, y)
                logs["val_loss"] = float(val_loss_tracker.result())
            callbacks.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callbacks.on_train_end(logs)
        return model.history
