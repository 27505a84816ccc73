"""Run descriptions: every setting that differs from the preset, and nothing else."""

from __future__ import annotations

import dataclasses

import pytest

from digitpad.config import PRESETS, TrainConfig
from digitpad.run_description import describe_run, differences, nearest_preset


def test_a_preset_as_is_is_named_alone():
    for name, config in PRESETS.items():
        assert describe_run(config, name) == f"{name} preset"


def test_an_mse_run_does_not_read_like_a_cross_entropy_one():
    mse = PRESETS["tutorial"].replace(loss="mse", init="he", lr_decay=0.9)
    text = describe_run(mse, "tutorial")
    assert text.startswith("tutorial preset with ")
    assert "loss mse" in text and "init he" in text and "lr decay/epoch 0.9" in text
    assert describe_run(PRESETS["tutorial"], "tutorial") != text


def test_momentum_counts_only_where_it_is_used():
    sgd = PRESETS["sgd"]
    assert differences(sgd.replace(momentum=0.5), sgd) == []
    with_momentum = sgd.replace(optimizer="momentum", momentum=0.5)
    assert differences(with_momentum, sgd) == [("optimizer", "momentum"), ("momentum", "0.5")]


def test_every_field_is_described_when_changed():
    base = TrainConfig()
    changed = {
        "hidden": (50, 30),
        "activation": "tanh",
        "dropout": 0.2,
        "l2": 1e-4,
        "init": "he",
        "loss": "mse",
        "optimizer": "momentum",
        "learning_rate": 0.5,
        "momentum": 0.5,
        "lr_decay": 0.9,
        "batch_size": 32,
        "epochs": 3,
        "seed": 7,
        "augment": True,
        "validate_every": 100,
    }
    names = {f.name for f in dataclasses.fields(TrainConfig) if not f.name.startswith("_")}
    changed = {k: v for k, v in changed.items() if k in names}
    got = dict(differences(base.replace(**changed), base))
    assert set(got) == set(changed)
    assert got["hidden"] == "50-30" and got["augment"] == "on" and got["l2"] == "0.0001"


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_nearest_preset_of_a_preset_is_itself_or_identical(name):
    nearest = nearest_preset(PRESETS[name])
    assert differences(PRESETS[name], PRESETS[nearest]) == []


def test_without_a_preset_name_the_nearest_is_used():
    config = PRESETS["best"].replace(epochs=3)
    assert describe_run(config) == "best preset with epochs 3"
