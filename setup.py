"""The package list, derived so it cannot drift: every package under framework/, found
as setuptools finds them, plus the two folders shipped inside it and the Hydra sweeper plugin (setup.cfg maps
configs/ to framework.conf and experiments/ to framework.experiments). Everything
else is declared in setup.cfg."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["framework", "framework.*"]), "framework.conf", "framework.experiments", "hydra_plugins.framework_sweeper"])
