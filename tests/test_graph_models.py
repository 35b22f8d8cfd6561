"""model=graph: functional models from layer specs with ids and inputs, checked before any TensorFlow work."""

import numpy as np
import pytest
from helpers.runs import run_in

from framework.config import compose
from framework.config.plan import plan_run
from framework.errors import ConfigError, UnknownComponentError

RESIDUAL = [
    {"name": "dense", "units": 16, "activation": "tanh", "id": "h"},
    {"name": "dense", "units": 16, "activation": "tanh", "id": "h2"},
    {"name": "add", "inputs": ["h", "h2"]},
    {"name": "dense", "units": 1},
]
FAST = ("data=sine", "data.num_examples=64", "verbose=0", "logger=none", "plots=false")


def _plan(layers, model="graph"):
    cfg = compose([f"model={model}"])
    cfg.model.layers = layers
    return plan_run(cfg)


def _with_layers(layers):
    return "model.layers=[" + ", ".join("{" + ", ".join(f"{k}: {v}" for k, v in spec.items()) + "}" for spec in layers) + "]"


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_residual_block_trains_and_is_drawn_in_the_model_summary(tmp_path, strategy):
    from framework.saving import load_model

    result = run_in(tmp_path / "run", "model=graph", *FAST, "epochs=20", "optimizer.learning_rate=0.05", f"strategy={strategy}")
    first = run_in(tmp_path / "first", "model=graph", *FAST, "epochs=1", "optimizer.learning_rate=0.05", f"strategy={strategy}")
    assert result.metrics["loss"] < 0.5 * first.metrics["loss"]
    assert result.parameters["trainable"] == (16 + 16) + (16 * 16 + 16) + (16 + 1)
    summary = (tmp_path / "run" / "model_summary.txt").read_text()
    assert "Connected to" in summary and "h (Dense)" in summary and "h[0][0], h2[0][0]" in summary
    model = load_model(tmp_path / "run")  # the saved functional model reloads in safe mode
    x = np.linspace(-1, 1, 5, dtype=np.float32).reshape(-1, 1)
    h = np.tanh(x @ model.get_layer("h").kernel.numpy() + model.get_layer("h").bias.numpy())
    h2 = np.tanh(h @ model.get_layer("h2").kernel.numpy() + model.get_layer("h2").bias.numpy())
    head = model.layers[-1]
    np.testing.assert_allclose(model.predict(x, verbose=0), (h + h2) @ head.kernel.numpy() + head.bias.numpy(), rtol=1e-5, atol=1e-6)


def test_the_default_graph_option_is_the_residual_block(compose_config):
    assert compose_config("model=graph").model.layers == RESIDUAL


@pytest.mark.parametrize("layers, message", [
    ([{"name": "dense", "units": 4, "id": "h"}, {"name": "add", "inputs": ["h", "hh"]}, {"name": "dense", "units": 1}],
     r"model.layers\[1\].inputs: no layer has the id 'hh'. The ids: input, h. Did you mean 'h'\?"),
    ([{"name": "dense", "units": 4, "id": "h"}, {"name": "dense", "units": 4, "id": "h"}, {"name": "dense", "units": 1}],
     r"model.layers\[1\].id='h': another spec has this id already"),
    ([{"name": "dense", "units": 4, "id": "a", "inputs": ["b"]}, {"name": "dense", "units": 4, "id": "b", "inputs": ["a"]},
      {"name": "add", "inputs": ["a", "b"]}],
     r"model.layers: these layers take each other's outputs in a cycle: (a -> b -> a|b -> a -> b)"),
    ([{"name": "dense", "units": 4}, {"name": "add"}, {"name": "dense", "units": 1}],
     r"model.layers\[1\]: 'add' merges several inputs but takes only '#0'. List the layers it combines"),
    ([{"name": "dense", "units": 4, "id": "a"}, {"name": "dense", "units": 1, "inputs": ["a", "input"]}],
     r"model.layers\[1\]: layer 'dense' takes one input, but inputs lists 2. Combine them first with a merge layer"),
    ([{"name": "dense", "units": 4, "id": "side"}, {"name": "dense", "units": 1, "inputs": ["input"]}],
     r"model.layers\[0\]: the output of this layer \(id side\) is taken by no layer and is not the model's output"),
    ([{"name": "dense", "units": 1, "id": "input"}], r"model.layers\[0\].id='input': an id is a name like h1"),
    ([{"name": "dense", "units": 1, "inputs": "nope"}], r"model.layers\[0\].inputs: no layer has the id 'nope'"),
])
def test_a_graph_that_cannot_be_built_is_refused_before_tensorflow_works(layers, message):
    with pytest.raises(ConfigError, match=message):
        _plan(layers)


def test_every_layer_problem_is_reported_at_once_nested_specs_included():
    layers = [
        {"name": "reshape", "target_shape": [1, 1]},
        {"name": "bidirectional", "layer": {"name": "lstm", "unit": 4}},
        {"name": "dense", "units": 1, "activation": "rellu"},
    ]
    with pytest.raises(ConfigError) as raised:
        _plan(layers)
    assert "model.layers[1].layer.unit: layer 'lstm' takes no argument 'unit'. Did you mean units?" in str(raised.value)
    assert "model.layers[2].activation='rellu'" in str(raised.value)


def test_no_callables_a_lambda_is_no_layer():
    with pytest.raises(UnknownComponentError, match=r"model.layers\[0\].name: unknown layer 'lambda'.*Merge layers \(several inputs\): add, average, concatenate"):
        _plan([{"name": "lambda", "function": "os.system"}, {"name": "dense", "units": 1}])


def test_a_stack_refuses_a_merge_layer_and_points_to_graph():
    with pytest.raises(ConfigError, match=r"model.layers\[1\].name: 'concatenate' merges several inputs, but a stack of layers gives each layer one. Use model=graph"):
        _plan([{"name": "dense", "units": 4}, {"name": "concatenate"}], model="sequential")


def test_shapes_that_do_not_fit_name_the_spec_and_the_shapes(tmp_path):
    layers = [{"name": "dense", "units": 16, "id": "h"}, {"name": "dense", "units": 8, "id": "h2"}, {"name": "add", "inputs": ["h", "h2"]}, {"name": "dense", "units": 1}]
    with pytest.raises(ConfigError, match=r"model.layers\[2\]: layer 'add' cannot take the outputs of h \(None, 16\), h2 \(None, 8\) \(the batch axis first\): .*Change the layers' sizes"):
        run_in(tmp_path / "run", "model=graph", *FAST, "epochs=1", _with_layers(layers))


def test_wrappers_take_nested_specs_in_graphs_and_stacks(tmp_path):
    from framework.saving import load_model

    bidirectional = [
        {"name": "reshape", "target_shape": "[1, 1]"},
        {"name": "bidirectional", "layer": "{name: lstm, units: 3}", "id": "both_ways"},
        {"name": "dense", "units": 1},
    ]
    graph = run_in(tmp_path / "graph", "model=graph", *FAST, "epochs=1", _with_layers(bidirectional))
    assert "both_ways (Bidirectional)" in (tmp_path / "graph" / "model_summary.txt").read_text()
    assert graph.parameters["trainable"] == 2 * 4 * (3 * (1 + 3 + 1)) + (6 + 1)  # two LSTMs of 3 units, then dense
    stack = [{"name": "reshape", "target_shape": "[1, 1]"}, {"name": "time_distributed", "layer": "{name: dense, units: 4}"},
             {"name": "flatten"}, {"name": "dense", "units": 1}]
    run_in(tmp_path / "stack", "model=sequential", *FAST, "epochs=1", _with_layers(stack))
    assert isinstance(load_model(tmp_path / "stack").layers[1].layer, __import__("keras").layers.Dense)


def test_ids_name_layers_so_fine_tuning_can_swap_the_head(tmp_path):
    body = [{"name": "dense", "units": 8, "activation": "tanh", "id": "body"}]
    trained = run_in(tmp_path / "trained", "model=graph", *FAST, "epochs=2", _with_layers([*body, {"name": "dense", "units": 1, "id": "head"}]))
    tuned = run_in(tmp_path / "tuned", "model=graph", *FAST, "epochs=1", f"init_from={trained.run_dir}", "freeze=[body]",
                   _with_layers([*body, {"name": "dense", "units": 1, "id": "new_head"}]))
    assert tuned.init_from["loaded"] == ["body"] and tuned.init_from["new"] == ["new_head"] and tuned.init_from["unused"] == ["head"]
