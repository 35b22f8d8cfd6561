"""`python -m framework.train [overrides]`: train one run (or a sweep with -m).

Only Hydra is imported here, so `--help` and `--cfg job` answer without
loading TensorFlow.
"""

import os

import hydra
from omegaconf import DictConfig

from framework.cli_errors import report_user_errors
from framework.config_sources import register_configs


@hydra.main(version_base="1.3", config_path="pkg://framework.conf", config_name="train")
def _train(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    from framework.run import run

    return run(cfg, HydraConfig.get().runtime.output_dir).objective


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
    with report_user_errors():
        register_configs()
        _train()


if __name__ == "__main__":
    main()
