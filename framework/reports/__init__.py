"""What a finished run shows its user: plots, HParams, the console summary.

The modules are imported by their full path: `run_report` needs matplotlib
and TensorFlow, while `job_summary` is a Hydra callback that must stay light.
"""
