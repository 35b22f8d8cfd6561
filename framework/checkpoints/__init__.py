"""Keeping a run from losing work: the checkpoint format (run_checkpoint),
resuming from it (resuming) and stop signals (stop_signals)."""
