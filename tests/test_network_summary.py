"""The model summary: layers, shapes, parameter counts, as Keras counts them."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.config import PRESETS, TrainConfig
from digitpad.inference import Predictor, load_predictor
from digitpad.network_summary import (
    config_summary_text,
    summary_from_config,
    summary_from_predictor,
    summary_from_widths,
)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_parameter_count_equals_keras_count_params_for_every_preset(name):
    from digitpad.model import build_model

    config = PRESETS[name]
    model = build_model(config)
    summary = summary_from_config(config)
    assert summary.parameters == model.count_params()
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in summary.layers] == [d.units for d in dense]
    assert [layer.parameters for layer in summary.layers] == [d.count_params() for d in dense]


def test_one_line_for_the_best_network():
    summary = summary_from_config(PRESETS["best"])
    assert summary.one_line() == "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB"
    assert summary.widths == (784, 800, 800, 10)
    assert summary.bytes == 1_276_810 * 4


def test_tutorial_layers_in_json():
    summary = summary_from_config(TrainConfig())
    assert summary.layers_json() == [
        {"name": "hidden1", "units": 200, "activation": "relu", "parameters": 157_000},
        {"name": "logits", "units": 10, "activation": "softmax", "parameters": 2_010},
    ]
    assert summary.parameters == 159_010
    assert summary.one_line() == "784-200-10 ReLU: 159,010 parameters, 636 kB"


def test_summary_from_a_trained_model_reads_its_weights():
    predictor = load_predictor()
    summary = summary_from_predictor(predictor)
    expected = sum(k.size + b.size for k, b in predictor.layers)
    assert summary.parameters == expected
    assert summary.widths[0] == 784 and summary.widths[-1] == 10
    assert summary.one_line().startswith("784-800-800-10 ReLU: ")


def test_predictor_and_config_agree_on_a_tanh_network():
    rng = np.random.default_rng(0)
    layers = [
        (rng.standard_normal((784, 50), dtype=np.float32), np.zeros(50, np.float32)),
        (rng.standard_normal((50, 30), dtype=np.float32), np.zeros(30, np.float32)),
        (rng.standard_normal((30, 10), dtype=np.float32), np.zeros(10, np.float32)),
    ]
    from_predictor = summary_from_predictor(Predictor(layers, "tanh"))
    from_config = summary_from_config(TrainConfig(hidden=(50, 30), activation="tanh"))
    assert from_predictor == from_config
    assert from_config.one_line() == "784-50-30-10 tanh: 41,090 parameters, 164 kB"


def test_table_lists_every_layer_and_the_total():
    text = summary_from_config(PRESETS["best"].replace(dropout=0.2)).table()
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["layer", "output"]
    assert any("hidden1 + dropout 0.2" in line and "628,000" in line for line in lines)
    assert any("hidden2" in line and "640,800" in line for line in lines)
    assert any(line.startswith("logits") and "8,010" in line for line in lines)
    assert lines[-1].startswith("total") and "1,276,810" in lines[-1]


def test_invalid_settings_give_a_reason_not_a_crash():
    assert config_summary_text(TrainConfig(hidden=(0,))).startswith("no network: hidden")
    assert config_summary_text(TrainConfig(hidden=(50,))).startswith("784-50-10 ReLU: 39,760")
    with pytest.raises(ValueError):
        summary_from_widths(())
