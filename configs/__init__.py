# Hydra config root, installed as the package `framework.conf`.
