"""Which devices a JAX run trains on (`device=auto|cpu|gpu`) and where its variables live."""

from __future__ import annotations

import logging

import jax
import keras

from framework.distribution.base import LocalDevices
from framework.errors import DeviceError

# Facts for train.log that the console leaves out (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")


def select_devices(device: str) -> LocalDevices:
    """Applies `device` (auto, cpu or gpu) and logs whether a GPU is available.

    Raises:
        DeviceError: device=gpu without a GPU JAX can use.
    """
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:  # JAX without a CUDA build, or no GPU
        gpus = []
    details.info("GPU available: %s", f"yes, {len(gpus)} ({', '.join(str(gpu) for gpu in gpus)})" if gpus else "no")
    if device == "gpu" and not gpus:
        raise DeviceError(
            "device=gpu: JAX sees no GPU on this machine (jax.devices('gpu') fails). Install JAX's "
            "CUDA build (pip install -e '.[jax-cuda]'), check that nvidia-smi lists a GPU and that "
            "CUDA_VISIBLE_DEVICES does not hide it, or run with device=auto or device=cpu."
        )
    if device == "cpu" and gpus:
        jax.config.update("jax_default_device", jax.devices("cpu")[0])
        gpus = []
    return LocalDevices(gpus=tuple(str(gpu) for gpu in gpus))


def log_variable_placement(model: keras.Model) -> None:
    """Logs the devices holding the model's variables."""
    devices = sorted({str(device) for variable in model.variables for device in variable.value.devices()})
    details.info("Model variables live on: %s", ", ".join(devices) or "(the model has no variables)")
