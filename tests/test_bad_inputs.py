"""The bad-input matrix (README, "Bad inputs"): each bad input gives one clear error,
a non-zero exit status, no traceback, and leaves no run that looks finished.

The cases run through the real CLI entry point (`framework.train.main`, Hydra
included) inside this process, so they share one TensorFlow import;
tests/test_cli.py runs the same path in subprocesses.
"""

import importlib.util
import io
import re
import shutil
import sys
from pathlib import Path

import pytest
from helpers.runs import run_cli
from hydra.core.global_hydra import GlobalHydra

from framework.train import main

LINEAR = "+experiment=seed_linear"


@pytest.fixture(scope="module", autouse=True)
def _absl_handler_on_the_real_stderr():
    """Hydra reconfigures logging on every run, closing the old handlers; absl's
    handler then closes its stream unless it is the current sys.stderr. Here
    sys.stderr is swapped for a buffer, so absl's handler, which holds pytest's
    capture stream, is pointed at the process's real stderr instead."""
    from absl import logging as absl_logging

    handler = absl_logging.get_absl_handler().python_handler
    previous, handler.stream = handler.stream, sys.__stderr__
    yield
    handler.stream = previous


def run_main(monkeypatch, *arguments: str) -> tuple[int, str]:
    """`python -m framework.train ARGUMENTS` in this process: (exit status, stderr)."""
    status, _, stderr = run_main_streams(monkeypatch, *arguments)
    return status, stderr


def run_main_streams(monkeypatch, *arguments: str) -> tuple[int, str, str]:
    """`python -m framework.train ARGUMENTS` in this process: (exit status, stdout, stderr).

    Both streams are swapped for buffers that stay open: Hydra's log handlers
    keep the stream they were configured with after the test ends."""
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["framework.train", *arguments])
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        main()
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    finally:
        GlobalHydra.instance().clear()
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny finished run (2 epochs) to resume in the resume cases."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sys, "argv", ["framework.train", LINEAR, "epochs=2", "verbose=0", f"hydra.run.dir={run_dir}"])
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        monkeypatch.setattr(sys, "stderr", io.StringIO())
        main()
    GlobalHydra.instance().clear()
    return run_dir


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    return copy


def _corrupt(run_dir: Path, tmp_path: Path) -> Path:
    copy = _copy(run_dir, tmp_path)
    data = copy / "checkpoints" / "ckpt-2.npz"
    data.write_bytes(data.read_bytes()[:3])
    return copy


def _damaged_config(run_dir: Path, tmp_path: Path) -> Path:
    copy = _copy(run_dir, tmp_path)
    (copy / ".hydra" / "config.yaml").write_text("model: {name: linear\n  - broken: [")
    return copy


def _relabelled(run_dir: Path, tmp_path: Path) -> Path:
    """A run whose saved config was edited to claim another seed than its checkpoints were trained with."""
    copy = _copy(run_dir, tmp_path)
    config = copy / ".hydra" / "config.yaml"
    config.write_text(config.read_text().replace("seed: 42", "seed: 7"))
    (copy / ".hydra" / "overrides.yaml").write_text("- +experiment=seed_linear\n- epochs=2\n- seed=7\n")
    (copy / "summary.json").unlink()  # unfinished, so the resume has work to do
    return copy


def _with_code_in_saved_overrides(run_dir: Path, tmp_path: Path) -> Path:
    copy = _copy(run_dir, tmp_path)
    overrides = copy / ".hydra" / "overrides.yaml"
    overrides.write_text(overrides.read_text() + "- +hydra.callbacks.evil._target_=builtins.print\n")
    return copy


def _config_dir(run_dir: Path, tmp_path: Path) -> Path:
    """A --config-dir with a broken model option and a global option that names a callable for Hydra."""
    folder = tmp_path / "configs"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "broken.yaml").write_text("name: linear\n  bad: [\n")
    (folder / "extra").mkdir()
    (folder / "extra" / "evil.yaml").write_text("# @package _global_\nhydra:\n  callbacks:\n    evil:\n      _target_: builtins.print\n")
    return folder


def _failed(run_dir: Path, tmp_path: Path) -> Path:
    """A run that failed: no model, its FAILED marker holding the error."""
    copy = _copy(run_dir, tmp_path)
    (copy / "model.keras").unlink()
    (copy / "summary.json").unlink()
    (copy / "FAILED").write_text("NonFiniteLossError: The training loss became nan at step 3\n")
    return copy


def _not_a_run(run_dir: Path, tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _flowers_csv(run_dir: Path, tmp_path: Path) -> Path:
    """30 rows of two features and a class name of three."""
    path = tmp_path / "flowers.csv"
    rows = [f"{i / 10},{i % 7},{('setosa', 'versicolor', 'virginica')[i % 3]}" for i in range(30)]
    path.write_text("length,width,species\n" + "\n".join(rows) + "\n")
    return path


def _trained_on_changed_data(run_dir: Path, tmp_path: Path) -> Path:
    """A run of 2 epochs trained on numbers.csv, whose file then gained a row."""
    path, trained = _numbers_csv(run_dir, tmp_path), tmp_path / "on_numbers"
    with pytest.MonkeyPatch.context() as monkeypatch:
        arguments = ["data=csv", f"data.path={path}", "data.target=y", "epochs=2", "verbose=0", f"hydra.run.dir={trained}"]
        monkeypatch.setattr(sys, "argv", ["framework.train", *arguments])
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        monkeypatch.setattr(sys, "stderr", io.StringIO())
        main()
    GlobalHydra.instance().clear()
    with path.open("a") as file:
        file.write("3.0,1.61\n")
    return trained


def _parquet_shards(run_dir: Path, tmp_path: Path, second: str) -> Path:
    """A folder of two Parquet shards: numbers.csv's rows, then `second` ("corrupt": no Parquet; "other": other columns)."""
    import pyarrow
    import pyarrow.csv
    import pyarrow.parquet

    folder = tmp_path / "shards"
    folder.mkdir()
    pyarrow.parquet.write_table(pyarrow.csv.read_csv(_numbers_csv(run_dir, tmp_path)), folder / "part0.parquet")
    if second == "corrupt":
        (folder / "part1.parquet").write_bytes(b"PAR1 half a file")
    else:
        pyarrow.parquet.write_table(pyarrow.table({"x": ["a", "b"], "z": [1.0, 2.0]}), folder / "part1.parquet")
    return folder


def _shops_csv(run_dir: Path, tmp_path: Path) -> Path:
    """20 rows of a number, a city name and a class."""
    path = tmp_path / "shops.csv"
    path.write_text("size,city,label\n" + "".join(f"{i / 10},{('oslo', 'rome')[i % 2]},{i % 2}\n" for i in range(20)))
    return path


def _text_npz(run_dir: Path, tmp_path: Path) -> Path:
    import numpy as np

    np.savez(tmp_path / "text.npz", x=np.array([["oslo"], ["rome"]] * 10), y=np.ones(20, np.float32))
    return tmp_path / "text.npz"


def _changed_type_shards(run_dir: Path, tmp_path: Path) -> Path:
    """Two CSV shards: `size` holds numbers in the first, text in the second."""
    folder = tmp_path / "csv_shards"
    folder.mkdir()
    (folder / "part0.csv").write_text("size,city,label\n0.1,oslo,1\n0.2,rome,0\n")
    (folder / "part1.csv").write_text("size,city,label\nbig,oslo,1\n0.3,rome,0\n")
    return folder


def _blank_line_csv(run_dir: Path, tmp_path: Path) -> Path:
    path = _numbers_csv(run_dir, tmp_path)
    path.write_text(path.read_text().replace("\n1.0,", "\n\n1.0,"))
    return path


def _numbers_csv(run_dir: Path, tmp_path: Path) -> Path:
    """30 rows of a feature and a number to predict (not whole: no class labels)."""
    path = tmp_path / "numbers.csv"
    path.write_text("x,y\n" + "".join(f"{i / 10},{i * 0.37 + 0.5}\n" for i in range(30)))
    return path


def _other_columns_csv(run_dir: Path, tmp_path: Path) -> Path:
    """numbers.csv's rows under another feature column's name."""
    path = tmp_path / "other_columns.csv"
    path.write_text(_numbers_csv(run_dir, tmp_path).read_text().replace("x,y", "z,y", 1))
    return path


def _header_only_csv(run_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "header_only.csv"
    path.write_text("x,y\n")
    return path


def _gaps_csv(run_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,y\n1,2,3\n4,nan,6\n7,inf,9\n1,2,\n" + "1,2,3\n" * 10)
    return path


def _gaps_npz(run_dir: Path, tmp_path: Path) -> Path:
    import numpy as np

    x = np.ones((20, 3), np.float32)
    x[3, 2], x[7, 1] = np.nan, -np.inf
    np.savez(tmp_path / "gaps.npz", x=x, y=np.ones(20, np.float32))
    return tmp_path / "gaps.npz"


def _images_npz(run_dir: Path, tmp_path: Path) -> Path:
    import numpy as np

    np.savez(tmp_path / "images.npz", x=np.ones((20, 8, 8), np.float32), y=np.ones(20, np.float32))
    return tmp_path / "images.npz"


def _no_gpu() -> bool:
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


# (case id, overrides, expected exit status, expected stderr pattern). "{run}" is a
# copy of a finished run, "{corrupt}" one with a damaged checkpoint, "{empty}" an empty directory,
# "{failed}" one marked FAILED without a model, "{damaged}" one with unreadable .hydra/config.yaml, "{relabelled}" one whose .hydra/ claims another seed.
MATRIX = [
    ("unknown group option", ["model=no_such_model"], 2,
     r"model=no_such_model: there is no option 'no_such_model' in config group 'model'. Available options: application, graph, linear, my_dense, sequential"),
    ("misspelled key", ["data.num_exampels=3"], 2,
     r"data.num_exampels=3: 'num_exampels' is not a key of data. Valid keys: .* Did you mean data.num_examples\?"),
    ("misspelled schedule key", ["checkpoint.every_n_epoch=5"], 2,
     r"'every_n_epoch' is not a key of checkpoint. .*Did you mean checkpoint.every_n_epochs\?"),
    ("wrong type", ["optimizer.learning_rate=abc"], 2, r"optimizer.learning_rate='abc' is invalid: input should be a valid number"),
    ("wrong type of a whole section", ["checkpoint=5"], 2, r"checkpoint=5 is invalid: input should be a valid dictionary"),
    ("negative count", ["data.num_examples=-5"], 2, r"data.num_examples=-5 is invalid: input should be greater than or equal to 1"),
    ("fraction out of range", ["data.val_fraction=1.5"], 2, r"data.val_fraction=1.5 is invalid: input should be less than 1"),
    ("zero epochs", ["epochs=0"], 2, r"epochs=0 is invalid: input should be greater than or equal to 1"),
    ("boolean for a number", ["epochs=true"], 2, r"epochs=True is invalid: expected a number, not the boolean true"),
    ("number for a boolean", ["early_stopping.enabled=1"], 2, r"early_stopping.enabled=1 is invalid: expected true or false"),
    ("negative seed", ["seed=-1"], 2, r"seed=-1 is invalid: input should be greater than or equal to 0"),
    ("seed beyond what TensorFlow takes", ["seed=4294967296"], 2, r"seed=4294967296 is invalid: input should be less than or equal to 4294967295"),
    ("epochs beyond an int32", ["epochs=2147483648"], 2, r"epochs=2147483648 is invalid: input should be less than or equal to 2147483647"),
    ("non-finite number", ["optimizer.learning_rate=inf"], 2, r"optimizer.learning_rate=inf is invalid: input should be a finite number"),
    ("schedule boundary beyond int64", ["optimizer/schedule=piecewise", "optimizer.schedule.boundaries=[10,99999999999999999999]"], 2,
     r"optimizer.schedule.boundaries=\[10, 99999999999999999999\] is invalid: expected an integer TensorFlow can hold"),
    ("verbosity out of range", ["verbose=5"], 2, r"verbose=5 is invalid: input should be less than or equal to 2"),
    ("zero steps per call", ["strategy.steps_per_call=0"], 2, r"strategy.steps_per_call=0 is invalid: input should be greater than or equal to 1"),
    ("keep no checkpoints", ["checkpoint.keep=0"], 2, r"checkpoint.keep=0 is invalid: input should be greater than or equal to 1"),
    ("unknown monitored metric", ["early_stopping.enabled=true", "early_stopping.monitor=accuracy"], 2,
     r"early_stopping.monitor=accuracy is not a value the run logs. It logs: loss, val_loss .*list it in metrics, e.g. metrics=\[accuracy\]"),
    ("misspelled objective", ["metrics=[mae]", "objective.metric=val_maa"], 2,
     r"objective.metric=val_maa is not a value the run logs. It logs: loss, mae, val_loss, val_mae .*Did you mean objective.metric=val_mae\?"),
    ("a monitor naming no validation set", ["+validation_sets.fresh={seed: 7}", "early_stopping.enabled=true", "early_stopping.monitor=val_frsh_loss"], 2,
     r"early_stopping.monitor=val_frsh_loss is not a value the run logs. It logs: loss, .*val_fresh_loss .*the run's validation_sets are: fresh\)\. "
     r"Did you mean early_stopping.monitor=val_fresh_loss\? To watch a validation set, name one of validation_sets"),
    ("a validation set of other features", ["data=csv", "data.path={numbers}", "data.target=y", "+validation_sets.shifted={path: {other_columns}}"], 2,
     r"validation_sets.shifted: its features are \['z'\], but the model is trained on \['x'\] \(data.features\). Give the set the same columns"),
    ("an empty validation set", ["data=csv", "data.path={numbers}", "data.target=y", "+validation_sets.shifted={path: {header_only_csv}}"], 2,
     r"validation_sets.shifted: data.path: .*header_only.csv .*has a header but no rows"),
    ("a validation set's own split", ["+validation_sets.fresh={seed: 7, val_fraction: 0.5}"], 2,
     r"validation_sets.fresh.val_fraction: a validation set reads every example of its source as it is .*so it takes no 'val_fraction'"),
    ("a validation set's name that is no word", ["+validation_sets.my-set={seed: 7}"], 2,
     r"validation_sets.my-set: a set's name becomes part of its logged values \(val_<name>_loss\), so it must be letters"),
    ("lr_on_plateau watching a metric", ["metrics=[mae]", "lr_on_plateau.enabled=true", "lr_on_plateau.monitor=mae"], 2,
     r"lr_on_plateau.monitor=mae: the learning rate is lowered when a loss stops decreasing, so it watches a loss. The run's losses: loss"),
    ("best model of a val_ metric without validation data", ["metrics=[mae]", "checkpoint.best.monitor=val_mae"], 2,
     r"checkpoint.best.monitor=val_mae, but the data holds no validation examples.*checkpoint.best.monitor=mae"),
    ("mode other than min or max", ["objective.mode=maximize"], 2, r"objective.mode='maximize' is invalid: input should be 'min' or 'max'"),
    ("unknown metric", ["metrics=[acuracy]"], 2, r"metrics\[0\].name: unknown metric 'acuracy'. Available metrics: accuracy, auc, .*Did you mean 'accuracy'"),
    ("metric argument out of range", ["metrics=[{name: auc, curve: XY}]"], 2,
     r"metrics\[0\].curve='XY' is invalid: input should be 'ROC' or 'PR'"),
    ("metric listed twice", ["metrics=[mae,{name: mae}]"], 2, r"metrics: mae appears more than once"),
    ("distribution of JAX on TensorFlow", ["distribution=data_parallel"], 2,
     r"distribution=data_parallel runs on backend=jax \(keras.distribution on JAX\), not backend=tensorflow. Use distribution=none "
     r"or distribution=mirrored \(one machine\) or distribution=multi_worker strategy=tape \(several\), or backend=jax"),
    ("model_parallel mesh without a name per axis", ["distribution=model_parallel", "distribution.mesh_shape=[1,2,1]"], 2,
     r"distribution: mesh_shape=\[1, 2, 1\] and axis_names=\['batch', 'model'\] must name each mesh axis once, one name per size"),
    ("model_parallel batch axis not in the mesh", ["distribution=model_parallel", "distribution.batch_axis=data"], 2,
     r"distribution: batch_axis='data' is not a mesh axis; expected one of axis_names=\['batch', 'model'\]"),
    ("model_parallel layout naming no mesh axis", ["distribution=model_parallel", "distribution.layout_map={.*/kernel: [null, models]}"], 2,
     r"distribution: layout_map\['.\*/kernel'\]=\[None, 'models'\] names mesh axes that do not exist: \['models'\]"),
    ("model_parallel layout pattern that is no regex", ["distribution=model_parallel", "distribution.layout_map={*: [model]}"], 2,
     r"distribution: layout_map: '\*' is not a regular expression \(nothing to repeat at position 0\); a key is a regex of variable paths"),
    ("metrics with tape under a distribution", ["metrics=[mae]", "distribution=mirrored"], 2,
     r"metrics: the tape strategy does not compute metrics under a tf.distribute strategy \(distribution=mirrored\) yet. Use strategy=fit"),
    ("accumulation of one batch", ["optimizer.gradient_accumulation_steps=1"], 2,
     r"optimizer.gradient_accumulation_steps=1 is invalid: input should be greater than or equal to 2"),
    ("two kinds of gradient clipping", ["optimizer.clipnorm=1.0", "optimizer.global_clipnorm=1.0"], 2,
     r"optimizer: only one of clipnorm, clipvalue, global_clipnorm can be set, got clipnorm and global_clipnorm"),
    ("val_loss without validation data", ["early_stopping.enabled=true", "early_stopping.monitor=val_loss"], 2,
     r"early_stopping.monitor=val_loss, but the data holds no validation examples"),
    ("lr_on_plateau with a schedule", ["lr_on_plateau.enabled=true", "optimizer/schedule=cosine"], 2,
     r"lr_on_plateau.enabled=true cannot change a scheduled learning rate \(optimizer/schedule=cosine\)"),
    ("lr_on_plateau on val_loss without validation data", ["lr_on_plateau.enabled=true", "lr_on_plateau.monitor=val_loss"], 2,
     r"lr_on_plateau.monitor=val_loss, but the data holds no validation examples"),
    ("empty layer list", ["model=sequential", "model.layers=[]"], 2,
     r"model.layers=\[\] is invalid: list should have at least 1 item after validation, not 0"),
    ("output shape cannot fit the targets", ["model=sequential", "model.layers=[{name: dense, units: 3}]"], 2,
     r"the model outputs shape \(3,\) per example but the data's targets need shape \(1,\).*\{name: dense, units: 1\}"),
    ("unknown layer", ["model=sequential", "model.layers=[{name: dense_layer, units: 1}]"], 2,
     r"unknown layer 'dense_layer'. Available layers: .*Did you mean 'dense'"),
    ("layer rejects its argument", ["model=sequential", "model.layers=[{name: dense, units: -1}]"], 2,
     r"model.layers\[0\]: layer 'dense' rejected its arguments \{units: -1\}: .*expected a positive integer"),
    ("misspelt layer argument", ["model=sequential", "model.layers=[{name: conv1d, filter: 4}]"], 2,
     r"model.layers\[0\].filter: layer 'conv1d' takes no argument 'filter'. Did you mean filters\? It accepts: filters, "),
    ("misspelt loss argument", ["loss=binary_crossentropy", "+loss.from_logit=true"], 2,
     r"loss.from_logit: loss 'binary_crossentropy' takes no argument 'from_logit'. Did you mean from_logits\?"),
    ("unknown activation name", ["model=sequential", "model.layers=[{name: dense, units: 1, activation: rellu}]"], 2,
     r"model.layers\[0\].activation='rellu': unknown Keras activation name. Did you mean 'relu'.*Known activations: "),
    ("object in place of a Keras name", ["model=sequential", "model.layers=[{name: dense, units: 1, kernel_initializer: {class_name: function, module: os}}]"], 2,
     r"model.layers\[0\].kernel_initializer: layer 'dense' got a serialized Keras object .* a config cannot load code"),
    ("unknown loss", ["loss.name=no_such_loss"], 2, r"loss.name: unknown loss 'no_such_loss'. Available losses: binary_crossentropy, .*, huber, .*, mse, .*sparse_categorical_crossentropy"),
    ("loss named by Python path", ["loss.name=keras.losses.MeanSquaredError"], 2, r"unknown loss 'keras.losses.MeanSquaredError'"),
    ("_target_ in a config", ["+model._target_=os.system"], 2,
     r"model._target_: configs name components by registry key, never by Python path or _target_"),
    ("_target_ inside a layer list", ["model=sequential", "model.layers=[{_target_: os.system, _args_: [ls]}]"], 2,
     r"model.layers\[0\]._target_, model.layers\[0\]._args_: configs name components by registry key"),
    ("missing data file", ["data=csv", "data.path=/no/such/data.csv", "data.target=y"], 2,
     r"data.path: no CSV file at /no/such/data.csv. Check the path; a relative path is relative to the directory you launched from"),
    ("data file not named", ["data=csv", "data.target=y"], 2,
     r"Invalid config for data source 'csv': data.path is not set: the config leaves it to you. Set it on the command line \(data.path=...\)"),
    ("callable in the hydra section", ["+hydra.callbacks.evil._target_=builtins.print"], 2,
     r"hydra.callbacks.evil._target_=builtins.print: the hydra section may name only the framework's callbacks"),
    ("logging handler outside logging", ["hydra.job_logging.handlers.console.class=os.system"], 2,
     r"hydra.job_logging.handlers.console.class=os.system: the hydra section may name only"),
    ("callable in a --config-dir file", ["--config-dir={confdir}", "+extra=evil"], 2,
     r"hydra.callbacks.evil._target_=builtins.print: the hydra section may name only"),
    ("callable replayed from a run's saved overrides", ["resume={evil_run}", "epochs=3"], 2,
     r"hydra.callbacks.evil._target_=builtins.print: the hydra section may name only"),
    ("bad YAML in --config-dir", ["--config-dir={confdir}", "model=broken"], 2,
     r"a config file cannot be read: mapping values are not allowed here in \".*model/broken.yaml\""),
    ("missing --config-dir", ["--config-dir=/no/such/configs"], 2, r"--config-dir /no/such/configs: there is no directory"),
    ("over-long option name", ["model=" + "x" * 300], 2,
     r"model=x{40}\.\.\.: this option name is 300 characters long, longer than any option can be"),
    ("unknown logger", ["logger=nope"], 2, r"there is no option 'nope' in config group 'logger'"),
    ("bad logger cadence", ["logger.log_every_n_epochs=-1"], 2,
     r"logger.log_every_n_epochs=-1 is invalid: input should be greater than or equal to 0"),
    ("bad profile length", ["profile.epochs=-1"], 2, r"profile.epochs=-1 is invalid: input should be greater than or equal to 0"),
    ("bad step checkpoint interval", ["checkpoint.every_n_steps=-1"], 2,
     r"checkpoint.every_n_steps=-1 is invalid: input should be greater than or equal to 0"),
    ("step checkpoints on epoch ends only", ["checkpoint.every_n_steps=2"], 2,
     r"checkpoint.every_n_steps=2 acts inside epochs, but an epoch here has 1 step\(s\) \(\d+ training "
     r"examples in batches of \d+\), so each step it names \(every multiple of 2\) ends an epoch.*Use checkpoint.every_n_epochs=2, or a "
     r"checkpoint.every_n_steps that is not a multiple of 1"),
    ("bad step validation interval", ["validation.every_n_steps=-1"], 2,
     r"validation.every_n_steps=-1 is invalid: input should be greater than or equal to 0"),
    ("step validation without validation data", ["data=sine", "data.val_fraction=0", "validation.every_n_steps=3"], 2,
     r"validation.every_n_steps=3 validates inside epochs, but the data holds no validation examples. "
     r"Set data.val_fraction above 0"),
    ("MLflow store unusable", ["logger=mlflow", "logger.mlflow.tracking_uri=nosuch://x"], 2,
     r"logger.mlflow.tracking_uri=nosuch://x: MLflow cannot record at nosuch://x: .* Set logger.mlflow.tracking_uri"),
    ("unknown callback", ["callbacks=[terminate_on_nam]"], 2,
     r"callbacks\[0\].name: unknown callback 'terminate_on_nam'. Available callbacks: .*Did you mean 'terminate_on_nan'"),
    ("misspelt callback argument", ["callbacks=[{name: remote_monitor, rooot: x}]"], 2,
     r"callbacks\[0\].rooot: callback 'remote_monitor' takes no argument 'rooot'. Did you mean root\? It accepts: root, path, "),
    ("Keras callback the framework does its own way", ["callbacks=[early_stopping]"], 2,
     r"callbacks\[0\].name: 'early_stopping' is Keras's EarlyStopping, which is not offered as a callback: use early_stopping.enabled=true"),
    ("pruner in a single run", ["pruning=median"], 2,
     r"pruning=median stops Optuna trials that fall behind, but this is a single run \(no -m\), so there is no trial to prune. "
     r"Run a study: python -m framework.train -m sweep=optuna pruning=median"),
    ("pruner in a multirun without sweep=optuna", ["-m", "pruning=hyperband"], 2,
     r"pruning=hyperband stops Optuna trials that fall behind, but this multirun's sweeper is not sweep=optuna's"),
    ("unparsable override", ["epochs=[1,"], 2, r"epochs=\[1,: Hydra cannot parse this override: no viable alternative at input '\[1,'"),
    ("plugin import error", ["plugins=[no_such_plugin_module]"], 2,
     r"plugins=\[no_such_plugin_module\]: could not import the plugin module 'no_such_plugin_module': ModuleNotFoundError"),
    ("unwritable output directory", ["hydra.run.dir=/proc/no_such_run"], 2,
     r"cannot write /proc/no_such_run: .*choose another with hydra.run.dir=<dir>"),
    ("diverging loss", ["optimizer.learning_rate=1e6"], 3, r"The training loss became inf at step 4 \(epoch 3\)"),
    ("resume from a missing directory", ["resume=/no/such/run"], 2,
     r"resume=/no/such/run: there is no directory /no/such/run. Pass the directory of an earlier run"),
    ("resume from a directory that is not a run", ["resume={empty}"], 2, r"is not a run directory: it lacks .hydra/config.yaml"),
    ("resume from a corrupt checkpoint", ["resume={corrupt}", "epochs=4"], 2,
     r"the checkpoint .*ckpt-2\.npz cannot be restored: .*delete its files \(ckpt-2\.\*\)"),
    ("resume that changes the experiment", ["resume={run}", "model=my_dense", "optimizer.learning_rate=0.5"], 2,
     r"would alter the experiment(.|\n)*  model.name: 'linear' -> 'my_dense'(.|\n)*  optimizer.learning_rate: 0.1 -> 0.5"),
    ("resume from a damaged saved config", ["resume={damaged}"], 2,
     r"the saved config of the run \(.*\.hydra\) is damaged: it cannot be read"),
    ("resume of checkpoints from another experiment", ["resume={relabelled}"], 2,
     r"the run's checkpoints belong to another experiment than this config(.|\n)*config.seed: 42 -> 7"),
    ("glob of shards matching nothing", ["data=parquet", "data.path={no_shards}", "data.target=y"], 2,
     r"data.path: the pattern .*none/\*\.parquet matches no file\. Check the pattern"),
    ("corrupt Parquet shard", ["data=parquet", "data.path={corrupt_shard}", "data.target=y"], 2,
     r"data.path: .*part1\.parquet is not a readable Parquet file \("),
    ("Parquet shard with other columns", ["data=parquet", "data.path={other_shard}", "data.target=y"], 2,
     r"data.path: shard .*part1\.parquet has the columns \['x: string', 'z: double'\], but the first shard .*part0\.parquet "
     r"has \['x: double', 'y: double'\]; every shard of a table needs the same columns of the same types"),
    ("streamed CSV with a blank line", ["data=csv", "data.path={blank_line_csv}", "data.target=y", "data.stream=true"], 2,
     r"data.path: .*numbers\.csv has 30 rows where its index found 31 lines \(a blank line, or a line break inside a quoted cell"),
    ("a subset of a streamed table", ["data=csv", "data.path={numbers}", "data.target=y", "data.stream=true", "data.num_examples=10"], 2,
     r"data.num_examples=10 takes a random subset of rows held in memory; with data.stream=true set it to null"),
    ("a subset of a streamed image folder", ["data=images", "data.path=pets", "data.stream=true", "data.num_examples=10"], 2,
     r"data.num_examples=10 takes a random subset of images held in memory; with data.stream=true set it to null"),
    ("resume over a data file changed since", ["resume={changed_data}", "epochs=3"], 2,
     r"resume=.*: the data changed since the run read it, so its checkpoints would continue on other data:\n"
     r"  .*numbers\.csv: bytes \d+ -> \d+, sha256 \w+ -> \w+\n\(recorded -> now\)\. Restore the data the run trained on, "
     r"start a new run, or continue anyway with allow_changed_data=true\."),
    ("new run into another run's directory", ["hydra.run.dir={run}"], 2,
     r"this directory already holds another run \(checkpoints, tensorboard, model.keras, summary.json\), and a new run never writes into it. Continue that run with resume="),
    ("diverging last update", ["epochs=1", "optimizer.learning_rate=1e38"], 3, r"The model's variable linear/\w+ became -?inf at step 1"),
    ("resume inside a multirun", ["-m", "resume={run}"], 2, r"a run is resumed on its own; drop -m/--multirun"),
    ("init_from a missing run", ["init_from=/no/such/run"], 2,
     r"init_from=/no/such/run: no such directory. Pass the directory of a finished run"),
    ("init_from a failed run", ["init_from={failed}"], 2,
     r"init_from=.*: there is no model.keras in it: the run failed \(NonFiniteLossError: The training loss became nan at step 3\)\. "
     r"Fix that, then finish it with python -m framework.train resume="),
    ("init_from a model without a layer of the same name", ["init_from={run}", "model=my_dense"], 2,
     r"init_from=.*: no layer of this model takes trained weights from that run's model.*Its layers: linear; this model's: my_dense_layer"),
    ("freeze pattern matching no layer", ["freeze=[conv*]"], 2, r"freeze: 'conv\*' matches no layer of the model. Its layers: linear"),
    ("best weights with a weight average", ["early_stopping.enabled=true", "early_stopping.restore_best_weights=true", "optimizer.use_ema=true"], 2,
     r"early_stopping.restore_best_weights=true cannot be used with optimizer.use_ema=true"),
    ("graph input naming no id", ["model=graph", "model.layers=[{name: dense, units: 4, id: h}, {name: dense, units: 1, inputs: [hh]}]"], 2,
     r"model.layers\[1\].inputs: no layer has the id 'hh'. The ids: input, h. Did you mean 'h'\?"),
    ("graph cycle", ["model=graph", "model.layers=[{name: dense, units: 1, id: a, inputs: [b]}, {name: dense, units: 1, id: b, inputs: [a]}]"], 2,
     r"model.layers: these layers take each other's outputs in a cycle"),
    ("graph shapes that cannot merge", ["model=graph", "model.layers=[{name: dense, units: 4, id: a}, {name: dense, units: 3, id: b}, {name: add, inputs: [a, b]}, {name: dense, units: 1}]"], 2,
     r"model.layers\[2\]: layer 'add' cannot take the outputs of a \(None, 4\), b \(None, 3\)"),
    ("merge layer in a stack", ["model=sequential", "model.layers=[{name: add}, {name: dense, units: 1}]"], 2,
     r"model.layers\[0\].name: 'add' merges several inputs, but a stack of layers gives each layer one. Use model=graph"),
    ("unknown application", ["model=application", "model.application=resnet5"], 2,
     r"model.application='resnet5': no Keras Applications model has this name. Did you mean 'resnet50'"),
    ("application weights to download", ["model=application", "model.weights=imagenet"], 2,
     r"model.weights='imagenet' would download the weights, which a run never does"),
    ("PyTorch's name for the learning rate", ["optimizer.lr=0.1"], 2,
     r"optimizer.lr=0.1: 'lr' is not a key of optimizer. .* Did you mean optimizer.learning_rate\?$"),
    ("a short name for XLA", ["strategy.jit=true"], 2, r"strategy.jit=true: 'jit' is not a key of strategy. .*Did you mean strategy.jit_compile\?$"),
    ("Keras's class name for a layer", ["model=sequential", "model.layers=[{name: Dense, units: 1}]"], 2,
     r"model.layers\[0\].name: unknown layer 'Dense': layers are named by Keras's snake-case name of their class, "
     r"so Keras's Dense is 'dense': write \{name: dense, ...\}.$"),
    ("Keras's class name for a conv layer", ["model=sequential", "data=sine", "model.layers=[{name: Conv2D, filters: 1}]"], 2,
     r"unknown layer 'Conv2D': .*so Keras's Conv2D is 'conv2d'"),
    ("layers for a model that has none", ["model.layers=[{name: dense, units: 1}]"], 2,
     r"model.layers=\[\{name: dense, units: 1\}\]: the selected model 'linear' has no 'layers'; model=graph or model=sequential does. "
     r"Select it: model=graph 'model.layers=\[\{name: dense, units: 1\}\]'."),
    ("unknown top-level key added with +", ["+epoch=5"], 2,
     r"epoch: there is no top-level setting 'epoch', so it would change nothing. Did you mean epochs\?"),
    ("misspelled top-level key", ["epoch=5"], 2, r"epoch=5: 'epoch' is not a key of the top level. .*Did you mean epochs\?$"),
    ("a data column not named", ["data=csv", "data.path={flowers}"], 2,
     r"Invalid config for data source 'csv': data.target is not set: the config leaves it to you. Set it on the command line \(data.target=...\)"),
    ("a loss for numbers on class names", ["data=csv", "data.path={flowers}", "data.target=species", "model=sequential",
                                           "model.layers=[{name: dense, units: 3}]", "loss=mse"], 2,
     r"loss=mse compares numbers, but the data's targets are class ids of 3 classes \(setosa, versicolor, virginica\).*"
     r"Use loss=sparse_categorical_crossentropy"),
    ("a one-hot loss on class ids", ["data=csv", "data.path={flowers}", "data.target=species", "model=sequential",
                                     "model.layers=[{name: dense, units: 3}]", "loss=categorical_crossentropy"], 2,
     r"loss=categorical_crossentropy takes one-hot rows, but the data's targets are class ids of 3 classes.*sparse_categorical_crossentropy"),
    ("a two-class loss on three classes", ["data=csv", "data.path={flowers}", "data.target=species", "model=sequential",
                                           "model.layers=[{name: dense, units: 3}]", "loss=binary_crossentropy"], 2,
     r"loss=binary_crossentropy is for two classes \(0/1 targets\), but the data's targets are class ids of 3 classes"),
    ("a class-id loss on numbers", ["data=csv", "data.path={numbers}", "data.target=y", "model=sequential",
                                    "model.layers=[{name: dense, units: 3}]", "loss=sparse_categorical_crossentropy"], 2,
     r"data.target: column 'y' of .*numbers.csv are read as class labels .* but example 0 holds 0.5, which is not a whole number"),
    ("class ids for a regression loss", ["data=csv", "data.path={numbers}", "data.target=y", "data.target_type=regression",
                                         "loss=sparse_categorical_crossentropy"], 2,
     r"loss=sparse_categorical_crossentropy takes class ids, but the data's targets are numbers to predict"),
    ("a categorical column that does not exist", ["data=csv", "data.path={shops}", "data.target=label", "data.categorical={cty: lookup}"], 2,
     r"data.categorical: 'cty' is not a column of .*shops\.csv.*Its columns: size, city, label\. Did you mean 'city'\?"),
    ("the target named as a categorical column", ["data=csv", "data.path={shops}", "data.target=label", "data.categorical={label: lookup}"], 2,
     r"data.categorical names the column 'label', which is the target; it lists input columns only"),
    ("a text target for regression", ["data=csv", "data.path={shops}", "data.target=city", "data.target_type=regression"], 2,
     r"data.target_type=regression, but the target column 'city' of .*shops\.csv holds text \(e\.g\. 'oslo'\); regression predicts "
     r"numbers\. Use data.target_type=auto or classification"),
    ("a streamed text target for regression", ["data=csv", "data.path={shops}", "data.target=city", "data.target_type=regression",
                                               "data.stream=true"], 2,
     r"data.target_type=regression, but the target column 'city' of .*shops\.csv holds text \(e\.g\. 'oslo'\)"),
    ("a column whose type changes between CSV shards", ["data=csv", "data.path={changed_shards}", "data.target=label", "data.stream=true"], 2,
     r"data.path: column 'size' of .*part1\.csv holds 'big', but the table's first block holds numbers \(double\) there; a column "
     r"keeps one type in every shard and block\. Fix those rows, or name the column in data.categorical"),
    ("text inputs in a NumPy file", ["data=numpy", "data.path={text_npz}"], 2,
     r"data: the inputs are text \(type <U4\); data=numpy takes numbers only\. Text features are categories of a table's columns: "
     r"write them as columns of a CSV or Parquet file and train with data=csv or data=parquet"),
    ("non-finite cells in a CSV file", ["data=csv", "data.path={gaps_csv}", "data.target=y"], 2,
     r"has 3 cell\(s\) that are not finite numbers or labels: row 2, column 'b': empty or NaN; row 3, column 'b': inf; "
     r"row 4, column 'y': empty or NaN \(rows count the data rows"),
    ("non-finite values in an .npz", ["data=numpy", "data.path={gaps_npz}"], 2,
     r"the inputs hold 2 value\(s\) that are not finite numbers: row 3, column 2: nan; row 7, column 1: -inf"),
    ("image-shaped data for the linear model", ["data=numpy", "data.path={images_npz}"], 2,
     r"the model outputs shape \(8, 1\) per example but the data's targets need shape \(1,\). The linear model cannot be "
     r"changed to fit; .*model=sequential 'model.layers=\[\{name: flatten\}, \{name: dense, units: 1\}\]'"),
    pytest.param("no GPU", ["device=gpu"], 2, r"device=gpu: TensorFlow sees no GPU on this machine",
                 marks=pytest.mark.skipif("not _no_gpu()", reason="this machine has a GPU")),
]


def _case(case):
    """A MATRIX row as a parameter set, its id first; a row may be a pytest.param with marks."""
    values, marks = (case.values, case.marks) if hasattr(case, "marks") else (case, ())
    return pytest.param(*values[1:], id=values[0], marks=marks)


@pytest.mark.parametrize("overrides, status, expected", [_case(case) for case in MATRIX])
def test_bad_input_gives_one_clear_error(monkeypatch, tmp_path, finished_run, overrides, status, expected):
    import re

    runs = {
        "run": lambda: _copy(finished_run, tmp_path),
        "corrupt": lambda: _corrupt(finished_run, tmp_path),
        "empty": lambda: _not_a_run(finished_run, tmp_path),
        "failed": lambda: _failed(finished_run, tmp_path),
        "damaged": lambda: _damaged_config(finished_run, tmp_path),
        "relabelled": lambda: _relabelled(finished_run, tmp_path),
        "evil_run": lambda: _with_code_in_saved_overrides(finished_run, tmp_path),
        "confdir": lambda: _config_dir(finished_run, tmp_path),
        "flowers": lambda: _flowers_csv(finished_run, tmp_path),
        "numbers": lambda: _numbers_csv(finished_run, tmp_path),
        "other_columns": lambda: _other_columns_csv(finished_run, tmp_path),
        "header_only_csv": lambda: _header_only_csv(finished_run, tmp_path),
        "changed_data": lambda: _trained_on_changed_data(finished_run, tmp_path),
        "corrupt_shard": lambda: _parquet_shards(finished_run, tmp_path, "corrupt"),
        "other_shard": lambda: _parquet_shards(finished_run, tmp_path, "other"),
        "blank_line_csv": lambda: _blank_line_csv(finished_run, tmp_path),
        "no_shards": lambda: tmp_path / "none" / "*.parquet",
        "gaps_csv": lambda: _gaps_csv(finished_run, tmp_path),
        "shops": lambda: _shops_csv(finished_run, tmp_path),
        "text_npz": lambda: _text_npz(finished_run, tmp_path),
        "changed_shards": lambda: _changed_type_shards(finished_run, tmp_path),
        "gaps_npz": lambda: _gaps_npz(finished_run, tmp_path),
        "images_npz": lambda: _images_npz(finished_run, tmp_path),
    }
    arguments = list(overrides)
    for name, make in runs.items():
        if any(f"{{{name}}}" in argument for argument in arguments):
            made = str(make())
            arguments = [argument.replace(f"{{{name}}}", made) for argument in arguments]
    uses_run_dir = any(a.startswith(("resume=", "hydra.run.dir=")) for a in arguments)
    run_dir = tmp_path / "run"
    extra = [] if uses_run_dir else [LINEAR, f"hydra.run.dir={run_dir}"]
    flags = [argument for argument in arguments if argument.startswith("-")]  # before the overrides, as Hydra's parser wants
    overrides = [argument for argument in arguments if not argument.startswith("-")]
    code, stderr = run_main(monkeypatch, *flags, *extra, "verbose=0", *overrides)
    assert code == status, stderr
    assert re.search(expected, stderr), stderr
    assert [line.startswith("Error: ") for line in stderr.splitlines()].count(True) == 1
    assert "Traceback" not in stderr
    if status == 2 and not uses_run_dir:  # bad input leaves no run directory behind (the command created this one)
        assert not run_dir.exists(), sorted(path.name for path in run_dir.iterdir())
    # Nothing half-written passes for a result: no run, or one marked FAILED without a model or summary.
    if run_dir.exists():
        assert (run_dir / "FAILED").exists()
        assert not (run_dir / "model.keras").exists() and not (run_dir / "summary.json").exists()
        assert not list(run_dir.rglob("*.tmp")) and not list(run_dir.rglob(".partial-*"))


@pytest.mark.parametrize("exit_statement", ["raise SystemExit(0)", "raise KeyboardInterrupt", "import sys; sys.exit('bye')"])
def test_a_plugin_that_exits_while_imported_is_a_plugin_error(monkeypatch, tmp_path, exit_statement):
    (tmp_path / "exiting_plugin.py").write_text(exit_statement + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run_dir = tmp_path / "run"
    run_dir.mkdir()  # named and there before: kept, marked FAILED (one this command creates goes)
    code, stderr = run_main(monkeypatch, LINEAR, "verbose=0", "plugins=[exiting_plugin]", f"hydra.run.dir={run_dir}")
    monkeypatch.delitem(sys.modules, "exiting_plugin", raising=False)
    assert code == 2, stderr
    assert re.search(r"Error: plugins=\[exiting_plugin\]: could not import the plugin module 'exiting_plugin': (SystemExit|KeyboardInterrupt)", stderr), stderr
    assert "Traceback" not in stderr
    assert (run_dir / "FAILED").read_text().startswith("PluginError: ")


def test_resume_of_a_finished_run_is_a_no_op_success(monkeypatch, tmp_path, finished_run):
    run_dir = _copy(finished_run, tmp_path)
    before = (run_dir / "summary.json").read_text()
    code, stdout, stderr = run_main_streams(monkeypatch, f"resume={run_dir}")
    assert code == 0, stderr
    assert "the run already finished its 2 epochs; nothing to do" in stdout
    assert re.search(r"Finished \(\w+ strategy\): loss=", stdout) and f"run directory: {run_dir}" in stdout
    assert not (run_dir / "FAILED").exists() and (run_dir / "summary.json").read_text() == before


def test_mlflow_not_installed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what Python does for a package that is absent
    code, stderr = run_main(monkeypatch, LINEAR, "verbose=0", "logger=mlflow", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2, stderr
    assert "logger=mlflow: the mlflow package is not installed. Install the extra: pip install -e '.[mlflow]'" in stderr
    assert "Traceback" not in stderr


def test_wandb_not_installed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "wandb", None)  # what Python does for a package that is absent
    code, stderr = run_main(monkeypatch, LINEAR, "verbose=0", "logger=wandb", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2, stderr
    assert "logger=wandb: the wandb package is not installed. Install the extra: pip install -e '.[wandb]'" in stderr
    assert "Traceback" not in stderr


def test_a_study_storage_that_cannot_be_opened(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, stderr = run_main(monkeypatch, "-m", LINEAR, "verbose=0", "sweep=optuna", "hydra.sweeper.n_trials=1",
                            "hydra.sweeper.storage=sqlite:////no/such/dir/study.db")
    assert code == 2, stderr
    assert re.search(r"Error: hydra.sweeper.storage=sqlite:////no/such/dir/study.db: Optuna cannot open this study storage "
                     r"\(OperationalError: .*\). Use sqlite:///<file> in a writable directory", stderr), stderr
    assert "Traceback" not in stderr and [line.startswith("Error: ") for line in stderr.splitlines()].count(True) == 1
    assert list(tmp_path.iterdir()) == []  # no sweep directory, no job


def test_resume_with_a_store_that_lacks_the_mlflow_run(monkeypatch, tmp_path, finished_run):
    run_dir = _copy(finished_run, tmp_path)
    (run_dir / "mlflow_run_id").write_text("4e1d0c6a9b2f4f0f8c3d2b1a0e9f8d7c\n")  # recorded into another store
    monkeypatch.chdir(tmp_path)  # the store's artifacts go to ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    code, stderr = run_main(monkeypatch, f"resume={run_dir}", "epochs=4", "verbose=0", "logger=mlflow")
    assert code == 2, stderr
    assert re.search(r"mlflow_run_id names the MLflow run 4e1d\w+, which the tracking store .*mlflow.db does not hold. "
                     r"Resume with the tracking URI the run started with", stderr), stderr
    assert "Traceback" not in stderr


def test_the_matrix_has_at_least_twenty_cases():
    assert len(MATRIX) >= 20


# distribution=model_parallel over 2 CPU devices, for a sine MLP whose last kernel (8 x 1) cannot split.
_MODEL_PARALLEL = ["distribution=model_parallel", "distribution.cpu_replicas=2", "data=sine", "model=sequential",
                   "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dense, units: 1}]"]


@pytest.mark.slow  # each case starts a Python process with JAX
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
@pytest.mark.parametrize("overrides, expected", [
    pytest.param([*_MODEL_PARALLEL, "distribution.mesh_shape=[3,1]"], r"distribution.mesh_shape=\[3, 1\] does not fit the 2 "
                 r"device\(s\) this run trains on: .*Use a mesh_shape whose sizes multiply to 2 .* or change distribution.cpu_replicas",
                 id="mesh"),
    pytest.param([*_MODEL_PARALLEL, "distribution.layout_map={.*conv.*/kernel: [null, model]}"], r"distribution.layout_map: "
                 r"'.\*conv.\*/kernel' matches no variable of the model .*The model's variables: sequential/dense/kernel, ",
                 id="no such variable"),
    pytest.param([*_MODEL_PARALLEL, "distribution.layout_map={.*dense_1/kernel: [null, model]}"], r"distribution.layout_map: the "
                 r"layout \[None, 'model'\] of variable sequential/dense_1/kernel \(shape \[8, 1\]\) splits dimension 1 \(1\) "
                 r"over 'model' \(2 devices\) unevenly", id="uneven"),
    pytest.param([*_MODEL_PARALLEL, "distribution.layout_map={.*dense/bias: [null, model]}"], r"distribution.layout_map: the "
                 r"layout \[None, 'model'\] of variable sequential/dense/bias \(shape \[8\]\) has 2 entries for a variable of 1 "
                 r"dimensions", id="rank"),
    pytest.param([*_MODEL_PARALLEL, "distribution.layout_map={.*dense/kernel: [null, model], sequential/dense/.*: [null, model]}"],
                 r"distribution.layout_map: variable sequential/dense/kernel matches several patterns: '.\*dense/kernel', "
                 r"'sequential/dense/.\*'. Make the patterns exclusive", id="two layouts"),
    pytest.param(["distribution=data_parallel", "distribution.cluster=slurm"], r"distribution.cluster=slurm: this process is not "
                 r"a task of a SLURM job step: .*Received: SLURM_STEP_NODELIST='', .*Start the processes with srun", id="slurm"),
])
def test_a_jax_distribution_that_cannot_start_is_one_clear_error(tmp_path, overrides, expected):
    """What needs JAX's devices, the built model or the process's environment: checked in a process of its
    own (Keras loads one backend per process)."""
    import re

    env = {name: "" for name in ("SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NTASKS", "SLURM_PROCID")}  # even inside SLURM
    out = run_cli("backend=jax", *overrides, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 2, out.stderr[-3000:]
    assert re.search(r"^Error: " + expected, out.stderr, re.MULTILINE), out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # starts a Python process with JAX
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_model_parallel_in_one_of_several_processes_is_one_clear_error(tmp_path):
    env = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "127.0.0.1:9", "SLURM_NTASKS": "", "SLURM_STEP_NUM_TASKS": ""}
    out = run_cli("backend=jax", *_MODEL_PARALLEL, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 2, out.stderr[-3000:]
    assert out.stderr.startswith(
        "Error: distribution=model_parallel runs in one process, but this one is one of several "
        "(KERAS_DISTRIBUTION_JOB_ADDRESSES='127.0.0.1:9', SLURM tasks: 1). Train across processes with distribution=data_parallel"
    ), out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()
