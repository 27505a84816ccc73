"""Training settings: one dataclass whose fields say everything about themselves, the tutorials'
presets as data, and validation.

The fields cover the classic TensorFlow MNIST tutorial (784-200-10 ReLU, Adam 1e-3, batch 100,
10 epochs) and its exercises: other widths and depths, tanh/sigmoid, MSE loss, dropout, L2,
SGD with or without momentum, per-epoch learning-rate decay, and augmentation for drawings.

Each field is declared once, with :func:`~digitpad.setting.setting`: its type, default,
limits, choices, help, form label and CLI spelling. :data:`SETTINGS` collects those
declarations; validation, the ``digitpad train`` flags (``cli.py``) and the Train tab's editors
(``gui/config_form.py``) are all built from it, so a new hyperparameter is one new field here.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from digitpad.errors import ConfigError
from digitpad.setting import Setting, parse_widths, setting

MAX_WIDTH = 8192
MAX_LAYERS = 8
MAX_EPOCHS = 1000
MAX_BATCH = 55_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a model is built and trained."""

    hidden: tuple[int, ...] = setting(
        (200,), "Hidden layers", "hidden layer widths, e.g. 200 or 50,30",
        low=1, high=MAX_WIDTH, max_items=MAX_LAYERS, hint="e.g. 200 or 50,30",
    )  # fmt: skip
    activation: str = setting(
        "relu", "Activation", "hidden activation",
        choices={"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"},
    )  # fmt: skip
    init: str = setting(
        "truncated_normal", "Weight init",
        "weight init: truncated_normal has the tutorial's stddev 0.01",
        choices={
            "truncated_normal": "truncated normal (σ 0.01)",
            "glorot": "Glorot uniform",
            "he": "He normal",
        },
    )  # fmt: skip
    dropout: float = setting(
        0.0, "Dropout", "dropout rate after each hidden layer",
        low=0.0, high=1.0, high_open=True, step=0.05,
    )  # fmt: skip
    loss: str = setting(
        "cross_entropy", "Loss", "loss: softmax cross-entropy, or mse on the softmax outputs",
        choices={"cross_entropy": "softmax cross-entropy", "mse": "mean squared error"},
    )  # fmt: skip
    optimizer: str = setting(
        "adam", "Optimizer", "optimizer: momentum is SGD with momentum",
        choices={"adam": "Adam", "sgd": "SGD", "momentum": "SGD with momentum"},
    )  # fmt: skip
    learning_rate: float = setting(
        1e-3, "Learning rate", "step size; 1e-4 and 0.0001 both work",
        flags=("--lr", "--learning-rate"), low=0.0, high=100.0, low_open=True,
        step=0.001, adaptive_step=True,
    )  # fmt: skip
    momentum: float = setting(
        0.9, "Momentum", "momentum for the momentum optimizer",
        low=0.0, high=1.0, high_open=True, step=0.05, used_when=("optimizer", "momentum"),
    )  # fmt: skip
    lr_decay: float = setting(
        1.0, "LR decay / epoch", "multiply the learning rate by this after each epoch",
        low=0.0, high=1.0, low_open=True, step=0.05,
    )  # fmt: skip
    l2: float = setting(
        0.0, "L2 penalty", "L2 weight decay on the weights",
        low=0.0, high=1.0, step=0.0001, adaptive_step=True,
    )  # fmt: skip
    batch_size: int = setting(
        100, "Batch size", "images per training step", low=1, high=MAX_BATCH,
    )  # fmt: skip
    epochs: int = setting(
        10, "Epochs", "passes over the 55,000 training images", low=1, high=MAX_EPOCHS,
    )  # fmt: skip
    seed: int = setting(
        0, "Seed", "random seed: same seed, same result", low=0, high=2**31 - 1,
    )  # fmt: skip
    augment: bool = setting(
        False, "Augment",
        "each epoch, small random shifts, rotations, scaling, shear, elastic distortion "
        "and bolder or thinner strokes",
        hint="distort the training images each epoch",
    )  # fmt: skip
    validate_every: int = setting(
        0, "Validate every", "also validate every N steps (0: once per epoch)",
        low=0, high=10**9, unit="steps (0: each epoch)",
    )  # fmt: skip

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (not validated)."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> TrainConfig:
        """Return ``self`` if every field is valid, else raise :class:`ConfigError` naming it."""
        for spec in SETTINGS.values():
            spec.check(getattr(self, spec.name))
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (``hidden`` as a list)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in ((name, getattr(self, name)) for name in SETTINGS)
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """A config from :meth:`to_dict`'s output; unknown keys are an error. Validated."""
        unknown = sorted(set(values) - set(SETTINGS))
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting (known: {', '.join(sorted(SETTINGS))})")
        values = dict(values)
        for name in values:
            if SETTINGS[name].kind is tuple:
                try:
                    values[name] = parse_hidden(values[name])
                except ConfigError as exc:
                    raise SETTINGS[name].error(exc.reason) from None
        return cls(**values).validate()

    def describe(self) -> str:
        """A short human summary such as ``784-200-10 relu, adam lr 0.001, batch 100, 10 ep``."""
        layers = "-".join(str(n) for n in (784, *self.hidden, 10))
        extras = [f"dropout {self.dropout:g}"] if self.dropout else []
        extras += [f"l2 {self.l2:g}"] if self.l2 else []
        extras += ["augmented"] if self.augment else []
        text = (
            f"{layers} {self.activation}, {self.optimizer} lr {self.learning_rate:g}, "
            f"batch {self.batch_size}, {self.epochs} epochs"
        )
        return ", ".join([text, *extras])


def _settings() -> dict[str, Setting]:
    kinds = typing.get_type_hints(TrainConfig)
    specs = {}
    for field in dataclasses.fields(TrainConfig):
        kind = typing.get_origin(kinds[field.name]) or kinds[field.name]
        specs[field.name] = dataclasses.replace(
            field.metadata["setting"], name=field.name, kind=kind, default=field.default
        )
    return specs


SETTINGS: dict[str, Setting] = _settings()
"""Every field's :class:`Setting`, in declaration order (the form's and ``--help``'s order)."""

FIELD_HELP = {name: spec.help_text for name, spec in SETTINGS.items()}
ACTIVATIONS = tuple(SETTINGS["activation"].choices)
INITS = tuple(SETTINGS["init"].choices)
LOSSES = tuple(SETTINGS["loss"].choices)
OPTIMIZERS = tuple(SETTINGS["optimizer"].choices)

_BEST = TrainConfig(
    hidden=(800, 800),
    dropout=0.2,
    init="he",
    learning_rate=1e-3,
    lr_decay=0.85,
    batch_size=128,
    epochs=20,
    augment=True,
)

PRESETS: dict[str, TrainConfig] = {
    # The classic tutorial: 784-200-10 ReLU, softmax cross-entropy, Adam 1e-3, batch 100.
    "tutorial": TrainConfig(),
    # The SGD tutorial: one wider layer and a large plain-SGD step.
    "sgd": TrainConfig(hidden=(300,), optimizer="sgd", learning_rate=0.5),
    # Two hidden layers with plain SGD. Glorot init: the tutorial's 0.01 weights shrink the signal
    # through each layer, and this net then learns slower (96.6% against 96.9% after 10 epochs).
    "two-hidden": TrainConfig(hidden=(50, 30), optimizer="sgd", learning_rate=0.1, init="glorot"),
    # The strongest MLP that trains here in under 3 minutes; see README for its figures.
    "best": _BEST,
    # The bundled default model's recipe: `best` trained longer with a slower decay, which
    # reads drawn digits better (see README's "Reading drawn digits"); about 2.5 minutes here.
    "drawings": _BEST.replace(epochs=35, lr_decay=0.9),
}


def preset(name: str) -> TrainConfig:
    """The named preset; :class:`ConfigError` for an unknown name."""
    if name not in PRESETS:
        raise ConfigError("preset", f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return PRESETS[name]


def parse_hidden(value: Any) -> tuple[int, ...]:
    """Hidden widths from ``"200"``, ``"50,30"``, ``"50-30"`` or a sequence of ints."""
    return parse_widths(value, "hidden")
