"""What a training run reports: the events ``train()`` yields, and its outcome.

Plain frozen dataclasses of numbers, NumPy arrays and a :class:`TrainConfig`: cheap to import
(no TensorFlow), safe to hand to another thread, and picklable, so a view can import them
without the engine and a separate training process can send them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from digitpad.config import TrainConfig
from digitpad.evaluation import Evaluation

TRAIN_EVAL_IMAGES = 2_000
"""At each validation the model is also measured on this many training images, always the same
ones, unaugmented and in inference mode (no dropout): the same conditions as validation, so the
two are comparable on one axis (the per-chunk training values are not: they are measured with
dropout on, on augmented images, while the weights change)."""

DEAD_UNIT_IMAGES = 500
"""Dead ReLU units are counted on this many validation images, always the same ones: enough
that a unit silent on all of them is silent on nearly every digit, few enough that the count
costs an 800-800 network ~8 ms per snapshot."""

Layers = tuple[tuple[np.ndarray, np.ndarray], ...]
"""(kernel, bias) NumPy pairs of the Dense layers, input to output."""


class Outcome(StrEnum):
    """How a run ended. A ``StrEnum`` so that it reads and serialises as its plain word."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class Started:
    config: TrainConfig
    total_steps: int
    steps_per_epoch: int
    train_size: int


@dataclass(frozen=True)
class Progress:
    """After each chunk: the chunk's mean loss/accuracy as trained (dropout on, augmented
    images), and the epoch's running means (``*_avg``, reset at each epoch: for a progress
    line, not for a curve)."""

    step: int
    total_steps: int
    epoch: float
    loss: float
    accuracy: float
    loss_avg: float
    accuracy_avg: float
    samples_per_second: float
    eta_seconds: float
    learning_rate: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


@dataclass(frozen=True)
class Validated:
    """Loss and accuracy on the validation images, and (``train_*``) on a fixed subset of
    :data:`TRAIN_EVAL_IMAGES` training images measured the same way, at the same moment."""

    step: int
    epoch: float
    loss: float
    accuracy: float
    train_loss: float = float("nan")
    train_accuracy: float = float("nan")


@dataclass(frozen=True)
class EpochEnd:
    """An epoch's summary. ``loss`` and ``accuracy`` are its means as trained; the learning
    rate is given as used: at the epoch's first step, at its last, and the mean over its
    steps (they differ when the rate was changed during the epoch)."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float
    learning_rate_start: float = float("nan")
    learning_rate_mean: float = float("nan")

    @property
    def learning_rate_text(self) -> str:
        """``0.001`` when the rate held all epoch, else ``0.001→0.01 (mean 0.0022)``."""
        from digitpad.curves import learning_rate_text

        return learning_rate_text(
            self.learning_rate_start, self.learning_rate, self.learning_rate_mean
        )


@dataclass(frozen=True)
class LearningRateChanged:
    """A learning rate set through :meth:`TrainControl.set_learning_rate` took effect."""

    step: int
    epoch: float
    learning_rate: float


@dataclass(frozen=True)
class Snapshot:
    """The weights now and at initialisation, for someone watching the network learn.

    Yielded only when :attr:`TrainControl.snapshot_seconds` asks for it: at the start and then
    after a chunk, at most once per that many seconds of training. ``layers`` and ``initial``
    are NumPy copies that training never writes to, safe to read from any thread.
    ``dead_share`` is, per hidden layer, the share of ReLU units that do not fire on any of
    the same :data:`DEAD_UNIT_IMAGES` validation images (None for tanh and sigmoid, which
    have no dead units); ``saturated_share`` is, for tanh and sigmoid, the share of units
    pinned near a limit on those images (:func:`digitpad.unit_health.pinned_unit_share`; None for
    ReLU). ``seconds`` is the training clock (pauses excluded).
    """

    step: int
    epoch: float
    seconds: float
    layers: Layers
    initial: Layers
    dead_share: tuple[float, ...] | None
    saturated_share: tuple[float, ...] | None = None


@dataclass
class History:
    """The curves: per chunk the training loss and accuracy as trained (never a running mean,
    so nothing jumps at an epoch boundary); per validation the validation values and
    (``train_eval_*``) the fixed training subset's, measured the same way; the learning rate
    from each point where it changed. Histories saved before ``train_eval_*`` existed load with
    those lists empty."""

    epoch: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_epoch: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr_epoch: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    train_eval_loss: list[float] = field(default_factory=list)
    train_eval_accuracy: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return {name: [round(float(v), 6) for v in values] for name, values in vars(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> History:
        known = set(vars(cls()))
        return cls(**{k: list(v) for k, v in values.items() if k in known})


@dataclass(frozen=True)
class Finished:
    """The end of a run and how it ended (:class:`Outcome`).

    ``model`` is the Keras model (for a diverged run, with the last weights whose loss was
    finite) and ``evaluation`` its result on the 10,000 test images; both are None when the run
    was cancelled before its first step. ``weights_trained`` is False when the model holds the
    initial weights (a run that diverged at its first step): nothing worth saving.
    ``suggested_learning_rate`` is, for a diverged run, a rate likely to work (one tenth).
    """

    status: Outcome
    message: str
    config: TrainConfig
    model: Any
    history: History
    evaluation: Evaluation | None
    seconds: float
    steps: int
    initial: Layers | None = None
    """The weights at initialisation (kept anyway), for a before/after view of the run."""
    weights_trained: bool = False
    suggested_learning_rate: float | None = None
    dead_share: tuple[float, ...] | None = None
    """As :attr:`Snapshot.dead_share`, from the final weights (whether or not anyone watched)."""
    saturated_share: tuple[float, ...] | None = None
    """As :attr:`Snapshot.saturated_share`, from the final weights."""

    @property
    def ok(self) -> bool:
        return self.status is Outcome.COMPLETED


Event = Started | Progress | Validated | EpochEnd | Snapshot | LearningRateChanged | Finished
