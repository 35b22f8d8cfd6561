"""distribution=model_parallel: keras.distribution.ModelParallel on JAX, over the devices of one process.

The devices form a mesh (`mesh_shape` x `axis_names`, e.g. batch x model);
every batch is split along `batch_axis`, and each variable is laid out by
`layout_map`: a variable-path regex (matched whole, as keras.distribution's
LayoutMap does) -> one mesh axis or null per dimension of the variable. Without
a layout map every Dense kernel and Embedding table (2-D `kernel`,
`embeddings`) whose last dimension splits evenly is split along it over the
model axis (the last axis other than `batch_axis`); every other variable is
replicated. XLA computes each device's share and moves what the next layer
needs, so the numbers are one device's.

One process only: the model axis would otherwise span processes, whose
feeding of `fit` keras.distribution leaves to the processes (use
data_parallel across processes).
"""

from __future__ import annotations

import logging
import math
import os
import re
from typing import Annotated

import pydantic

from framework.distribution.base import Distribution, LocalDevices, Placement
from framework.distribution.data_parallel import JOB_ADDRESSES, set_cpu_devices, training_devices
from framework.errors import DistributionError
from framework.registry import DISTRIBUTIONS
from framework.registry.schema import ComponentConfig

log = logging.getLogger("framework")


class ModelParallelConfig(ComponentConfig):
    """Attributes:
    cpu_replicas: Devices when training on the CPU (no GPU, or device=cpu): the
        CPU is split into this many virtual devices. With GPUs each GPU is a device.
    mesh_shape: Devices along each mesh axis; their product is the number of
        devices. One entry may be -1: the devices the others leave.
    axis_names: The mesh axes' names, one per entry of mesh_shape.
    batch_axis: The axis every batch is split along (its size must divide
        every batch); the others split variables.
    layout_map: Variable-path regex -> an axis name or null per dimension;
        null: the default layouts (Dense kernels and Embedding tables split
        over the model axis where they divide evenly).
    """

    cpu_replicas: Annotated[int, pydantic.Field(ge=1)]
    mesh_shape: Annotated[list[int], pydantic.Field(min_length=1)]
    axis_names: Annotated[list[str], pydantic.Field(min_length=1)]
    batch_axis: str
    layout_map: dict[str, list[str | None]] | None

    @pydantic.model_validator(mode="after")
    def _mesh_is_described(self) -> ModelParallelConfig:
        if len(self.mesh_shape) != len(self.axis_names) or len(set(self.axis_names)) != len(self.axis_names):
            raise ValueError(
                f"mesh_shape={self.mesh_shape} and axis_names={self.axis_names} must name each mesh axis once, "
                f"one name per size. Give as many distinct axis_names as mesh_shape has entries"
            )
        if any(size == 0 or size < -1 for size in self.mesh_shape) or self.mesh_shape.count(-1) > 1:
            raise ValueError(f"mesh_shape={self.mesh_shape} must hold positive sizes and at most one -1 (the devices left)")
        if self.batch_axis not in self.axis_names:
            raise ValueError(f"batch_axis={self.batch_axis!r} is not a mesh axis; expected one of axis_names={self.axis_names}")
        for pattern, layout in (self.layout_map or {}).items():
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"layout_map: {pattern!r} is not a regular expression ({error}); a key is a regex of variable paths, e.g. '.*dense.*/kernel'") from None
            unknown = [axis for axis in layout if axis is not None and axis not in self.axis_names]
            repeated = {axis for axis in layout if axis is not None and layout.count(axis) > 1}
            if unknown or repeated:
                raise ValueError(
                    f"layout_map[{pattern!r}]={layout} names {'mesh axes that do not exist: ' + str(unknown) if unknown else 'an axis twice: ' + str(sorted(repeated))}; "
                    f"each entry is one of axis_names={self.axis_names} or null, each axis used once"
                )
        return self


@DISTRIBUTIONS.register("model_parallel", config=ModelParallelConfig)
class ModelParallelDistribution(Distribution):
    """keras.distribution.ModelParallel: variables laid out over a device mesh by a layout map."""

    replicated = False  # JAX computes on global arrays: metrics and XLA compilation see the whole batch
    splits_batches_evenly_only = True
    backends = ("jax",)

    def __init__(self, cpu_replicas: int, mesh_shape: list[int], axis_names: list[str], batch_axis: str,
                 layout_map: dict[str, list[str | None]] | None):
        self.cpu_replicas = cpu_replicas
        self.mesh_shape = list(mesh_shape)
        self.axis_names = list(axis_names)
        self.batch_axis = batch_axis
        self.layout_map = layout_map
        _refuse_several_processes()

    def before_backend_starts(self) -> None:
        set_cpu_devices(self.cpu_replicas)

    def start(self, devices: LocalDevices) -> Placement:
        import keras

        from framework.distribution.layouts import ConfiguredModelParallel

        everywhere = training_devices(devices, self.cpu_replicas)
        shape = self._mesh_shape_for(len(everywhere), on_gpus=bool(devices.gpus))
        mesh = keras.distribution.DeviceMesh(shape, self.axis_names, devices=everywhere)
        distribution = ConfiguredModelParallel(mesh, self.batch_axis, self.layout_map)
        log.info(
            "Distribution: ModelParallel, %d device(s) in a mesh of %s; batches split along %r, %s",
            len(everywhere), " x ".join(f"{name}={size}" for name, size in zip(self.axis_names, shape)), self.batch_axis,
            "variables laid out by distribution.layout_map" if self.layout_map is not None
            else f"Dense kernels and Embedding tables split along {distribution.model_axis!r} where they divide evenly",
        )
        return Placement(strategy=None, keras_distribution=distribution, check_model=distribution.check_layouts_used)

    def _mesh_shape_for(self, count: int, on_gpus: bool) -> tuple[int, ...]:
        """mesh_shape with its -1 resolved, checked against the `count` devices there are.

        Raises:
            DistributionError: The mesh does not hold exactly `count` devices.
        """
        known = math.prod(size for size in self.mesh_shape if size != -1)
        shape = [count // known if size == -1 else size for size in self.mesh_shape]
        if math.prod(shape) != count:
            hint = "the GPUs this process sees (CUDA_VISIBLE_DEVICES)" if on_gpus else "distribution.cpu_replicas"
            raise DistributionError(
                f"distribution.mesh_shape={self.mesh_shape} does not fit the {count} device(s) this run trains on: "
                f"a mesh needs exactly as many devices as the product of its sizes. Use a mesh_shape whose sizes "
                f"multiply to {count} (one entry may be -1: the devices left), or change {hint}."
            )
        return tuple(shape)


def _refuse_several_processes() -> None:
    """Raises DistributionError when this process is one of several (framework.launch's variables, or a SLURM step
    of several tasks): each would train the whole model alone."""
    tasks = os.environ.get("SLURM_STEP_NUM_TASKS") or os.environ.get("SLURM_NTASKS") or "1"
    if JOB_ADDRESSES in os.environ or (tasks.isdigit() and int(tasks) > 1 and "SLURM_PROCID" in os.environ):
        raise DistributionError(
            f"distribution=model_parallel runs in one process, but this one is one of several "
            f"({JOB_ADDRESSES}={os.environ.get(JOB_ADDRESSES)!r}, SLURM tasks: {tasks}). Train across processes with "
            f"distribution=data_parallel, or start one process (srun --ntasks=1) for model_parallel over its devices."
        )
