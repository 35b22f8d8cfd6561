"""End-of-run report: PNG plots in the run directory, TensorBoard images and HParams."""

from pathlib import Path

import numpy as np
import pytest

from framework.loggers.tensorboard import flatten_config

PLOTS = ("predictions", "variables", "loss")


@pytest.fixture(scope="module")
def tutorial_run(tmp_path_factory):
    from framework.config import compose
    from framework.run import run

    cfg = compose(["+experiment=seed_linear", "epochs=4"])
    return run(cfg, tmp_path_factory.mktemp("tutorial"))


def _pixels(png_path):
    import matplotlib.image

    return matplotlib.image.imread(png_path)[..., :3]


def _count_color(pixels, rgb, tolerance=0.15):
    return int((np.abs(pixels - np.array(rgb)).max(axis=-1) < tolerance).sum())


def test_run_directory_holds_the_three_plots_as_png(tutorial_run):
    for name in PLOTS:
        path = Path(tutorial_run.run_dir) / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert _pixels(path).shape[:2] == (400, 640)


def test_predictions_plot_shows_data_in_blue_and_predictions_in_red(tutorial_run):
    pixels = _pixels(Path(tutorial_run.run_dir) / "predictions.png")
    assert _count_color(pixels, (0, 0, 1)) > 1000  # a thousand blue dots
    assert _count_color(pixels, (1, 0, 0)) > 300  # a red line across the plot


def test_variables_plot_has_solid_trajectories_and_dashed_true_values(tutorial_run):
    pixels = _pixels(Path(tutorial_run.run_dir) / "variables.png")
    w_color, b_color = (0.12, 0.47, 0.71), (1.0, 0.5, 0.05)  # matplotlib's C0 and C1
    assert _count_color(pixels, w_color, 0.1) > 300 and _count_color(pixels, b_color, 0.1) > 300
    # A true value is a horizontal dashed line: a row with many pixels of its
    # variable's color, broken into many pieces.
    w_rows = [row for row in (np.abs(pixels - w_color).max(axis=-1) < 0.1) if row.sum() > 200]
    pieces = [np.abs(np.diff(row.astype(int))).sum() // 2 for row in w_rows]
    assert pieces and max(pieces) > 10


def test_tensorboard_holds_the_plots_as_images_and_the_config_as_hparams(tutorial_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    accumulator = EventAccumulator(f"{tutorial_run.run_dir}/tensorboard", size_guidance={"tensors": 0})
    accumulator.Reload()
    tags = {tag: accumulator.SummaryMetadata(tag).plugin_data.plugin_name for tag in accumulator.Tags()["tensors"]}
    assert {f"plots/{name}" for name in PLOTS} <= {tag for tag, plugin in tags.items() if plugin == "images"}
    assert accumulator.Tensors("plots/loss")[0].step == tutorial_run.global_step
    start = plugin_data_pb2.HParamsPluginData.FromString(accumulator.SummaryMetadata("_hparams_/session_start_info").plugin_data.content)
    hparams = {key: getattr(value, value.WhichOneof("kind")) for key, value in start.session_start_info.hparams.items()}
    assert hparams["optimizer.learning_rate"] == pytest.approx(0.1)
    assert hparams["strategy.name"] == "tape" and hparams["model.name"] == "linear" and hparams["epochs"] == 4


def test_flatten_config_dots_nested_keys_and_writes_lists_as_json():
    flat = flatten_config({"a": {"b": 1, "c": {"d": "x"}}, "plugins": [], "layers": [{"name": "dense"}], "none": None, "on": True})
    assert flat == {"a.b": 1, "a.c.d": "x", "plugins": "[]", "layers": '[{"name": "dense"}]', "none": "null", "on": True}


def test_two_dimensional_data_gets_no_predictions_plot_and_logger_none_all_plots_but_no_tensorboard(train):
    wide = train("data.num_features=2", "epochs=2")
    assert {p.name for p in Path(wide.run_dir).glob("*.png")} == {"variables.png", "loss.png"}
    silent = train("epochs=2", "logger=none")
    assert {p.name for p in Path(silent.run_dir).glob("*.png")} == {f"{name}.png" for name in PLOTS}
    assert not (Path(silent.run_dir) / "tensorboard").exists()


@pytest.mark.parametrize("logger", ["tensorboard", "csv", "none"])
def test_the_plots_are_drawn_from_the_runs_own_records_with_any_logger(train, logger):
    import matplotlib.image

    result = train("epochs=30", f"logger={logger}", "checkpoint.every_n_epochs=7")
    loss = matplotlib.image.imread(Path(result.run_dir) / "loss.png")
    assert loss.shape[:2] == (400, 640)
    reference = matplotlib.image.imread(Path(train("epochs=30", "logger=tensorboard").run_dir) / "loss.png")
    np.testing.assert_array_equal(loss, reference)  # the same curve whatever the logger
