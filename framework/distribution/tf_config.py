"""Every TF_CONFIG a multi-worker run uses: read from the environment, built
for local worker processes, or built from a SLURM job's environment.

TF_CONFIG is the JSON MultiWorkerMirroredStrategy reads: every worker's
address, and which one this process is.

SLURM starts the same command once per task and tells each its rank
(SLURM_PROCID), the number of tasks (SLURM_NTASKS), the nodes
(SLURM_JOB_NODELIST, compressed like `gpu[01-03],cpu7`) and how many tasks
run on each (SLURM_TASKS_PER_NODE, like `2(x3)`). Tasks are laid out node by
node in node-list order, SLURM's default block distribution; tasks sharing a
node listen on consecutive ports from `port`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from framework.errors import DistributionError

_REQUIRED = ("SLURM_JOB_NODELIST", "SLURM_PROCID", "SLURM_NTASKS")


def environment_tf_config() -> dict[str, Any]:
    """The TF_CONFIG environment variable, checked.

    Raises:
        DistributionError: It is missing, or is not a cluster with this task in it.
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise DistributionError(
            "distribution=multi_worker needs the TF_CONFIG environment variable, which describes "
            "the cluster and this worker's place in it. Start the workers with "
            "python -m framework.launch --workers N <overrides>, set TF_CONFIG yourself, or on "
            "SLURM use +cluster=slurm (see the README)."
        )
    try:
        tf_config = json.loads(text)
        task = tf_config["task"]
        valid = task["type"] in tf_config["cluster"] and isinstance(task["index"], int)
    except (json.JSONDecodeError, KeyError, TypeError):
        valid = False
    if not valid:
        raise DistributionError(
            "TF_CONFIG is not a cluster description with this task in it: expected JSON like "
            f'{{"cluster": {{"worker": ["host1:port", "host2:port"]}}, "task": {{"type": "worker", "index": 0}}}}. '
            f"Received: {text!r}"
        ) from None
    return tf_config


def local_tf_config(addresses: Sequence[str], index: int) -> dict[str, Any]:
    """The TF_CONFIG of worker `index` in a cluster of `addresses`."""
    return {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}


def slurm_tf_config(env: Mapping[str, str], port: int, hostnames: list[str] | None = None) -> dict[str, Any]:
    """The TF_CONFIG of this SLURM task, as a dict (json.dumps it into the environment).

    Args:
        env: The task's environment (os.environ).
        port: The port of the first worker on each node.
        hostnames: The expanded node list; expanded from env when not given.

    Raises:
        DistributionError: Not inside a SLURM job, or the variables disagree.
    """
    missing = [name for name in _REQUIRED if name not in env]
    if missing:
        raise DistributionError(
            f"distribution.cluster=slurm: {', '.join(missing)} not set; this is not a SLURM task. "
            f"Submit with +cluster=slurm (hydra-submitit-launcher) or srun, or use "
            f"distribution.cluster=tf_config with TF_CONFIG set."
        )
    if hostnames is None:
        hostnames = expand_nodelist(env["SLURM_JOB_NODELIST"])
    num_tasks = int(env["SLURM_NTASKS"])
    tasks_per_node = expand_tasks_per_node(env.get("SLURM_TASKS_PER_NODE", "1"), len(hostnames))
    workers = [f"{host}:{port + local}" for host, count in zip(hostnames, tasks_per_node) for local in range(count)]
    if len(workers) != num_tasks:
        raise DistributionError(
            f"distribution.cluster=slurm: SLURM_NTASKS={num_tasks} but the nodes "
            f"{hostnames} with SLURM_TASKS_PER_NODE={env.get('SLURM_TASKS_PER_NODE')!r} hold "
            f"{len(workers)} tasks."
        )
    return local_tf_config(workers, int(env["SLURM_PROCID"]))


def expand_nodelist(nodelist: str) -> list[str]:
    """`gpu[01-02],cpu7` -> [gpu01, gpu02, cpu7]: by `scontrol show hostnames` where installed."""
    scontrol = shutil.which("scontrol")
    if scontrol is not None:
        listed = subprocess.run([scontrol, "show", "hostnames", nodelist], capture_output=True, text=True, check=True)
        return listed.stdout.split()
    return parse_nodelist(nodelist)


def parse_nodelist(nodelist: str) -> list[str]:
    """Expands a SLURM node list without scontrol: `n[1-2,5],m[08-09]` -> n1 n2 n5 m08 m09."""
    hosts = []
    for prefix, ranges, single in re.findall(r"([^,\[]+)\[([^\]]+)\]|([^,\[\]]+)", nodelist):
        if single:
            hosts.append(single)
            continue
        for part in ranges.split(","):
            first, _, last = part.partition("-")
            width = len(first)  # zero padding, as in node01
            hosts.extend(f"{prefix}{number:0{width}d}" for number in range(int(first), int(last or first) + 1))
    if not hosts:
        raise DistributionError(f"SLURM_JOB_NODELIST={nodelist!r} names no nodes.")
    return hosts


def expand_tasks_per_node(tasks_per_node: str, num_nodes: int) -> list[int]:
    """`2(x3),1` -> [2, 2, 2, 1]; a single number applies to every node."""
    counts = []
    for count, repeat in re.findall(r"(\d+)(?:\(x(\d+)\))?", tasks_per_node):
        counts.extend([int(count)] * int(repeat or 1))
    if len(counts) == 1:
        counts *= num_nodes
    return counts
