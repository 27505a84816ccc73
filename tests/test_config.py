import math

import pytest

from digitpad.config import PRESETS, TrainConfig, parse_hidden, preset
from digitpad.errors import ConfigError


def test_presets_are_valid_and_match_the_tutorials():
    for config in PRESETS.values():
        config.validate()
    tutorial = preset("tutorial")
    assert (tutorial.hidden, tutorial.activation, tutorial.optimizer) == ((200,), "relu", "adam")
    assert (tutorial.learning_rate, tutorial.batch_size, tutorial.epochs) == (1e-3, 100, 10)
    assert preset("sgd").hidden == (300,) and preset("sgd").learning_rate == 0.5
    assert preset("two-hidden").hidden == (50, 30) and preset("two-hidden").optimizer == "sgd"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("learning_rate", 0.0, "outside"),
        ("learning_rate", -0.1, "outside"),
        ("learning_rate", math.nan, "finite"),
        ("learning_rate", "fast", "not a number"),
        ("epochs", 0, "between"),
        ("epochs", 2.5, "whole number"),
        ("batch_size", -1, "between"),
        ("hidden", (), "at least one"),
        ("hidden", (200, 0), "between"),
        ("hidden", (-5,), "between"),
        ("dropout", 1.0, "outside"),
        ("dropout", -0.1, "outside"),
        ("activation", "swish", "unknown value"),
        ("optimizer", "rmsprop", "unknown value"),
        ("loss", "hinge", "unknown value"),
        ("init", "zeros", "unknown value"),
        ("lr_decay", 0.0, "outside"),
        ("momentum", 1.0, "outside"),
        ("l2", math.inf, "finite"),
        ("seed", -1, "between"),
        ("augment", "yes", "true or false"),
    ],
)
def test_invalid_values_name_their_field(field, value, words):
    with pytest.raises(ConfigError) as info:
        TrainConfig().replace(**{field: value}).validate()
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(f"{field}: ")


def test_unknown_preset_and_setting():
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        preset("huge")
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"epochs": 3, "colour": "red"})
    assert info.value.field == "colour"


def test_dict_round_trip():
    config = PRESETS["best"]
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("text", "widths"), [("200", (200,)), ("50,30", (50, 30)), ("50-30", (50, 30)), ([300], (300,))]
)
def test_parse_hidden(text, widths):
    assert parse_hidden(text) == widths


@pytest.mark.parametrize("text", ["two hundred", "-5", "50, -30", "1.5"])
def test_parse_hidden_rejects_words_and_negatives(text):
    with pytest.raises(ConfigError, match="hidden"):
        parse_hidden(text)


def test_describe():
    assert TrainConfig().describe().startswith("784-200-10 relu, adam lr 0.001, batch 100")
