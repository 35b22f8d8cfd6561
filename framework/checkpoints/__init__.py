"""Keeping a run from losing work: checkpoints (run_checkpoint), the `checkpoint`
config section (settings), stop signals (interruption), TensorBoard restart
markers (tensorboard_restart) and failed-run markers (run_status).

Modules are imported directly, so validating settings imports no TensorFlow.
"""
