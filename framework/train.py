"""`python -m framework.train [overrides]`: train one run (or a sweep with -m);
`resume=<run dir>` continues a stopped run in place (framework.config.resume).

Only Hydra is imported here, so `--help` and `--cfg job` answer without
loading TensorFlow.
"""

import logging
import math
import os
import sys

import hydra
from omegaconf import DictConfig

import framework
from framework.config.compose import CONFIG_MODULE, HYDRA_VERSION_BASE, PRIMARY_CONFIG
from framework.config.preflight import check_command_line
from framework.config.resume import resume_arguments
from framework.config.run_claim import (
    claimed_run_directory,
    register_resolvers,
    remove_failed_start,
)
from framework.config.sources import register_configs
from framework.config.sweep_params import search_space_as_overrides
from framework.config.user_errors import (
    JobFailed,
    explain,
    is_bad_input,
    report_user_errors,
)
from framework.errors import FrameworkError, TrainingInterrupted
from framework.reports.multirun_failures import record_job_failure
from framework.start_up import (
    freeze_before_exit,
    loading_tensorflow,
    select_keras_backend,
)
from framework.sweeps.job import sweep_job

log = logging.getLogger("framework")


@hydra.main(version_base=HYDRA_VERSION_BASE, config_path=f"pkg://{CONFIG_MODULE}", config_name=PRIMARY_CONFIG)
def _train(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    select_keras_backend(cfg.backend)
    with loading_tensorflow():  # Keras and its backend's library
        from framework.run import run

    hydra_config = HydraConfig.get()
    try:
        return run(cfg, hydra_config.runtime.output_dir, sweep=sweep_job(hydra_config)).objective
    except TrainingInterrupted as interruption:
        raise JobFailed(interruption) from None
    except Exception as error:  # in a multirun, any failure is one failed job
        if hydra_config.mode != RunMode.MULTIRUN:
            if is_bad_input(error):  # a user's mistakes leave no runs behind
                remove_failed_start(hydra_config.runtime.output_dir)
            raise JobFailed(error) from None
        # One job's failure must not stop the sweep; framework.reports.multirun_failures reports it at the end.
        message = explain(error) if isinstance(error, FrameworkError) else f"{type(error).__name__}: {error}"
        log.error("Job failed: %s", message, exc_info=not isinstance(error, FrameworkError))
        record_job_failure(hydra_config.runtime.output_dir, message)
        return math.nan


def main() -> None:
    if {"--help", "-h"} & set(sys.argv[1:]):
        from framework.config.help import help_text

        print(help_text())  # Hydra's own help cannot describe fields (hydra#633)
        return
    if "--version" in sys.argv[1:]:  # Hydra's own names only Hydra
        print(f"keras-hydra-framework {framework.__version__}\nHydra {hydra.__version__}")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
    try:
        with report_user_errors():
            register_configs()
            register_resolvers()
            sys.argv[1:] = resume_arguments(search_space_as_overrides(sys.argv[1:]))
            check_command_line(sys.argv[1:])  # before Hydra instantiates what the config names
            with claimed_run_directory(sys.argv[1:]):  # before Hydra writes into it
                _train()
    finally:  # also when Hydra exits with the job's status
        freeze_before_exit()


if __name__ == "__main__":
    main()
