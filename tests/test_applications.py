"""model=application: Keras Applications backbones by name, with random or local weights and a head from config."""

import numpy as np
import pytest
from helpers.data_files import write_images
from helpers.runs import run_in

from framework.config import compose
from framework.config.plan import plan_run
from framework.errors import ConfigError

# Tiny images, resized to the 32x32 the applications take at least; two classes of different brightness.
IMAGES = ("data=images", "data.image_size=[32,32]", "data.batch_size=8", "data.val_fraction=0.25",
          "loss=sparse_categorical_crossentropy", "loss.from_logits=true", "metrics=[accuracy]",
          "logger=none", "verbose=0", "plots=false", "epochs=1")


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    return write_images(tmp_path_factory.mktemp("data") / "pets", per_class=6, size=(20, 20))


def _plan(*overrides):
    return plan_run(compose(["model=application", *overrides]))


@pytest.mark.parametrize("class_name, key", [
    ("ResNet50", "resnet50"), ("ResNet50V2", "resnet50_v2"), ("EfficientNetB0", "efficientnet_b0"),
    ("EfficientNetV2S", "efficientnet_v2_s"), ("MobileNetV3Small", "mobilenet_v3_small"), ("ConvNeXtTiny", "convnext_tiny"),
    ("ConvNeXtXLarge", "convnext_xlarge"), ("NASNetMobile", "nasnet_mobile"), ("InceptionResNetV2", "inception_resnet_v2"),
    ("DenseNet121", "densenet121"), ("VGG16", "vgg16"), ("Xception", "xception"),
])
def test_every_application_has_a_snake_case_key(class_name, key):
    import keras

    from framework.layers.application_preprocessing import applications

    assert applications()[key] is getattr(keras.applications, class_name)


def test_mobilenet_v3_small_with_random_weights_trains_on_an_image_folder(pets, tmp_path):
    from framework.saving import load_model

    result = run_in(tmp_path / "run", *IMAGES, f"data.path={pets}", "model=application",
                    "model.application=mobilenet_v3_small", "model.weights=null")
    assert result.epochs == 1 and np.isfinite(result.metrics["loss"])
    summary = (tmp_path / "run" / "model_summary.txt").read_text()
    assert "(ApplicationPreprocessing)" in summary and "MobileNetV3Small (Functional)" in summary
    assert "(None, 32, 32, 3)" in summary  # the input size is the data's
    model = load_model(tmp_path / "run")  # reloads in safe mode
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (2, 2)


@pytest.mark.slow
def test_a_local_weights_file_starts_the_backbone_and_freezing_it_keeps_them(pets, tmp_path):
    import keras

    from framework.saving import load_model

    backbone = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg")
    path = tmp_path / "backbone.weights.h5"
    backbone.save_weights(path)
    expected = backbone.get_weights()
    run_in(tmp_path / "run", *IMAGES, f"data.path={pets}", "model=application", f"model.weights={path}",
           "freeze=[MobileNetV3Small]")
    trained = load_model(tmp_path / "run").get_layer("MobileNetV3Small").get_weights()
    assert len(trained) == len(expected)
    for saved, loaded in zip(expected, trained):
        np.testing.assert_array_equal(saved, loaded)


@pytest.mark.parametrize("application, module", [("resnet50", "resnet"), ("mobilenet_v2", "mobilenet_v2"), ("densenet121", "densenet")])
def test_the_applications_own_preprocessing_is_a_layer_of_the_model(application, module):
    import importlib

    from framework.layers import ApplicationPreprocessing

    pixels = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    preprocess = importlib.import_module(f"keras.applications.{module}").preprocess_input
    layer = ApplicationPreprocessing(application)
    np.testing.assert_allclose(np.asarray(layer(pixels)), np.asarray(preprocess(pixels.copy())), rtol=1e-6)
    assert type(layer).from_config(layer.get_config()).application == application


@pytest.mark.parametrize("overrides, message", [
    (["model.application=mobilenet_v3_smal"], r"model.application='mobilenet_v3_smal': no Keras Applications model has this name. Did you mean 'mobilenet_v3_small'"),
    (["model.weights=imagenet"], r"model.weights='imagenet' would download the weights, which a run never does"),
    (["model.weights=/no/such/backbone.weights.h5"], r"model.weights: no weights file at /no/such/backbone.weights.h5"),
    (["model.include_top=true"], r"model.head: with model.include_top=true the application's own classifier is the head; set model.head=\[\]"),
    (["+model.arguments.input_shape=[8,8,3]"], r"model.arguments: input_shape are set by model.\* keys \(or the data\)"),
    (["+model.arguments.alpah=0.5"], r"model.arguments.alpah: application 'mobilenet_v3_small' takes no argument 'alpah'. Did you mean alpha\?"),
    (["model.head=[{name: dense, unit: 2}]"], r"model.head\[0\].unit: layer 'dense' takes no argument 'unit'"),
])
def test_a_bad_application_config_is_refused_before_tensorflow_works(overrides, message):
    with pytest.raises(ConfigError, match=message):
        _plan(*overrides)


def test_images_too_small_for_the_application_name_their_shape(pets, tmp_path):
    with pytest.raises(ConfigError, match=r"model.application=resnet50: Keras cannot build it for the data's images of shape \(16, 16, 3\)"):
        run_in(tmp_path / "run", *IMAGES, f"data.path={pets}", "data.image_size=[16,16]", "model=application",
               "model.application=resnet50", "model.include_top=true", "model.head=[]", "+model.arguments.classes=2")
