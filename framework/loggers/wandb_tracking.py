"""logger=wandb: the run as a Weights & Biases run, with W&B's own client.

    config     the run config, nested as it is composed
    metrics    each epoch record's logs, learning_rate and epoch, and step/loss
               with logger.log_every_n_steps, all against `global_step` (the
               optimizer's step; W&B's own `_step` only counts the records)
    summary    the run's final metrics and objective (summary.json), at the end
    artifacts  a `model` artifact (model.keras, summary.json, classes.json) and
               the plots as images, once the report is written

Where it records is W&B's choice, as W&B users expect: `logger.wandb.mode`
when set, else $WANDB_MODE (`offline` records into the local folder only,
with no network; `wandb sync` uploads it later); files go under
`logger.wandb.dir`, else $WANDB_DIR, else the launch directory. Every job of a
multirun is in the W&B group named by its sweep directory.

The W&B run id is kept in the run directory, so `resume=<run dir>` goes on
recording into the same W&B run. A W&B failure never costs the run: W&B not
starting is an error before anything is trained; a W&B error once training
has begun is a warning, W&B records nothing more, and training and the run's
own outputs go on. `wandb` (the `wandb` extra) is imported only by runs that
select this logger.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from framework.errors import ConfigError
from framework.loggers.base import LoggerContext, RunOutcome
from framework.loggers.python_side import PythonSideLogger
from framework.registry import LOGGERS
from framework.registry.schema import ComponentConfig
from framework.run_directory import RunDirectory

if TYPE_CHECKING:
    import keras

log = logging.getLogger("framework")

# W&B's x-axis for every metric: the optimizer's global step, as TensorBoard and MLflow use.
_STEP = "global_step"
# The exit code W&B records for each end of a run (W&B marks any non-zero one failed).
_EXIT_CODES = {RunOutcome.FINISHED: 0, RunOutcome.FAILED: 1, RunOutcome.KILLED: 2}


class WandbLoggerConfig(ComponentConfig):
    """Attributes:
    project: The W&B project the run is recorded in.
    entity: The W&B user or team; None: W&B's default for the logged-in user.
    mode: online, offline (no network; `wandb sync` uploads later) or
        disabled; None: $WANDB_MODE, else W&B's default (online).
    dir: Where W&B writes its local files (a `wandb/` folder in it); None:
        $WANDB_DIR, else the launch directory.
    """

    project: str
    entity: str | None
    mode: Literal["online", "offline", "disabled"] | None
    dir: str | None


@LOGGERS.register("wandb", config=WandbLoggerConfig)
class WandbLogger(PythonSideLogger):
    """Records config, metrics, summary and artifacts into one W&B run per run directory."""

    def __init__(self, context: LoggerContext, project: str, entity: str | None, mode: str | None, dir: str | None):
        super().__init__(context.cadence, takes_steps=True)
        _require_wandb()
        self.run_dir = context.run_dir
        self.config = context.config
        self.group = context.group
        self.init_arguments = {"project": project, "entity": entity, "mode": mode, "dir": dir}
        self._run = None  # the wandb Run while it records: None before open, after the end or a W&B failure

    def open(self, model: keras.Model, epochs: int) -> None:
        import wandb

        id_file = self.run_dir.wandb_run_id
        run_id = id_file.read_text().strip() if id_file.is_file() else None
        try:
            self._run = wandb.init(
                **self.init_arguments, id=run_id, resume="allow" if run_id else None, name=self.run_dir.path.name,
                group=self.group, config=dict(self.config), settings=wandb.Settings(console="off"),
            )
        except (wandb.errors.Error, OSError) as error:
            raise ConfigError(
                f"logger=wandb: W&B cannot start a run ({type(error).__name__}: {error}). Log in with "
                f"`wandb login` (or set WANDB_API_KEY), or record without a network: WANDB_MODE=offline "
                f"(or logger.wandb.mode=offline) and `wandb sync` later."
            ) from None
        self._run.define_metric(_STEP)
        self._run.define_metric("*", step_metric=_STEP)
        id_file.write_text(self._run.id + "\n")

    def write_step(self, step: int, loss: float) -> None:
        self._record(lambda: self._run.log({"step/loss": loss, _STEP: step}))

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        self._record(lambda: self._run.log({**values, "epoch": epoch, _STEP: step}))

    def write_validation(self, step: int, values: dict[str, float]) -> None:
        self._record(lambda: self._run.log({**values, _STEP: step}))

    def end(self, outcome: RunOutcome, run_dir: RunDirectory) -> None:
        if outcome is RunOutcome.FINISHED:
            self._record(lambda: self._attach_results(run_dir))
        self._record(lambda: self._run.finish(exit_code=_EXIT_CODES[outcome]))
        self._run = None

    def _attach_results(self, run_dir: RunDirectory) -> None:
        import wandb

        summary = json.loads(run_dir.summary.read_text())
        self._run.summary.update({**summary["metrics"], "objective": summary["objective"], "epochs": summary["epochs"]})
        artifact = wandb.Artifact(f"model-{self._run.id}", type="model", metadata=summary["metrics"])
        for path in (run_dir.model, run_dir.summary, run_dir.class_names):
            if path.is_file():
                artifact.add_file(str(path))
        self._run.log_artifact(artifact)
        plots = {f"plots/{path.stem}": wandb.Image(str(path)) for path in run_dir.plots()}
        if plots:
            self._run.log({**plots, _STEP: summary["global_step"]})

    def _record(self, write: Callable[[], None]) -> None:
        """Calls `write` while W&B records; a W&B error ends recording with a warning, and training goes on."""
        if self._run is None:  # before open (the run failed before training), or after a W&B failure
            return
        import wandb

        try:
            write()
        except (wandb.errors.Error, OSError) as error:
            log.warning(
                "W&B failed (%s: %s); the run goes on without W&B, and its own outputs in %s are whole.",
                type(error).__name__, error, self.run_dir.path,
            )
            self._run = None


def _require_wandb() -> None:
    try:
        import wandb  # noqa: F401
    except ImportError:
        raise ConfigError(
            "logger=wandb: the wandb package is not installed. Install the extra: "
            "pip install -e '.[wandb]' (or pip install wandb), or choose another logger."
        ) from None
