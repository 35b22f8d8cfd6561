"""How one run spreads over devices and machines: the `distribution` config group
(none, mirrored, multi_worker, data_parallel, model_parallel), device selection, every TF_CONFIG, and the
local worker processes of `python -m framework.launch`.

Importing the package imports no TensorFlow (the launcher only starts
processes); framework.plugins imports the modules that register the built-in
distributions.
"""
