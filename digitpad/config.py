"""Training settings: one dataclass, the tutorials' presets as data, and validation.

The fields cover the classic TensorFlow MNIST tutorial (784-200-10 ReLU, Adam 1e-3, batch 100,
10 epochs) and its exercises: other widths and depths, tanh/sigmoid, MSE loss, dropout, L2,
SGD with or without momentum, per-epoch learning-rate decay, and augmentation for drawings.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from digitpad.errors import ConfigError

ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("truncated_normal", "glorot", "he")
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("adam", "sgd", "momentum")

MAX_WIDTH = 8192
MAX_LAYERS = 8
MAX_EPOCHS = 1000
MAX_BATCH = 55_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a model is built and trained."""

    hidden: tuple[int, ...] = (200,)
    activation: str = "relu"
    dropout: float = 0.0
    l2: float = 0.0
    init: str = "truncated_normal"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9
    lr_decay: float = 1.0
    batch_size: int = 100
    epochs: int = 10
    seed: int = 0
    augment: bool = False
    validate_every: int = 0

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (not validated)."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> TrainConfig:
        """Return ``self`` if every field is valid, else raise :class:`ConfigError` naming it."""
        _check_hidden(self.hidden)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("init", self.init, INITS)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_number("dropout", self.dropout, low=0.0, high=1.0, high_open=True)
        _check_number("l2", self.l2, low=0.0, high=1.0)
        _check_number("learning_rate", self.learning_rate, low=0.0, high=100.0, low_open=True)
        _check_number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _check_number("lr_decay", self.lr_decay, low=0.0, high=1.0, low_open=True)
        _check_int("batch_size", self.batch_size, low=1, high=MAX_BATCH)
        _check_int("epochs", self.epochs, low=1, high=MAX_EPOCHS)
        _check_int("seed", self.seed, low=0, high=2**31 - 1)
        _check_int("validate_every", self.validate_every, low=0, high=10**9)
        if not isinstance(self.augment, bool):
            raise ConfigError("augment", f"must be true or false, not {self.augment!r}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (``hidden`` as a list)."""
        values = {f.name: getattr(self, f.name) for f in _public_fields()}
        values["hidden"] = list(self.hidden)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """A config from :meth:`to_dict`'s output; unknown keys are an error. Validated."""
        known = {f.name for f in _public_fields()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting (known: {', '.join(sorted(known))})")
        values = dict(values)
        if "hidden" in values:
            values["hidden"] = parse_hidden(values["hidden"])
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


FIELD_HELP = {
    "hidden": "hidden layer widths, e.g. 200 or 50,30",
    "activation": "hidden activation: " + ", ".join(ACTIVATIONS),
    "dropout": "dropout rate after each hidden layer, in [0, 1)",
    "l2": "L2 weight decay on the weights",
    "init": "weight init: truncated_normal (stddev 0.01, as the tutorial), glorot or he",
    "loss": "cross_entropy (softmax) or mse (on the softmax outputs)",
    "optimizer": "adam, sgd, or momentum (SGD with momentum)",
    "learning_rate": "step size, > 0",
    "momentum": "momentum for the momentum optimizer, in [0, 1)",
    "lr_decay": "multiply the learning rate by this after each epoch, in (0, 1]",
    "batch_size": "images per training step",
    "epochs": "passes over the 55,000 training images",
    "seed": "random seed: same seed, same result",
    "augment": "each epoch, small random shifts, rotations, scaling, shear, elastic distortion "
    "and bolder or thinner strokes",
    "validate_every": "also validate every N steps (0: once per epoch)",
}

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
    if isinstance(value, str):
        if re.search(r"(^|[,\s])-", value.strip()):  # "-5" is a negative width, not "5"
            raise ConfigError("hidden", f"{value!r}: widths must be positive")
        parts = [p for p in value.replace("-", ",").replace(" ", ",").split(",") if p]
        try:
            value = [int(p) for p in parts]
        except ValueError:
            raise ConfigError("hidden", f"{value!r} is not a list of whole numbers") from None
    try:
        widths = tuple(value)
    except TypeError:
        raise ConfigError("hidden", f"{value!r} is not a list of widths") from None
    return widths


def _public_fields() -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(TrainConfig)


def _check_hidden(hidden: Any) -> None:
    if not isinstance(hidden, tuple) or not hidden:
        raise ConfigError("hidden", "needs at least one hidden layer width")
    if len(hidden) > MAX_LAYERS:
        raise ConfigError("hidden", f"at most {MAX_LAYERS} hidden layers, not {len(hidden)}")
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int):
            raise ConfigError("hidden", f"width {width!r} is not a whole number")
        if not 1 <= width <= MAX_WIDTH:
            raise ConfigError("hidden", f"width {width} must be between 1 and {MAX_WIDTH}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(name, f"unknown value {value!r} (choose {', '.join(choices)})")


def _check_number(
    name: str,
    value: Any,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(name, f"{value!r} is not a number")
    if not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, not {value}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ConfigError(name, f"{value:g} is outside {left}{low:g}, {high:g}{right}")


def _check_int(name: str, value: Any, *, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"{value!r} is not a whole number")
    if not low <= value <= high:
        raise ConfigError(name, f"{value} must be between {low} and {high}")
