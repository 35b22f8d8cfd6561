"""The schemas of configs/train.yaml's top-level keys: what a run is asked to do
besides its components (seed, epochs, metrics, the objective, console,
precision, exports, checkpoints, early stopping, learning rate on plateaus, resume).

Validated before any TensorFlow import, so this module imports nothing heavy.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic

from framework.registry.schema import ComponentConfig
from framework.schedules import Every

# TensorFlow and NumPy take seeds in [0, 2**32 - 1]; epoch counters in graphs are int32.
SEED_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1

# Enough to lose little when a run dies, few enough to cost nothing on runs
# of many short epochs.
_CHECKPOINTS_PER_RUN = 10

# Whether a monitored value is better when lower or higher. Every key that
# names a logged value to watch (objective.metric, early_stopping.monitor,
# checkpoint.best.monitor) comes with one; the plan checks the names.
Mode = Literal["min", "max"]


class BestModelSettings(ComponentConfig):
    """Attributes:
    monitor: The epoch log whose best value keeps a model (`loss`, `val_loss`,
        a metric of `metrics` or its `val_` twin); None keeps no best model.
    mode: min keeps the lowest value, max the highest (accuracy, auc...).
    """

    monitor: str | None
    mode: Mode


class CheckpointSettings(ComponentConfig):
    """Attributes:
    every_n_epochs: Saves a checkpoint every N epochs, and always at the end of
        training (and when a signal stops it); 0 picks N so a run saves about
        ten checkpoints (every epoch for runs of up to ten epochs). Under the
        tape strategy each checkpoint ends a graph call, so small N costs speed.
    every_n_steps: Also saves a checkpoint every N optimizer steps (the global
        step) that falls inside an epoch, with the position in it, so a run
        killed mid-epoch resumes at the next step without reading again the
        batches it trained; 0 (the default) saves at epoch ends only. Under the
        tape strategy each such checkpoint ends a graph call.
    keep: How many of the newest checkpoints stay on disk.
    best: Also keeps model_best.keras, saved at the end of every epoch where
        `best.monitor` improves (under the tape strategy each epoch then ends
        a graph call, as with early stopping).
    """

    every_n_epochs: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]
    every_n_steps: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]
    keep: Annotated[int, pydantic.Field(ge=1, le=INT32_MAX)]
    best: BestModelSettings

    def schedule(self, epochs: int) -> Every:
        """The epochs of a run of `epochs` at whose end a checkpoint is written: every
        every_n_epochs-th (about ten a run when 0) and the last."""
        if self.every_n_epochs:
            return Every(self.every_n_epochs, last=True)
        return Every.about(_CHECKPOINTS_PER_RUN, epochs)


class ValidationSettings(ComponentConfig):
    """Attributes:
    every_n_steps: Also validates every N optimizer steps (the global step) that
        fall inside an epoch, on the weights then, and logs it at that step under
        the epoch validation's names (epoch/val_loss...), so TensorBoard draws
        one curve on the step axis; 0 (the default) validates at epoch ends
        only. Needs validation data (data.val_fraction > 0). Under the tape
        strategy each such validation ends a graph call.
    """

    every_n_steps: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]


class EarlyStoppingSettings(ComponentConfig):
    """Attributes:
    enabled: Stops training early when `monitor` stops improving.
    monitor: The epoch log watched: `loss`, `val_loss` (needs data.val_fraction > 0),
        a metric of `metrics` or its `val_` twin, or a validation set's value
        (`val_<set>_loss`, `val_<set>_<metric>`).
    mode: min stops when `monitor` stops decreasing, max when it stops increasing.
    patience: Epochs without improvement before stopping.
    min_delta: The smallest change that counts as an improvement.
    restore_best_weights: When training ends (stopped early or not), the model
        takes the weights of the epoch where `monitor` was best, as Keras's
        EarlyStopping(restore_best_weights=True) does; model.keras and the
        test split (data.test_fraction) then use those weights.
    """

    enabled: bool
    monitor: str
    mode: Mode
    patience: Annotated[int, pydantic.Field(ge=0)]
    min_delta: Annotated[float, pydantic.Field(ge=0)]
    restore_best_weights: bool


class ObjectiveSettings(ComponentConfig):
    """Attributes:
    metric: The last epoch's log a run returns as its objective (what a sweeper
        optimises): `loss`, `val_loss`, a metric of `metrics` or its `val_`
        twin, or a validation set's value (`val_<set>_loss`); None is
        `val_loss` when the data has a validation split, else `loss`.
    mode: Whether lower (min) or higher (max) is better; sweep=optuna reads it
        as its direction.
    """

    metric: str | None
    mode: Mode


class LROnPlateauSettings(ComponentConfig):
    """Attributes:
    enabled: Lowers the learning rate when `monitor` stops improving (Keras's
        ReduceLROnPlateau); needs a constant learning rate (no schedule, no warmup).
    monitor: The loss watched: `loss`, `val_loss` (needs data.val_fraction > 0),
        or a validation set's loss (`val_<set>_loss`).
    factor: The learning rate is multiplied by this, in (0, 1), at each plateau.
    patience: Epochs without improvement before lowering the rate.
    min_delta: The smallest decrease that counts as an improvement.
    cooldown: Epochs to wait after lowering the rate before watching again.
    min_lr: The rate is never lowered below this.
    """

    enabled: bool
    monitor: str
    factor: Annotated[float, pydantic.Field(gt=0, lt=1)]
    patience: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]
    min_delta: Annotated[float, pydantic.Field(ge=0)]
    cooldown: Annotated[int, pydantic.Field(ge=0)]
    min_lr: Annotated[float, pydantic.Field(ge=0)]


class ExportSettings(ComponentConfig):
    """Attributes:
    saved_model: Also exports <run dir>/saved_model, a TensorFlow SavedModel
        with a `serve` signature for TF Serving and `tf.saved_model.load`.
    """

    saved_model: bool


class ProfileSettings(ComponentConfig):
    """Attributes:
    epochs: Traces this many epochs with the TensorFlow profiler (after the
        run's first epoch, which traces and compiles the graph; from the first
        when the run has no more epochs than this), into the TensorBoard
        directory for TensorBoard's Profile tab; 0 traces nothing.
    """

    epochs: Annotated[int, pydantic.Field(ge=0)]


class RunSettings(ComponentConfig):
    """Attributes:
    backend: The Keras backend the run trains on: tensorflow, or jax (the
        `jax` install extra). Keras reads it once, when it loads; a run
        imports only its backend's library.
    seed: Seeds Python, NumPy and the backend; the same seed gives the same run.
        0 to 2**32 - 1, the range TensorFlow and NumPy accept.
    epochs: Passes over the training data (at most 2**31 - 1).
    metrics: Keras metrics computed every epoch on the training batches and on
        the validation data, each a METRICS key or a mapping `{name: <key>,
        ...arguments}` (e.g. `{name: auc, curve: PR}`); logged under the key
        and `val_<key>`.
    validation_sets: Extra validation data by name, each evaluated at every
        epoch's end like the validation split: a mapping of the run's `data`
        keys that differ (`{shifted: {path: shifted.csv}}`, `{fresh: {seed: 7}}`,
        or another source: `{old: {name: parquet, path: old.parquet}}`); every
        example of it is read, with the training data's normalizer. Logged as
        `val_<name>_loss` and `val_<name>_<metric>`. On the command line:
        `'+validation_sets.shifted={path: shifted.csv}'`.
    callbacks: Keras callbacks called at every epoch under every strategy, each
        a CALLBACKS key or a mapping `{name: <key>, ...arguments}` (e.g.
        `{name: remote_monitor, root: http://localhost:9000}`).
    objective: Which logged value the run returns, and which way is better.
    plugins: Extra modules to import so their components register (local code
        that is not an installed plugin).
    verbose: Console output: 0 only the final summary (and warnings and errors),
        1 Keras's progress bar, 2 one line per epoch in the tutorial's words
        (W, b and the loss).
    precision: Keras dtype policy: float32, or mixed_bfloat16 / mixed_float16
        (variables in float32, computation in 16 bits).
    run_eagerly: Runs tf.functions eagerly, so breakpoints and prints in
        layers and losses work (slow; `debug=eager` sets it).
    export: Extra exports besides model.keras.
    device: auto trains on a GPU when TensorFlow sees one, else the CPU; cpu
        hides the GPUs; gpu requires one.
    plots: Saves the end-of-run plots (they read the run's events back, which
        for long runs logged every epoch takes longer than training).
    checkpoint: When checkpoints are saved and how many are kept.
    validation: Validation inside epochs, besides each epoch's.
    early_stopping: Whether and when to stop before `epochs`.
    profile: Whether to write a profiler trace of a few epochs.
    lr_on_plateau: Whether and when to lower the learning rate when the loss stalls.
    resume: The run directory being continued (set by `resume=<run dir>`), or None.
    allow_changed_data: With resume, continues even though a data file the run
        read has changed since (its size, content, or a sampled file's time);
        false refuses such a resume and names the file.
    init_from: A finished run's directory whose trained weights start this run
        (fine-tuning): each layer takes the weights of the layer of the same
        name there. A new run of its own, with its own config and fingerprint.
    init_from_strict: With init_from, a layer whose name matches but whose
        weights have other shapes stops the run; false starts such layers
        afresh (a new head of another size) and reports them.
    freeze: Layer names (shell-style patterns such as `conv*`) whose weights are
        not trained, for any model; a matched nested model (an application's
        backbone) is frozen whole. A pattern matching no layer is an error.
    """

    backend: Literal["tensorflow", "jax"]
    seed: Annotated[int, pydantic.Field(ge=0, le=SEED_MAX)]
    epochs: Annotated[int, pydantic.Field(ge=1, le=INT32_MAX)]
    metrics: list[str | dict[str, Any]]
    validation_sets: dict[str, Any]
    callbacks: list[str | dict[str, Any]]
    objective: ObjectiveSettings
    plugins: list[str]
    verbose: Annotated[int, pydantic.Field(ge=0, le=2)]
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"]
    run_eagerly: bool
    export: ExportSettings
    device: Literal["auto", "cpu", "gpu"]
    plots: bool
    checkpoint: CheckpointSettings
    validation: ValidationSettings
    early_stopping: EarlyStoppingSettings
    profile: ProfileSettings
    lr_on_plateau: LROnPlateauSettings
    resume: str | None
    allow_changed_data: bool
    init_from: Annotated[str, pydantic.Field(min_length=1)] | None
    init_from_strict: bool
    freeze: list[Annotated[str, pydantic.Field(min_length=1)]]
