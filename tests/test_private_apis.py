"""The few private APIs of other libraries the framework relies on, where no public one
does the job: these tests fail loudly, naming the API, when a release moves or changes one."""

from __future__ import annotations


def test_keras_class_to_name_rule():
    """framework/registry, layers and losses name Keras classes as Keras itself does."""
    from keras.src.utils.naming import to_snake_case

    assert [to_snake_case(name) for name in ("Dense", "Conv2D", "MaxPooling2D", "BatchNormalization")] == [
        "dense", "conv2d", "max_pooling2d", "batch_normalization",
    ]


def test_keras_progress_bar_printer():
    """framework/callbacks/progress_bar.py heads each bar with Keras's own printer."""
    from keras.src.utils import io_utils

    assert callable(io_utils.print_msg)


def test_keras_export_input_signature():
    """framework/saving.py exports a SavedModel with the signature Keras's model.export reads."""
    import keras
    from keras.src.export.export_utils import get_input_signature

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert get_input_signature(model) is not None


def test_hydra_composition_and_argument_parser():
    """framework/config/preflight.py composes what Hydra will run, before Hydra instantiates it."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import (
        create_automatic_config_search_path,
        get_args_parser,
    )

    args = get_args_parser().parse_args(["epochs=3", "-m"])
    assert args.overrides == ["epochs=3"] and args.multirun
    assert callable(Hydra.create_main_hydra2) and callable(create_automatic_config_search_path)


def test_hydra_basic_sweeper_splits_a_sweep():
    """framework/reports/job_summary.py lists a multirun's jobs as Hydra's basic sweeper does."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    assert hasattr(BasicSweeper, "split_arguments")


def test_tensorboard_writes_events_without_tensorflow_where_its_marker_is_found():
    """framework/backends/jax/without_tensorflow.py: TensorBoard takes its stub when tensorboard.compat.notf imports."""
    import inspect

    import tensorboard.compat

    assert "tensorboard.compat.notf" in inspect.getsource(tensorboard.compat)


def test_keras_seeds_tensorflow_through_its_lazy_module():
    """framework/backends/jax/without_tensorflow.py: Keras skips TensorFlow when its lazy module reports it missing."""
    import inspect

    from keras.src.utils import rng_utils

    assert "tf.available" in inspect.getsource(rng_utils.set_random_seed)
