"""Where the hand-written loop's arrays live under keras.distribution (distribution=data_parallel
or model_parallel).

The variables are laid out by the distribution when they are created
(data_parallel: every device holds them; model_parallel: by its layout map), and
the compiled loop keeps each value's layout. The loop adds the rest: arrays every
process holds whole (the held data, the epochs' orders, a fetched batch) become
global arrays, and inside the compiled step each batch is constrained to be split
along its first axis over the mesh, so XLA computes each device's share and sums
the gradients. Without a distribution every array is a plain one on the default
device and the constraint is nothing.
"""

from __future__ import annotations

import jax
import keras
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec


class LoopSharding:
    """The layouts of the loop's arrays under the distribution in scope when it is built."""

    def __init__(self):
        distribution = keras.distribution.distribution()
        self.mesh = None
        if isinstance(distribution, (keras.distribution.DataParallel, keras.distribution.ModelParallel)):
            self.mesh = distribution.device_mesh.backend_mesh
            self._replicated = NamedSharding(self.mesh, PartitionSpec())
            self._split = NamedSharding(self.mesh, PartitionSpec(distribution.batch_dim_name))
            self._parts = self.mesh.shape[distribution.batch_dim_name]

    @property
    def parts(self) -> int:
        """How many parts each batch is split into: the devices along the mesh's batch axis."""
        return 1 if self.mesh is None else self._parts

    def whole(self, array) -> jax.Array:
        """`array`, which every process holds whole, on every device."""
        return self._global(array, None if self.mesh is None else self._replicated)

    def batch(self, array) -> jax.Array:
        """A batch every process holds whole, split over the devices (whole when it does not split evenly)."""
        return self._global(array, None if self.mesh is None else self._layout_of(np.shape(array)[0]))

    def split(self, batch: jax.Array) -> jax.Array:
        """Inside the compiled step: `batch` split over the devices along its first axis."""
        if self.mesh is None:
            return batch
        return jax.lax.with_sharding_constraint(batch, self._layout_of(batch.shape[0]))

    def _layout_of(self, rows: int) -> NamedSharding:
        return self._split if rows % self.parts == 0 else self._replicated

    @staticmethod
    def _global(array, sharding: NamedSharding | None) -> jax.Array:
        if sharding is None:
            return jax.numpy.asarray(array)
        array = np.asarray(array)
        return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])


def process_share(batch: tuple) -> tuple:
    """This process's rows of a batch every process holds whole: what it feeds `fit` under
    keras.distribution (auto_shard_dataset=False), which joins the processes' shares into the
    global batch. A run of one process feeds the whole batch."""
    count, index = jax.process_count(), jax.process_index()
    if count == 1:
        return batch
    rows = len(batch[0]) // count  # the batch splits evenly: framework.config.plan.check_started_run
    return tuple(part[index * rows : (index + 1) * rows] for part in batch)


class ProcessShares(keras.utils.PyDataset):
    """A PyDataset of batches, each cut to this process's share (see process_share)."""

    def __init__(self, batches: keras.utils.PyDataset):
        super().__init__()
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        return process_share(self.batches[index])
