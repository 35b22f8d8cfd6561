"""Keeping a run from losing work: the checkpoint format (run_checkpoint),
resuming from it (resuming), stop signals (stop_signals) and TensorBoard
restart markers (tensorboard_restart)."""
