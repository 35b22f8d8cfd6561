"""logger=mlflow: the run as an MLflow run, with MLflow's own client.

Where it records, as MLflow users expect: `logger.mlflow.tracking_uri` when
set, else $MLFLOW_TRACKING_URI, else MLflow's default store in the launch
directory (beside outputs/ and multirun/). Every job of a multirun records
into the experiment `logger.mlflow.experiment`.

    params     the flattened run config (optimizer.learning_rate, ...)
    metrics    each epoch record's logs, learning_rate and epoch at the
               optimizer's global step; step/loss with logger.log_every_n_steps;
               examples_per_second, the training throughput over the span
               between two sends (about a second), at the span's last step
    artifacts  summary.json, model.keras, the plots, the Hydra config, once the
               report is written

The MLflow run id is kept in the run directory, so `resume=<run dir>` goes on
recording into the same MLflow run. Metrics are buffered and sent in batches
at most about once a second: one request per record would cost more than a
training step. `mlflow` (the `mlflow` extra) is imported only by runs that
select this logger: it takes seconds to import.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from framework.errors import ConfigError, ResumeError
from framework.loggers.base import LoggerContext, RunOutcome
from framework.loggers.library_notices import notices_to_run_log
from framework.loggers.python_side import PythonSideLogger
from framework.registry import LOGGERS
from framework.registry.schema import ComponentConfig
from framework.run_directory import RunDirectory

if TYPE_CHECKING:
    import keras

_SEND_SECONDS = 1.0
# MLflow's limits for one log_batch request.
_PARAMS_PER_BATCH = 100
_METRICS_PER_BATCH = 1000


class MlflowLoggerConfig(ComponentConfig):
    """Attributes:
    tracking_uri: Where runs are recorded (a directory, file:..., sqlite:///...,
        http://...); None: $MLFLOW_TRACKING_URI, else MLflow's default store
        in the launch directory.
    experiment: The MLflow experiment the run is recorded in (created when missing).
    """

    tracking_uri: str | None
    experiment: str


@LOGGERS.register("mlflow", config=MlflowLoggerConfig)
class MlflowLogger(PythonSideLogger):
    """Records params, metrics and artifacts into one MLflow run per run directory."""

    def __init__(self, context: LoggerContext, tracking_uri: str | None, experiment: str):
        super().__init__(context.cadence, takes_steps=True)
        _require_mlflow()
        self.run_dir = context.run_dir
        self.config = context.config
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.run_id: str | None = None
        self._client = None  # an MlflowClient once open
        self._pending: list[tuple[str, float, int, int]] = []  # (name, value, timestamp, step)
        self._last_send = 0.0
        self.examples_per_epoch = context.examples_per_epoch
        # Throughput: epochs done and the step reached at the last send, and in the records since.
        self._sent_epochs = self._epochs_done = context.initial_epoch
        self._last_step = 0

    def open(self, model: keras.Model, epochs: int) -> None:
        import mlflow
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException

        notices_to_run_log("mlflow.store.db.utils")  # "Creating initial MLflow database tables...", "Updating database tables"
        id_file = self.run_dir.mlflow_run_id
        try:
            self._client = mlflow.MlflowClient(tracking_uri=self.tracking_uri)
            if id_file.is_file():  # a resumed run: its params are there already
                self.run_id = self._continued_run(id_file.read_text().strip())
            else:
                run = self._client.create_run(self._experiment_id(), run_name=self.run_dir.path.name)
                self.run_id = run.info.run_id
                id_file.write_text(self.run_id + "\n")
                params = [Param(key, str(value)) for key, value in _flattened(self.config)]
                for start in range(0, len(params), _PARAMS_PER_BATCH):
                    self._client.log_batch(self.run_id, params=params[start : start + _PARAMS_PER_BATCH])
        except MlflowException as error:
            raise ConfigError(
                f"{self._uri_source()}: MLflow cannot record at {self.tracking_uri or mlflow.get_tracking_uri()}: "
                f"{error.message} Set logger.mlflow.tracking_uri (or $MLFLOW_TRACKING_URI) to sqlite:///<file>, "
                f"http(s)://<server>, or a directory (MLflow 3 needs MLFLOW_ALLOW_FILE_STORE=true for that)."
            ) from None
        self._last_send = time.monotonic()

    def write_step(self, step: int, loss: float) -> None:
        self._pending.append(("step/loss", loss, _now_ms(), step))

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        timestamp = _now_ms()
        self._pending.extend((name, value, timestamp, step) for name, value in {**values, "epoch": epoch}.items())
        self._epochs_done, self._last_step = epoch + 1, step

    def write_validation(self, step: int, values: dict[str, float]) -> None:
        timestamp = _now_ms()
        self._pending.extend((name, value, timestamp, step) for name, value in values.items())

    def flush(self) -> None:
        if time.monotonic() - self._last_send >= _SEND_SECONDS:
            self._send()

    def close(self) -> None:
        self._send()

    def end(self, outcome: RunOutcome, run_dir: RunDirectory) -> None:
        if self.run_id is None:  # the run failed before training began
            return
        self._send()
        if outcome is RunOutcome.FINISHED:
            for path in (run_dir.summary, run_dir.model, run_dir.saved_config, *run_dir.plots()):
                if path.is_file():
                    self._client.log_artifact(self.run_id, str(path))
        self._client.set_terminated(self.run_id, status=outcome.name)

    def _send(self) -> None:
        from mlflow.entities import Metric

        now = time.monotonic()
        if self._epochs_done > self._sent_epochs:
            examples = (self._epochs_done - self._sent_epochs) * self.examples_per_epoch
            self._pending.append(("examples_per_second", examples / (now - self._last_send), _now_ms(), self._last_step))
            self._sent_epochs = self._epochs_done
        if self._client is not None and self._pending:
            metrics, self._pending = [Metric(*record) for record in self._pending], []
            for start in range(0, len(metrics), _METRICS_PER_BATCH):
                self._client.log_batch(self.run_id, metrics=metrics[start : start + _METRICS_PER_BATCH])
        self._last_send = now

    def _uri_source(self) -> str:
        """Which setting chose the store, for messages."""
        if self.tracking_uri is not None:
            return f"logger.mlflow.tracking_uri={self.tracking_uri}"
        if "MLFLOW_TRACKING_URI" in os.environ:
            return "$MLFLOW_TRACKING_URI"
        return "MLflow's default store (logger.mlflow.tracking_uri and $MLFLOW_TRACKING_URI unset)"

    def _continued_run(self, run_id: str) -> str:
        from mlflow.entities import RunStatus
        from mlflow.exceptions import MlflowException

        try:
            self._client.update_run(run_id, status=RunStatus.to_string(RunStatus.RUNNING))
        except MlflowException:
            raise ResumeError(
                f"{self.run_dir.mlflow_run_id} names the MLflow run {run_id}, which the tracking store "
                f"{self._client.tracking_uri} does not hold. Resume with the tracking URI the run started "
                f"with (logger.mlflow.tracking_uri or $MLFLOW_TRACKING_URI), or delete that file to record "
                f"the rest of the run as a new MLflow run."
            ) from None
        return run_id

    def _experiment_id(self) -> str:
        from mlflow.exceptions import MlflowException

        experiment = self._client.get_experiment_by_name(self.experiment)
        if experiment is not None:
            return experiment.experiment_id
        try:
            return self._client.create_experiment(self.experiment)
        except MlflowException:  # a parallel job of the same multirun created it first
            return self._client.get_experiment_by_name(self.experiment).experiment_id


def _require_mlflow() -> None:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise ConfigError(
            "logger=mlflow: the mlflow package is not installed. Install the extra: "
            "pip install -e '.[mlflow]' (or pip install mlflow), or choose another logger."
        ) from None


def _flattened(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for every leaf of `config`; lists stay whole values."""
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            yield from _flattened(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _now_ms() -> int:
    return int(time.time() * 1000)
