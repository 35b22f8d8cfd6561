"""What libraries say reaches the console only when it is a warning or an error.

The console of a run holds the tutorial's epoch lines and the summary
(framework.reports.job_summary); a library's notices (MLflow creating its
database tables, TensorFlow naming the assets of a SavedModel it wrote) go to
the run's log, `train.log` (`framework.details`, configs/hydra/job_logging),
where they are kept for the record. Their warnings and errors still reach the
console as before.

Optuna, in a sweep's launching process, prints through a handler of its own,
in colour whether or not the console is a terminal; there is no `train.log`
in that process, so its notices (the study it created) go nowhere and its
warnings go through Hydra's console handler, without colour codes.
"""

from __future__ import annotations

import logging

# Records of `framework.details` go to train.log only.
RUN_LOG = "framework.details"


class _NoticesToRunLog(logging.Filter):
    """A logger filter: records below WARNING are handed to the run log instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        logging.getLogger(RUN_LOG).handle(record)
        return False


def notices_to_run_log(*logger_names: str) -> None:
    """What the named loggers log below WARNING goes to train.log instead of the console.

    Only records logged on exactly these loggers are moved (a logger's filters
    see only its own records), so name the module that logs. Calling it again
    changes nothing.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _NoticesToRunLog) for existing in logger.filters):
            logger.addFilter(_NoticesToRunLog())


def optuna_through_hydra_logging() -> None:
    """Optuna's records go through Hydra's handlers (no colour codes), its notices nowhere.

    Call before the Optuna sweeper creates its study (this imports Optuna).
    """
    import optuna

    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
