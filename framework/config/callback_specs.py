"""The top-level `callbacks: [...]` list: Keras callbacks by CALLBACKS key, arguments checked.

`callbacks=[terminate_on_nan, {name: remote_monitor, root: http://host:9000}]`:
each entry is a key or a mapping `{name: <key>, ...arguments}`, resolved and
its argument names checked against the callback's signature (did-you-mean)
before anything is built. Keras callbacks whose job a config key of the
framework already does are refused with a pointer to that key: two owners of
one job (two checkpointers, two early stoppers) would disagree on resume.
"""

from __future__ import annotations

from typing import Any

from framework.errors import ConfigError
from framework.registry import CALLBACKS, Resolved

# Keras's callbacks that are not offered, by class name, with what to use instead. A key
# names one when it spells the class name in any case, with or without underscores.
NOT_OFFERED: dict[str, str] = {
    "ModelCheckpoint": "the framework checkpoints every run (checkpoint.every_n_epochs, checkpoint.keep) and keeps the best model with checkpoint.best.monitor",
    "BackupAndRestore": "the framework checkpoints every run and continues it with resume=<run dir>",
    "EarlyStopping": "use early_stopping.enabled=true (early_stopping.monitor, .patience, .min_delta), which resume keeps",
    "ReduceLROnPlateau": "use lr_on_plateau.enabled=true (lr_on_plateau.monitor, .factor, .patience)",
    "TensorBoard": "the tensorboard logger writes TensorBoard events (logger=tensorboard, logger.log_every_n_steps)",
    "CSVLogger": "use logger=[tensorboard,csv], which writes <run dir>/metrics.csv with Keras's CSVLogger and keeps it right across a resume",
    "LearningRateScheduler": "choose a schedule with optimizer/schedule=cosine (or exponential, piecewise); a config cannot hold the Python function this callback takes",
    "LambdaCallback": "a config cannot hold Python functions; register your own callback class in a plugin with @CALLBACKS.register(\"key\")",
    "ProgbarLogger": "use verbose=1 for Keras's progress bar",
    "History": "every run keeps its history: summary.json and the loggers",
    "SwapEMAWeights": "use optimizer.use_ema=true: the model keeps the weights' moving average at the end of training",
}


def not_offered(key: str) -> str | None:
    """Why the Keras callback `key` names is not offered, or None if it names none of them."""
    for class_name, reason in NOT_OFFERED.items():
        if str(key).replace("_", "").lower() == class_name.lower():
            return f"'{key}' is Keras's {class_name}, which is not offered as a callback: {reason}."
    return None


def resolve_callbacks(specs: list[Any], where: str = "callbacks") -> list[Resolved]:
    """Each entry of `callbacks` resolved and its argument names checked; builds nothing.

    Raises:
        ConfigError: An entry names an unknown key (with the closest ones), a
            Keras callback the framework does in its own way (with the key
            that does it), or an argument the callback does not take.
    """
    resolved, problems = [], []
    for index, spec in enumerate(specs):
        spec = {"name": spec} if isinstance(spec, str) else spec
        here = f"{where}[{index}]"
        try:
            key = spec.get("name") if isinstance(spec, dict) else None
            reason = not_offered(key) if key is not None and key not in CALLBACKS else None
            if reason:
                raise ConfigError(f"{here}.name: {reason}")
            resolved.append(CALLBACKS.resolve(spec, where=here))
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError("\n".join(problems))
    return resolved
