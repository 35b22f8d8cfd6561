"""Starting the workers of a multi-worker run: on this machine (`framework.launch`)."""

from framework.launcher.local import LocalCluster, launch_local_workers

__all__ = ["LocalCluster", "launch_local_workers"]
