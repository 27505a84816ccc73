"""What a run was: every setting of a config that differs from its preset, in words.

An MSE run must not read like a cross-entropy one. The log header, the Inside page's caption,
the status bar and Open model all describe a run with :func:`describe_run`; the settings come
from the config's own dataclass fields, so a field added to :class:`TrainConfig` is described
without an edit here (a label below only makes it read better).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from digitpad.config import PRESETS, TrainConfig

LABELS = {
    "hidden": "hidden layers",
    "activation": "activation",
    "dropout": "dropout",
    "l2": "L2",
    "init": "init",
    "loss": "loss",
    "optimizer": "optimizer",
    "learning_rate": "lr",
    "momentum": "momentum",
    "lr_decay": "lr decay/epoch",
    "batch_size": "batch",
    "epochs": "epochs",
    "seed": "seed",
    "augment": "augment",
    "validate_every": "validate every",
}


def differences(config: TrainConfig, base: TrainConfig | None = None) -> list[tuple[str, str]]:
    """(setting, value) for each setting of ``config`` that differs from ``base`` (the
    defaults if None), in the config's field order. Momentum counts only for the momentum
    optimizer, where it is used."""
    base = base if base is not None else TrainConfig()
    out = []
    for field in dataclasses.fields(config):
        if field.name.startswith("_"):
            continue
        value, reference = getattr(config, field.name), getattr(base, field.name, None)
        if field.name == "momentum" and getattr(config, "optimizer", None) != "momentum":
            continue
        if value != reference:
            out.append((field.name, format_value(value)))
    return out


def nearest_preset(config: TrainConfig) -> str:
    """The name of the preset from which ``config`` differs in the fewest settings (the first
    such preset in PRESETS's order on a tie)."""
    return min(PRESETS, key=lambda name: len(differences(config, PRESETS[name])))


def describe_run(config: TrainConfig, preset: str | None = None) -> str:
    """``"tutorial preset"`` or ``"tutorial preset with loss mse, lr 0.5, optimizer sgd"``:
    ``config`` against ``preset`` (by name; the nearest one if None or unknown)."""
    name = preset if preset in PRESETS else nearest_preset(config)
    changes = differences(config, PRESETS[name])
    if not changes:
        return f"{name} preset"
    listed = ", ".join(f"{label(key)} {value}" for key, value in changes)
    return f"{name} preset with {listed}"


def label(setting: str) -> str:
    """A setting's short name in a description (its field name, spaced, if not listed)."""
    return LABELS.get(setting, setting.replace("_", " "))


def format_value(value: Any) -> str:
    """A setting's value as a description shows it: ``50-30``, ``on``, ``0.0001``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        return "-".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
