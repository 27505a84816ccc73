"""How sure: the confidence threshold as the app shows it, and coverage against accuracy.

A classifier that answers only when its top probability meets a threshold answers fewer images
and gets more of them right; :func:`coverage_curve` gives that trade-off, and
:func:`meets_threshold` is the one rule every view uses to decide "sure enough" (compared to
0.1 %, as the numbers are shown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def shown_tenths(probability: float | np.ndarray) -> float | np.ndarray:
    """A probability in tenths of a percent, rounded as shown ("95.0 %" is 950); exact halves
    round up. Monotone, so a threshold on it is a threshold on the probability."""
    return np.floor(np.asarray(probability, dtype=np.float64) * 1000.0 + 0.5)


def meets_threshold(probability: float, threshold: float) -> bool:
    """Whether a top probability is sure enough to answer at ``threshold``, compared as the
    app shows both (to 0.1 %): a mistake labelled "95.0 %" is answered at a 95.0 % threshold
    even when its probability is 0.94996. A threshold of 0 (or less) answers everything."""
    if threshold <= 0:
        return True
    return bool(shown_tenths(probability) >= shown_tenths(threshold))


@dataclass(frozen=True)
class Coverage:
    """At one confidence threshold: how many of ``total`` images get an answer, and how many of
    those answers are right; ``mistakes`` is how many the model gets wrong with no threshold."""

    threshold: float
    answered: int
    right: int
    total: int
    mistakes: int

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else math.nan

    @property
    def accuracy(self) -> float:
        """Accuracy among the answered images (NaN when none is answered)."""
        return self.right / self.answered if self.answered else math.nan

    @property
    def withheld_mistakes(self) -> int:
        """Mistakes the threshold turns into "not sure" instead of a wrong answer."""
        return self.mistakes - (self.answered - self.right)


@dataclass(frozen=True)
class CoverageCurve:
    """Coverage and accuracy of a classifier that answers only when its confidence is at least
    a threshold. ``thresholds``, ``answered`` and ``right`` sample the curve for plotting;
    :meth:`at` gives the exact figures for any threshold."""

    thresholds: np.ndarray
    answered: np.ndarray
    right: np.ndarray
    total: int
    mistakes: int
    _sorted: np.ndarray
    _right_from: np.ndarray

    @property
    def coverage(self) -> np.ndarray:
        return self.answered / max(self.total, 1)

    @property
    def accuracy(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.answered > 0, self.right / np.maximum(self.answered, 1), np.nan)

    def at(self, threshold: float) -> Coverage:
        """Exact counts for images whose confidence meets ``threshold`` as the app shows both
        (:func:`meets_threshold`)."""
        if threshold <= 0:
            first = 0
        else:
            tenths = shown_tenths(self._sorted)
            first = int(np.searchsorted(tenths, shown_tenths(threshold), side="left"))
        answered = self.total - first
        return Coverage(
            float(threshold), answered, int(self._right_from[first]), self.total, self.mistakes
        )


def coverage_curve(
    confidence: np.ndarray, correct: np.ndarray, thresholds: np.ndarray | None = None
) -> CoverageCurve:
    """The coverage/accuracy trade-off for (N,) top-class ``confidence`` and (N,) bool
    ``correct``; sampled at ``thresholds`` (default 0, 0.01, …, 1)."""
    confidence = np.asarray(confidence, dtype=np.float32).ravel()
    correct = np.asarray(correct, dtype=bool).ravel()
    if confidence.shape != correct.shape:
        raise ValueError(f"{confidence.shape} confidences but {correct.shape} outcomes")
    order = np.argsort(confidence, kind="stable")
    ordered = confidence[order]
    # right_from[i]: right answers among the images from sorted position i up (the confident end).
    right_from = np.zeros(len(ordered) + 1, dtype=np.int64)
    right_from[:-1] = np.cumsum(correct[order][::-1])[::-1]
    if thresholds is None:
        thresholds = np.linspace(0.0, 1.0, 101)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    first = np.searchsorted(ordered, thresholds.astype(np.float32), side="left")
    return CoverageCurve(
        thresholds=thresholds,
        answered=len(ordered) - first,
        right=right_from[first],
        total=len(ordered),
        mistakes=int(len(ordered) - correct.sum()),
        _sorted=ordered,
        _right_from=right_from,
    )
