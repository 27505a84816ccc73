"""Read the digits a segmentation found: one batched forward pass, and the number as text.

Shared by the Draw tab and `digitpad predict`, so both say "20?6" the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.inference import Predictor
from digitpad.segment import FoundDigit

NOT_SURE_MARK = "?"
"""Stands for a digit whose top probability is under the confidence threshold."""


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number as read: its 28×28 image, its box (x, y, width, height, canvas
    px) and the network's ten probabilities."""

    image: np.ndarray
    box: tuple[int, int, int, int]
    probabilities: np.ndarray

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())


def read_digits(digits: Sequence[FoundDigit], predictor: Predictor) -> list[DigitReading]:
    """Each found digit with the network's probabilities (one forward pass for all)."""
    if not digits:
        return []
    probabilities = predictor.predict_proba(np.stack([d.image for d in digits]))
    return [DigitReading(d.image, d.box, p) for d, p in zip(digits, probabilities, strict=True)]


def number_text(readings: Sequence[DigitReading], threshold: float = 0.0) -> str:
    """The number read, left to right; a digit under `threshold` shows as "?" ("20?6")."""
    return "".join(str(r.digit) if r.confidence >= threshold else NOT_SURE_MARK for r in readings)
