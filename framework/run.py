"""The composition root: one composed config in, one trained run out.

`run(cfg, run_dir)` is what the CLI calls and what tests call directly. It
reads top to bottom as a run happens: the plan (validated config), devices
and distribution, what to compute, what keeps the run safe, the loop, what
the run leaves behind.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path

import keras
from omegaconf import DictConfig

from framework.backends import Backend, selected
from framework.backends.step_validation import StepValidation
from framework.callbacks import (
    CheckpointSaver,
    EpochReport,
    ProfilerTrace,
    ProgressBar,
    best_model_callbacks,
    best_weights_callbacks,
    config_callbacks,
    early_stopping_callback,
    lr_on_plateau_callbacks,
    pruning_callbacks,
)
from framework.checkpoints.finite_weights import check_finite_weights
from framework.checkpoints.resuming import finished_run, resume_run
from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.checkpoints.step_checkpoints import StepCheckpoints
from framework.checkpoints.stop_signals import StopOnSignal
from framework.config.data_advice import warn_about_settings
from framework.config.fingerprint import experiment_fingerprint
from framework.config.plan import RunPlan, check_started_run, plan_run
from framework.config.pruning_selection import check_pruning_has_a_trial
from framework.data.batches import PartBatches
from framework.data.identity import data_identity, identity_params
from framework.data.source import DataSource
from framework.data.streamed import reraising_data_errors
from framework.data.validation_sets import ValidationSets
from framework.distribution.base import Placement
from framework.errors import ConfigError
from framework.layers.categorical_inputs import CategoricalInputs
from framework.loggers.fan_out import FanOutLogger, ending_run
from framework.loggers.run_records import RunRecords
from framework.models.for_data import build_model
from framework.models.freezing import freeze_layers
from framework.models.init_from import start_from_trained_run
from framework.models.summary import ModelSummary
from framework.reports.run_report import write_run_report
from framework.result import RunResult, final_variables
from framework.run_directory import RunDirectory
from framework.saving import export_saved_model, save_input_and_class_names, save_model
from framework.schedules import EveryNStepsInsideEpochs
from framework.strategies import TrainingJob
from framework.sweeps.job import SweepJob

log = logging.getLogger("framework")
details = logging.getLogger("framework.details")  # train.log only

def run(cfg: DictConfig, run_dir: str | Path, sweep: SweepJob | None = None) -> RunResult:
    """Validates `cfg`, builds every component, trains, and saves the results.

    Args:
        cfg: The composed config (configs/train.yaml plus overrides; see
            framework.config.compose).
        run_dir: Directory for TensorBoard events, checkpoints, the model and summary.json.
        sweep: The multirun this run is a job of, and its Optuna trial (framework.train
            reads them from Hydra); None for a single run.

    Returns:
        The run's final metrics and variables, also written to summary.json.
        Resuming a finished run trains nothing and returns its summary.

    Raises:
        ConfigError: The config is invalid; nothing was trained.
        RunDirectoryError: `run_dir` holds another run, or another process writes it.
        NonFiniteLossError: The loss or the weights diverged; the last finite checkpoint is kept.
        TrainingInterrupted: A signal stopped training; a checkpoint was saved.

    A run that raises leaves a FAILED file in `run_dir` holding the error
    (except when interrupted: that run can be resumed; and never in a
    finished run, whose results a failed resume attempt leaves as they were).
    """
    run_dir = RunDirectory(run_dir)
    with run_dir.claimed():  # one process per run directory
        if not cfg.get("resume"):
            run_dir.refuse_if_taken()  # before anything is written, so the other run stays whole
        with run_dir.marking_failure():
            plan = plan_run(cfg)
            finished = finished_run(run_dir, plan.settings.resume, plan.settings.epochs)
            if finished is not None:
                return finished
            check_pruning_has_a_trial(plan.components["pruning"].pruner.key, bool(sweep and sweep.trial), sweep is not None)
            backend = _loaded_backend(plan)
            # Devices and the tf.distribute strategy are fixed first: TensorFlow
            # accepts device settings only before its first op.
            distribution = plan.build("distribution")
            distribution.before_backend_starts()  # JAX's device count and processes: read once, at its start
            placement = distribution.start(backend.select_devices(plan.settings.device))
            _start_keras(plan, backend)
            with placement.scope(), placement.output_dir(run_dir.path) as output_dir:
                return _train(plan, RunDirectory(output_dir), placement, sweep=sweep)


def _loaded_backend(plan: RunPlan) -> Backend:
    """The backend Keras loaded in this process, which must be the run's."""
    if keras.backend.backend() != plan.settings.backend:
        raise ConfigError(
            f"backend={plan.settings.backend}: this process loaded Keras with the {keras.backend.backend()} "
            f"backend (Keras reads KERAS_BACKEND once, when it is imported). Set KERAS_BACKEND="
            f"{plan.settings.backend} before importing keras, or run python -m framework.train backend={plan.settings.backend}."
        )
    return selected()


def _start_keras(plan: RunPlan, backend: Backend) -> None:
    settings = plan.settings
    # A fresh Keras session makes layer names, and so variable paths and
    # TensorBoard tags, the same in every run regardless of earlier runs. It
    # resets TensorFlow's default graph, so it comes before the strategy's scope.
    keras.backend.clear_session()
    backend.set_random_seed(settings.seed)
    keras.mixed_precision.set_global_policy(settings.precision)  # before any layer is built
    backend.run_functions_eagerly(settings.run_eagerly)  # so breakpoints stop inside compiled steps


def _train(plan: RunPlan, run_dir: RunDirectory, placement: Placement, sweep: SweepJob | None) -> RunResult:
    """Builds every component (under the distribution's scope), trains and saves into `run_dir`."""
    settings = plan.settings
    write_errors = selected().write_errors  # what writing outputs raises when the disk is full or failing
    data, validation_sets, model, user_callbacks = _data_and_model(plan, placement)
    loss, optimizer, strategy = plan.build("loss"), plan.build("optimizer"), plan.build("strategy")
    run_dir.path.mkdir(parents=True, exist_ok=True)
    model_summary = _write_model_summary(model, run_dir, shown=settings.verbose == 1)
    checkpoint = RunCheckpoint(run_dir, model, optimizer, settings.checkpoint.keep)
    fingerprint = experiment_fingerprint(plan.config)
    data_files = data_identity([*data.data_files, *validation_sets.data_files])  # a resume refuses changed files
    initial_epoch, initial_step = resume_run(checkpoint, run_dir, settings.resume, fingerprint, data_files, settings.allow_changed_data)
    init_from = start_from_trained_run(model, settings, run_dir, initial_epoch)
    with run_dir.writing("the TensorBoard events", run_dir.events, write_errors):
        logger = FanOutLogger.build(
            plan.components["logger"], run_dir, _with_data_identity(plan.config, data_files), initial_epoch, data.num_train_examples,
            group=sweep.sweep_dir if sweep else None,
        )  # after resuming: a logger continues where the checkpoint left off
    run_records = _run_records(settings.epochs, checkpoint, model, initial_epoch)
    trial = sweep.trial if sweep else None
    with ending_run(logger, run_dir):  # trackers see the run finish, fail or stop, after the report
        callbacks = _RunCallbacks(plan, run_dir, checkpoint, run_records, trial, initial_epoch, user_callbacks)
        with StopOnSignal() as stop_signal:  # SIGTERM/SIGINT end training at an epoch boundary
            job = TrainingJob(
                model, loss, optimizer, data, settings.epochs, logger, callbacks.all,
                metrics=functools.partial(_build_metrics, plan), verbose=settings.verbose,
                initial_epoch=initial_epoch, stop_requested=stop_signal.requested, run_records=run_records,
                **_inside_epochs(settings, data, initial_step, checkpoint, callbacks.saver, logger),
                validation_sets=validation_sets,
            )
            with reraising_data_errors(data):  # a file that vanished mid-run: its own error, not the backend's
                epoch_logs = _trained(strategy, job, run_dir, write_errors)
        stop_signal.raise_if_stopped(checkpoint, run_dir)
        # With use_ema the model keeps the weights' moving average from here on, as
        # model.fit leaves it; the tape loop does not, and doing it twice is harmless.
        optimizer.finalize_variable_values(model.trainable_variables)
        epochs_done = initial_epoch + len(next(iter(epoch_logs.values()), []))
        check_finite_weights(model, optimizer, epochs_done)  # the last update's loss is never computed
        from_logits = _save_model(plan, model, data, run_dir, write_errors)
        result = RunResult(
            run_dir=str(run_dir.path),
            strategy=plan.components["strategy"].key,
            backend=settings.backend,
            epochs=epochs_done,
            global_step=int(optimizer.iterations.numpy()),
            metrics={**_final_metrics(epoch_logs, checkpoint), **_test_metrics(model, data)},
            objective_metric=settings.objective.metric,
            **final_variables(model.trainable_variables),
            loop=strategy.loop_stats(),
            parameters=model_summary.parameters,
            init_from=init_from,
            data=data_files,
            trial=trial.record(callbacks.pruned_at_epoch) if trial else None,
        )
        with run_dir.writing("the end-of-run report (plots, HParams) into", run_dir.path, write_errors):
            write_run_report(data, model, run_dir, run_records, plots_wanted=settings.plots, from_logits=from_logits)
        with run_dir.writing("the summary", run_dir.summary):
            result.write(run_dir.summary)  # last: a run with summary.json has every output
    return result


def _data_and_model(
    plan: RunPlan, placement: Placement
) -> tuple[DataSource, ValidationSets, keras.Model, list[keras.callbacks.Callback]]:
    """The data source, its extra validation sets, and the model built for it (normalizer, frozen
    layers), checked against each other, the plan and the distribution, and the `callbacks` list
    (refused ones stop the run before it writes)."""
    data = plan.build("data")
    validation_sets = ValidationSets.build(plan.validation_sets, data)
    check_started_run(plan, data, placement.replicas, validation_sets.sources)
    user_callbacks = config_callbacks(plan.callbacks)
    model = _with_input_layers(plan.components["model"], data)
    _build_model_for(model, data, plan.components["model"].key)
    freeze_layers(model, plan.settings.freeze)  # before the optimizer sees the trainable variables
    placement.check_model(model)
    warn_about_settings(plan, data, model)
    selected().log_variable_placement(model)
    return data, validation_sets, model, user_callbacks


def _run_records(epochs: int, checkpoint: RunCheckpoint, model: keras.Model, initial_epoch: int) -> RunRecords:
    """What the run logs, for its reports; a resume keeps the earlier ones."""
    run_records = RunRecords(epochs)
    run_records.restore(checkpoint.restored_state.get("records", {}), initial_epoch)
    run_records.start({v.path: v.numpy() for v in model.trainable_variables if math.prod(v.shape) == 1})
    return run_records


class _RunCallbacks:
    """The run's callbacks in the order they must hear of each epoch."""

    def __init__(self, plan, run_dir, checkpoint, run_records, trial, initial_epoch, user_callbacks):
        settings = plan.settings
        early_stopping = early_stopping_callback(settings.early_stopping)
        resumable = {"early_stopping": early_stopping} if early_stopping else {}
        for name, callback in resumable.items():
            callback.restore_state(checkpoint.restored_state.get("callbacks", {}).get(name, {}))
        self.saver = CheckpointSaver(checkpoint, settings.checkpoint.schedule(settings.epochs), resumable, run_records)
        self.pruning = pruning_callbacks(plan.components["pruning"], trial, settings.objective.metric, settings.epochs)
        self.all = [
            *([ProgressBar(settings.epochs)] if settings.verbose == 1 else []),
            *([EpochReport(settings.epochs)] if settings.verbose == 2 else []),
            *lr_on_plateau_callbacks(settings.lr_on_plateau),
            *resumable.values(),  # before the saver, which keeps their state of the same epoch
            *best_model_callbacks(settings.checkpoint.best, run_dir.best_model),
            *user_callbacks,
            *self.pruning,
            self.saver,
            *best_weights_callbacks(early_stopping),  # after the saver: checkpoints keep the last weights
            *([ProfilerTrace(run_dir.events, settings.profile.epochs, initial_epoch, settings.epochs)]
              if settings.profile.epochs else []),
        ]

    @property
    def pruned_at_epoch(self) -> int | None:
        return self.pruning[0].pruned_at_epoch if self.pruning else None


def _inside_epochs(settings, data: DataSource, initial_step: int, checkpoint: RunCheckpoint, saver: CheckpointSaver,
                   logger: FanOutLogger) -> dict:
    """The job's position inside its first epoch (a resume from a checkpoint saved inside one, with
    the epoch's progress) and the checkpoints (checkpoint.every_n_steps, written by the run's
    checkpoint saver) and validation (validation.every_n_steps, handed to its loggers) due inside epochs."""
    checkpoints, validation = settings.checkpoint.every_n_steps, settings.validation.every_n_steps
    return {
        "initial_step": initial_step,
        "epoch_progress": checkpoint.restored_progress,
        "step_checkpoints": StepCheckpoints(EveryNStepsInsideEpochs(checkpoints, data.steps_per_epoch), saver.save_inside_epoch)
        if checkpoints else None,
        "step_validation": StepValidation(EveryNStepsInsideEpochs(validation, data.steps_per_epoch), data, logger)
        if validation else None,
    }


def _trained(strategy, job: TrainingJob, run_dir: RunDirectory, write_errors) -> dict[str, list[float]]:
    """Trains the job; returns its epoch logs (none for a run killed during its end-of-run reporting,
    which has no epochs left: it only completes its outputs)."""
    try:
        with run_dir.writing("the TensorBoard events", run_dir.events, write_errors):
            return strategy.train(job).history if job.initial_epoch < job.epochs else {}
    finally:
        with run_dir.writing("the TensorBoard events", run_dir.events, write_errors):
            job.logger.close()


def _save_model(plan: RunPlan, model: keras.Model, data: DataSource, run_dir: RunDirectory, write_errors) -> bool:
    """model.keras, the SavedModel if asked, and the names framework.predict reads inputs and outputs
    by; returns whether the model's scores are logits (not probabilities)."""
    with run_dir.writing("the model", run_dir.model, write_errors):
        save_model(model, run_dir.model)
    if plan.settings.export.saved_model:
        with run_dir.writing("the SavedModel", run_dir.saved_model, write_errors):
            export_saved_model(model, run_dir.saved_model)
    from_logits = bool(plan.components["loss"].kwargs.get("from_logits", False))
    save_input_and_class_names(run_dir, data, from_logits)
    return from_logits


def _with_data_identity(config: dict, data_files: list[dict]) -> dict:
    """The config trackers record as params, with a `data_identity` summary of the files read (if any)."""
    return {**config, "data_identity": identity_params(data_files)} if data_files else config


def _final_metrics(epoch_logs: dict[str, list[float]], checkpoint: RunCheckpoint) -> dict[str, float]:
    """The last epoch's logs; for a resumed run with no epochs left, those its last checkpoint kept."""
    if epoch_logs:
        return {name: float(values[-1]) for name, values in epoch_logs.items()}
    return dict(checkpoint.restored_state.get("logs", {}))


def _with_input_layers(resolved_model, data: DataSource) -> keras.Model:
    """The configured model behind the data's Normalization layer (data.normalize=true) and the
    encoding of its categorical columns, so the saved model, framework.predict and the
    SavedModel all take the data's rows as they are; the model is built for what those pass on."""
    normalizer, encoder = data.normalizer(), None
    shape = data.input_shape
    if data.categories is not None:
        categories = data.categories
        log.info("data: categorical columns, encoded inside the model:\n%s", categories.describe())
        encoder = CategoricalInputs([column.to_config() for column in categories.columns], categories.encoding,
                                    categories.embedding_dim, name="categorical_inputs")
        shape = tuple(encoder.compute_output_shape((None, *shape))[1:])
    model = build_model(resolved_model, shape)
    front = [layer for layer in (normalizer, encoder) if layer is not None]
    if not front:
        return model
    return keras.Sequential([*front, model], name=f"{'encoded' if encoder else 'normalized'}_{model.name}")


def _test_metrics(model: keras.Model, data) -> dict[str, float]:
    """The held-out test split (data.test_fraction) evaluated once, as Keras's evaluate does, as `test_<name>`."""
    if not data.num_test_examples:
        return {}
    with reraising_data_errors(data):
        results = model.evaluate(PartBatches(data, "test"), verbose=0, return_dict=True)
    return {f"test_{name}": float(value) for name, value in results.items()}


def _write_model_summary(model: keras.Model, run_dir: RunDirectory, shown: bool) -> ModelSummary:
    summary = ModelSummary.of(model)
    run_dir.model_summary.write_text(summary.text)
    # On the console beside the progress bar; the tutorial's lines (verbose=2) stay alone there.
    (log if shown else details).info("%s", summary.text.rstrip())
    return summary


def _build_metrics(plan: RunPlan) -> list[keras.metrics.Metric]:
    """A fresh Keras metric for each entry of `metrics`, named by its key (its name in the logs)."""
    return [metric.build(name=metric.key) for metric in plan.metrics]


def _build_model_for(model: keras.Model, data, model_key: str) -> None:
    """Builds the model for batches of any size (its summary shows the batch as None, as Keras's
    does), runs it on one example and checks its output fits the targets."""
    sample, _ = data.sample(1)
    try:
        model.build((None, *sample.shape[1:]))
        output = model(sample)
    except (ValueError, TypeError) as error:
        raise ConfigError(
            f"model: the model cannot take the data's inputs of shape {tuple(sample.shape)} "
            f"(data '{type(data).__name__}'): {error}"
        ) from error
    produced = tuple(output.shape[1:])
    if data.num_classes is not None:
        # One score per class (softmax or logits), or one for two classes (sigmoid).
        fits = produced == (data.num_classes,) or (data.num_classes == 2 and produced == (1,))
        expected, units = f"{data.num_classes} class scores", data.num_classes
    else:
        fits, expected, units = produced == tuple(data.target_shape), f"shape {tuple(data.target_shape)}", data.target_shape[-1]
    if fits:
        return
    fix = f"Make the last layer output {units} unit(s), e.g. end model.layers with {{name: dense, units: {units}}}."
    if model_key != "sequential":  # its layers are not the config's to change
        flatten = "{name: flatten}, " if len(sample.shape) > 2 else ""
        fix = (f"The {model_key} model cannot be changed to fit; choose a stack of layers that ends in {units} unit(s): "
               f"model=sequential 'model.layers=[{flatten}{{name: dense, units: {units}}}]'.")
    raise ConfigError(f"model: the model outputs shape {produced} per example but the data's targets need {expected}. {fix}")
