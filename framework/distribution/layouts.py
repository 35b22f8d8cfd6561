"""The layouts of distribution=model_parallel: keras.distribution.ModelParallel with the
framework's checks and default layouts (imported by model_parallel.py once Keras runs on JAX).

Keras lays a variable out when it is created, asking the distribution for its
layout; here that answer is checked against the variable (one entry per
dimension, each split even), so a layout that cannot apply stops the run
before any training with the variable's path, shape and the fix.
"""

from __future__ import annotations

import logging
import re

import keras

from framework.errors import DistributionError

# Facts for train.log that the console leaves out (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")

# Variables the default layouts split: the 2-D kernel of a Dense layer and the table of an Embedding.
_SPLIT_BY_DEFAULT = re.compile(r".*/(kernel|embeddings)")


class ConfiguredModelParallel(keras.distribution.ModelParallel):
    """ModelParallel over `mesh`, batches split along `batch_axis`, variables laid out by
    `layout_map` (path regex -> axis name or None per dimension), or by the default layouts when None."""

    def __init__(self, mesh: keras.distribution.DeviceMesh, batch_axis: str, layout_map: dict[str, list] | None):
        layouts = keras.distribution.LayoutMap(mesh)
        for pattern, axes in (layout_map or {}).items():
            layouts[pattern] = tuple(axes)
        super().__init__(layout_map=layouts, batch_dim_name=batch_axis, auto_shard_dataset=False)
        self.patterns = list(layout_map) if layout_map is not None else None
        others = [name for name in mesh.axis_names if name != batch_axis]
        self.model_axis = others[-1] if others else None
        self._matched: set[str] = set()

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:  # an optimizer's slot: its variable's layout
            return variable._layout
        if self.patterns is None:
            return self._default_layout(variable)
        matching = [pattern for pattern in self.patterns if re.fullmatch(pattern, variable.path)]
        if len(matching) > 1:
            raise DistributionError(
                f"distribution.layout_map: variable {variable.path} matches several patterns: "
                f"{', '.join(repr(pattern) for pattern in matching)}. Make the patterns exclusive, so each variable has one layout."
            )
        layout = self._layout_map[variable.path]
        if layout is None:
            return super().get_variable_layout(variable)  # replicated
        self._matched.update(matching)
        self._check_fits(variable, layout.axes)
        return layout

    def _default_layout(self, variable) -> keras.distribution.TensorLayout:
        shape = tuple(variable.shape)
        size = self.device_mesh.shape[self.device_mesh.axis_names.index(self.model_axis)] if self.model_axis else 1
        if size > 1 and len(shape) == 2 and shape[-1] % size == 0 and _SPLIT_BY_DEFAULT.fullmatch(variable.path):
            return keras.distribution.TensorLayout((None, self.model_axis), self.device_mesh)
        return keras.distribution.TensorLayout([None] * len(shape), self.device_mesh)

    def _check_fits(self, variable, axes: tuple) -> None:
        """Raises DistributionError unless `axes` has one entry per dimension, each splitting evenly."""
        shape = tuple(variable.shape)
        names = self.device_mesh.axis_names
        uneven = [
            f"dimension {index} ({length}) over {axis!r} ({self.device_mesh.shape[names.index(axis)]} devices)"
            for index, (length, axis) in enumerate(zip(shape, axes))
            if axis is not None and length % self.device_mesh.shape[names.index(axis)]
        ]
        if len(axes) != len(shape) or uneven:
            problem = (f"has {len(axes)} entries for a variable of {len(shape)} dimensions" if len(axes) != len(shape)
                       else f"splits {'; '.join(uneven)} unevenly")
            raise DistributionError(
                f"distribution.layout_map: the layout {list(axes)} of variable {variable.path} (shape {list(shape)}) "
                f"{problem}. Give one axis name or null per dimension, splitting only dimensions divisible by the "
                f"axis's size, or leave the variable out of the layout map (it is then replicated)."
            )

    def check_layouts_used(self, model: keras.Model) -> None:
        """Logs how the model's variables are laid out (train.log); raises DistributionError if a
        pattern of the layout map matched none of them."""
        details.info("Variable layouts: %s", "; ".join(
            f"{variable.path} {list(variable.shape)} {_described(variable.value.sharding.spec)}" for variable in model.variables
        ))
        unused = [pattern for pattern in self.patterns or [] if pattern not in self._matched]
        if unused:
            paths = ", ".join(variable.path for variable in model.variables)
            raise DistributionError(
                f"distribution.layout_map: {', '.join(repr(p) for p in unused)} matches no variable of the model "
                f"(a pattern must match a variable's whole path). The model's variables: {paths}. "
                f"Correct the pattern, e.g. '.*dense.*/kernel', or drop it."
            )


def _described(spec) -> str:
    """A PartitionSpec in words: `split (None, 'model')`, or `replicated`."""
    axes = tuple(spec)
    return f"split {axes}" if any(axis is not None for axis in axes) else "replicated"
