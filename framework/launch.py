"""`python -m framework.launch --workers N [overrides]`: multi-worker training on this machine.

Starts N processes of `python -m framework.train distribution=multi_worker
[overrides]`, wired together with TF_CONFIG; with `backend=jax`, of
`distribution=data_parallel`, joined by keras.distribution's variables; see
framework.distribution.local_workers.
"""

import argparse
import os
import sys

from framework.distribution.local_workers import (
    DISTRIBUTION_OF_BACKEND,
    backend_of,
    launch_local_workers,
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m framework.launch",
        description="Train one run with N worker processes on this machine "
        "(tf.distribute.MultiWorkerMirroredStrategy over 127.0.0.1; with backend=jax, keras.distribution.DataParallel). "
        "Worker 0 writes the run directory.",
    )
    parser.add_argument("--workers", type=_positive, required=True, help="number of worker processes")
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help="Hydra overrides, as for framework.train")
    multirun = {"-m", "--multirun"} & set(argv)
    if multirun:
        parser.error(f"{multirun.pop()}: a sweep cannot be launched as one multi-worker run; launch each job separately.")
    arguments = parser.parse_args(argv)
    backend = backend_of(arguments.overrides)
    wanted = DISTRIBUTION_OF_BACKEND.get(backend, "multi_worker")
    for override in arguments.overrides:
        if override.startswith("distribution=") and override != f"distribution={wanted}":
            parser.error(f"{override}: workers on backend={backend} train under distribution={wanted}; drop the override.")
    return arguments


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}")
    return int(text)


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # for the workers: keep TensorFlow's C++ chatter out
    arguments = _parse(sys.argv[1:])
    sys.exit(launch_local_workers(arguments.workers, arguments.overrides))


if __name__ == "__main__":
    main()
