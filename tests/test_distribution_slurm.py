"""The SLURM cluster preset: TF_CONFIG from SLURM's environment, and the preset composes."""

import pytest
from helpers.runs import run_cli

from framework.distribution.tf_config import parse_nodelist, slurm_tf_config
from framework.errors import DistributionError


def test_two_tasks_on_each_of_two_nodes_get_one_port_each():
    env = {"SLURM_JOB_NODELIST": "gpu[01-02]", "SLURM_NTASKS": "4", "SLURM_TASKS_PER_NODE": "2(x2)", "SLURM_PROCID": "3"}
    assert slurm_tf_config(env, port=29500, hostnames=parse_nodelist(env["SLURM_JOB_NODELIST"])) == {
        "cluster": {"worker": ["gpu01:29500", "gpu01:29501", "gpu02:29500", "gpu02:29501"]},
        "task": {"type": "worker", "index": 3},
    }


def test_one_task_per_node_without_tasks_per_node():
    env = {"SLURM_JOB_NODELIST": "a7,b[3,5]", "SLURM_NTASKS": "3", "SLURM_PROCID": "0"}
    assert slurm_tf_config(env, port=12345) == {
        "cluster": {"worker": ["a7:12345", "b3:12345", "b5:12345"]},
        "task": {"type": "worker", "index": 0},
    }


def test_node_lists_expand_like_scontrol():
    assert parse_nodelist("node[08-10,12],login1") == ["node08", "node09", "node10", "node12", "login1"]
    assert parse_nodelist("n[1-2],m5,o[3-4,6]") == ["n1", "n2", "m5", "o3", "o4", "o6"]


def test_outside_slurm_or_with_inconsistent_variables_is_a_clear_error():
    with pytest.raises(DistributionError, match=r"SLURM_JOB_NODELIST, SLURM_PROCID, SLURM_NTASKS not set; this is not a SLURM task"):
        slurm_tf_config({}, port=29500)
    env = {"SLURM_JOB_NODELIST": "n[1-2]", "SLURM_NTASKS": "3", "SLURM_TASKS_PER_NODE": "1(x2)", "SLURM_PROCID": "0"}
    with pytest.raises(DistributionError, match=r"SLURM_NTASKS=3 but the nodes \['n1', 'n2'\] .* hold 2 tasks"):
        slurm_tf_config(env, port=29500, hostnames=["n1", "n2"])


def test_the_preset_selects_the_submitit_launcher_and_slurm_cluster(compose_config):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[slurm]'")
    from framework.config import compose

    cfg = compose(["+cluster=slurm", "hydra.launcher.nodes=4"], with_hydra=True)
    assert cfg.hydra.launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert cfg.hydra.launcher.nodes == 4 and cfg.hydra.launcher.tasks_per_node == 1
    assert dict(cfg.distribution) == {"name": "multi_worker", "cluster": "slurm", "port": 29500}


@pytest.mark.slow
def test_cfg_hydra_prints_the_preset(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[slurm]'")
    completed = run_cli("+cluster=slurm", "--cfg", "hydra", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "_target_: hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher" in completed.stdout
    assert "hydra/launcher: submitit_slurm" in completed.stdout


def test_a_jax_task_joins_the_job_of_its_slurm_step():
    from framework.distribution.data_parallel import Job, job_from_slurm

    env = {"SLURM_STEP_NODELIST": "gpu[03-04]", "SLURM_JOB_NODELIST": "gpu[01-04]", "SLURM_NTASKS": "8", "SLURM_PROCID": "5"}
    assert job_from_slurm(env, port=29500) == Job("gpu03:29500", 8, 5)  # the step's nodes, not the allocation's
    assert job_from_slurm({**env, "SLURM_STEP_NODELIST": ""}, port=1234) == Job("gpu01:1234", 8, 5)


@pytest.mark.parametrize("env", [{}, {"SLURM_JOB_NODELIST": "n1", "SLURM_NTASKS": "2", "SLURM_PROCID": "2"}])
def test_a_jax_process_outside_a_slurm_step_is_a_clear_error(env):
    from framework.distribution.data_parallel import job_from_slurm

    with pytest.raises(DistributionError, match=r"distribution.cluster=slurm: this process is not a task of a SLURM job step: "
                       r"expected SLURM_STEP_NODELIST \(or SLURM_JOB_NODELIST\), SLURM_NTASKS and SLURM_PROCID below it. "
                       r"Received: SLURM_STEP_NODELIST=None, .*Start the processes with srun"):
        job_from_slurm(env, port=29500)


def test_the_preset_on_jax_reads_the_job_from_slurm(compose_config):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[slurm]'")
    from framework.config import compose

    cfg = compose(["+cluster=slurm", "backend=jax", "distribution=data_parallel"], with_hydra=True)
    assert cfg.hydra.launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert cfg.distribution.name == "data_parallel" and cfg.distribution.cluster == "slurm" and cfg.distribution.port == 29500
