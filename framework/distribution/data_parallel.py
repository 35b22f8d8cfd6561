"""distribution=data_parallel: keras.distribution.DataParallel on JAX, over the devices
of one process or of several.

Every device holds the variables (replicated); every batch of `data.batch_size`
examples is split along its first axis over the devices of every process, and
XLA sums the gradients. Without a GPU the CPU is split into `cpu_replicas`
virtual devices (JAX reads the count once, when its backend starts).

Several processes form one job when KERAS_DISTRIBUTION_JOB_ADDRESSES (the
coordinator first), KERAS_DISTRIBUTION_NUM_PROCESSES and
KERAS_DISTRIBUTION_PROCESS_ID are set, as `python -m framework.launch
--workers N backend=jax` sets them; the processes join with
jax.distributed.initialize (what keras.distribution.initialize calls, here with
a bounded wait) and talk over Gloo on CPUs. Process 0 is the chief and alone
writes the run directory.

With `cluster: slurm` the job is SLURM's instead: every task of the job step is
one process, SLURM_PROCID its id, SLURM_NTASKS their number, and the
coordinator listens at `port` on the step's first node (SLURM_STEP_NODELIST,
else SLURM_JOB_NODELIST), where task 0 runs under SLURM's block distribution.
JAX's own SLURM detection is turned off: it would give each task one GPU
(SLURM_LOCALID), where here each task trains on every GPU SLURM gives it, as
on TensorFlow.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Annotated, Literal

import pydantic

from framework.distribution.base import Distribution, LocalDevices, Placement
from framework.distribution.tf_config import expand_nodelist
from framework.errors import DistributionError
from framework.registry import DISTRIBUTIONS
from framework.registry.schema import ComponentConfig

log = logging.getLogger("framework")

# The variables keras.distribution.initialize reads: the job's processes.
JOB_ADDRESSES, NUM_PROCESSES, PROCESS_ID = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID",
)


class DataParallelConfig(ComponentConfig):
    """Attributes:
    cpu_replicas: Devices per process when training on the CPU (no GPU, or
        device=cpu): the CPU is split into this many virtual devices. With
        GPUs each GPU is a device.
    join_timeout: Seconds a process waits for every process of the job to
        join before failing.
    cluster: Where the job's processes are described: `environment` reads
        the KERAS_DISTRIBUTION_* variables (set by framework.launch; unset:
        one process); `slurm` reads the SLURM job step's variables.
    port: With cluster=slurm, the coordinator's port on the step's first node.
    """

    cpu_replicas: Annotated[int, pydantic.Field(ge=1)]
    join_timeout: Annotated[int, pydantic.Field(ge=1)]
    cluster: Literal["environment", "slurm"]
    port: Annotated[int, pydantic.Field(ge=1024, le=65535)]


@dataclass(frozen=True)
class Job:
    """The processes of a multi-process run, as the environment describes them."""

    coordinator: str
    num_processes: int
    process_id: int


def job_from_environment(env=os.environ) -> Job | None:
    """The job this process belongs to; None for a run of one process.

    Raises:
        DistributionError: The variables are set but incomplete or not numbers.
    """
    if JOB_ADDRESSES not in env:
        return None
    try:
        addresses = env[JOB_ADDRESSES].split(",")
        job = Job(addresses[0], int(env[NUM_PROCESSES]), int(env[PROCESS_ID]))
        valid = bool(job.coordinator) and 0 <= job.process_id < job.num_processes
    except (KeyError, ValueError):
        valid = False
    if not valid:
        raise DistributionError(
            f"distribution=data_parallel: {JOB_ADDRESSES}, {NUM_PROCESSES} and {PROCESS_ID} must describe the "
            f"job: the coordinator's host:port first, the number of processes, and this process's id below it. "
            f"Received: {', '.join(f'{name}={env.get(name)!r}' for name in (JOB_ADDRESSES, NUM_PROCESSES, PROCESS_ID))}. "
            f"Start the processes with python -m framework.launch --workers N backend=jax <overrides>."
        )
    return job


def job_from_slurm(env: Mapping[str, str], port: int) -> Job:
    """The job of this SLURM task: every task of the step one process, the coordinator at `port`
    on the step's first node.

    Raises:
        DistributionError: Not inside a SLURM job step, or its variables are not numbers.
    """
    nodes = env.get("SLURM_STEP_NODELIST") or env.get("SLURM_JOB_NODELIST")
    try:
        job = Job(f"{expand_nodelist(nodes)[0]}:{port}", int(env["SLURM_NTASKS"]), int(env["SLURM_PROCID"]))
        valid = 0 <= job.process_id < job.num_processes
    except (KeyError, ValueError, TypeError, DistributionError):
        valid = False
    if not valid:
        names = ("SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NTASKS", "SLURM_PROCID")
        raise DistributionError(
            f"distribution.cluster=slurm: this process is not a task of a SLURM job step: expected "
            f"SLURM_STEP_NODELIST (or SLURM_JOB_NODELIST), SLURM_NTASKS and SLURM_PROCID below it. "
            f"Received: {', '.join(f'{name}={env.get(name)!r}' for name in names)}. Start the processes with srun "
            f"(or python -m framework.train -m +cluster=slurm ...), or use distribution.cluster=environment."
        )
    return job


@DISTRIBUTIONS.register("data_parallel", config=DataParallelConfig)
class DataParallelDistribution(Distribution):
    """keras.distribution.DataParallel: the batch split over every device of every
    process, the variables replicated, each process feeding its own share."""

    # JAX computes on global arrays: metrics and XLA compilation see the whole batch.
    replicated = False
    splits_batches_evenly_only = True
    backends = ("jax",)

    def __init__(self, cpu_replicas: int, join_timeout: int, cluster: str, port: int):
        self.cpu_replicas = cpu_replicas
        self.join_timeout = join_timeout
        self.job = job_from_slurm(os.environ, port) if cluster == "slurm" else job_from_environment()

    def before_backend_starts(self) -> None:
        import jax

        set_cpu_devices(self.cpu_replicas)
        if self.job is None:
            return
        if self.job.process_id > 0:  # JAX ends the process (SIGABRT) when the coordinator is unreachable: asked first
            self._wait_for_coordinator()
        try:
            jax.distributed.initialize(
                coordinator_address=self.job.coordinator,
                num_processes=self.job.num_processes,
                process_id=self.job.process_id,
                initialization_timeout=self.join_timeout,
                cluster_detection_method="deactivate",  # the job is the one described above, SLURM's included
            )
        except Exception as error:  # noqa: BLE001 - JAX raises its runtime's own error types
            raise DistributionError(
                f"distribution=data_parallel: process {self.job.process_id} of {self.job.num_processes} could not "
                f"join the job at {self.job.coordinator} within distribution.join_timeout={self.join_timeout} s "
                f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'no message'}). Check that "
                f"every process was started, that the coordinator (process 0) runs at that address and that "
                f"the port is reachable from here."
            ) from None

    def _wait_for_coordinator(self) -> None:
        """Returns once the coordinator accepts connections.

        Raises:
            DistributionError: It did not within join_timeout seconds.
        """
        host, _, port = self.job.coordinator.rpartition(":")
        deadline = time.monotonic() + self.join_timeout
        while True:
            try:
                with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                    return
            except (OSError, ValueError) as error:
                if time.monotonic() >= deadline:
                    raise DistributionError(
                        f"distribution=data_parallel: process {self.job.process_id} of {self.job.num_processes} could "
                        f"not reach the coordinator at {self.job.coordinator} within distribution.join_timeout="
                        f"{self.join_timeout} s ({error}). Check that process 0 runs and listens at that address "
                        f"({JOB_ADDRESSES}, first entry; on SLURM the step's first node at distribution.port), that "
                        f"its port is reachable from here, or raise "
                        f"distribution.join_timeout when process 0 starts later."
                    ) from None
            time.sleep(0.2)

    def start(self, devices: LocalDevices) -> Placement:
        import jax
        import keras

        everywhere = training_devices(devices, self.cpu_replicas)
        distribution = keras.distribution.DataParallel(devices=everywhere, auto_shard_dataset=False)
        is_chief = jax.process_index() == 0
        log.info(
            "Distribution: DataParallel, %d device(s) over %d process(es)%s",
            len(everywhere), jax.process_count(),
            f"; this is process {jax.process_index()}" + (" (chief: writes the run directory)" if is_chief else "")
            if jax.process_count() > 1 else "",
        )
        return Placement(strategy=None, is_chief=is_chief, keras_distribution=distribution)


def set_cpu_devices(cpu_replicas: int) -> None:
    """Splits the CPU into `cpu_replicas` devices when JAX starts (no effect on GPUs)."""
    import jax

    jax.config.update("jax_num_cpu_devices", cpu_replicas)


def training_devices(devices: LocalDevices, cpu_replicas: int) -> list:
    """Every device of every process a run trains on: the GPUs, else the CPU's `cpu_replicas` devices.

    Raises:
        DistributionError: JAX started before with another number of CPU devices.
    """
    import jax

    if not devices.gpus and cpu_replicas > 1 and jax.local_device_count("cpu") != cpu_replicas:
        raise DistributionError(
            f"distribution.cpu_replicas={cpu_replicas}: JAX had already started in this process with "
            f"{jax.local_device_count('cpu')} CPU device(s). Run it in a fresh process (python -m framework.train ...)."
        )
    if devices.gpus and cpu_replicas > 1:
        log.info("distribution.cpu_replicas=%d is ignored: training on the GPUs.", cpu_replicas)
    return jax.devices() if devices.gpus else jax.devices("cpu")
