"""Which devices a run trains on (`device=auto|cpu|gpu`) and where its variables live.

TensorFlow fixes its device list at its first op: hiding GPUs and splitting
the CPU into logical devices work only before that. The functions here are
called first thing in a run, and say clearly when a process has already
started TensorFlow with another layout (several runs in one process).
"""

from __future__ import annotations

import logging

import keras
import tensorflow as tf

from framework.distribution.base import LocalDevices
from framework.errors import DeviceError

log = logging.getLogger("framework")
# Facts for train.log that the console leaves out (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")


def select_devices(device: str) -> LocalDevices:
    """Applies `device` (auto, cpu or gpu) and logs whether a GPU is available.

    Raises:
        DeviceError: device=gpu without a GPU, or device=cpu after TensorFlow
            started in this process with its GPUs visible.
    """
    gpus = tf.config.list_physical_devices("GPU")  # does not start TensorFlow's runtime
    details.info(
        "GPU available: %s",
        f"yes, {len(gpus)} ({', '.join(gpu.name for gpu in gpus)})" if gpus else "no",
    )
    if device == "gpu" and not gpus:
        raise DeviceError(
            "device=gpu: TensorFlow sees no GPU on this machine "
            "(tf.config.list_physical_devices('GPU') is empty). Install the CUDA build "
            "(pip install -e '.[gpu]'), check that nvidia-smi lists a GPU and that "
            "CUDA_VISIBLE_DEVICES does not hide it, or run with device=auto or device=cpu."
        )
    if device == "cpu" and gpus:
        _hide_gpus()
        gpus = []
    return LocalDevices(gpus=tuple(gpu.name for gpu in gpus))


def log_variable_placement(model: keras.Model) -> None:
    """Logs the devices holding the model's variables (every replica's copy under a distribution)."""
    strategy = tf.distribute.get_strategy()
    devices = sorted(
        {copy.device for variable in model.variables for copy in strategy.experimental_local_results(variable.value)}
    )
    details.info("Model variables live on: %s", ", ".join(devices) or "(the model has no variables)")


def _hide_gpus() -> None:
    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:
        raise DeviceError(
            "device=cpu: TensorFlow already started in this process with its GPUs visible, "
            "and they can only be hidden before it starts. Run it in a fresh process, or set "
            "CUDA_VISIBLE_DEVICES= before starting Python."
        ) from None
