# Experiment presets, installed as the package `framework.experiments` and
# offered to Hydra as the config group `experiment` (see framework/config/sources.py).
