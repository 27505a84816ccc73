"""Which test images to show: filters over an :class:`~digitpad.evaluation.Evaluation`.

The Mistakes tab browses the test set by true digit, predicted digit and outcome; this is that
selection as plain NumPy, so it is tested without Qt and the view only displays the result.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from digitpad.evaluation import Evaluation


class Show(StrEnum):
    """Which outcomes to list."""

    MISTAKES = "mistakes"
    ALL = "all"
    CORRECT = "correct"


def select(
    evaluation: Evaluation,
    show: Show = Show.MISTAKES,
    true: int | None = None,
    predicted: int | None = None,
) -> np.ndarray:
    """Indices (int64) of the images with this outcome, true digit and predicted digit.

    ``None`` for a digit means any. Mistakes come most confident first, since a confident
    mistake is the most instructive; otherwise the test set's own order, which is what someone
    browsing all the 7s expects.
    """
    order = evaluation.mistakes if show is Show.MISTAKES else np.arange(len(evaluation.labels))
    labels = evaluation.labels[order]
    guesses = evaluation.predicted[order]
    keep = np.ones(len(order), dtype=bool)
    if show is Show.CORRECT:
        keep &= labels == guesses
    if true is not None:
        keep &= labels == true
    if predicted is not None:
        keep &= guesses == predicted
    return order[keep].astype(np.int64, copy=False)


def show_for_cell(true: int, predicted: int) -> Show:
    """The outcome a confusion-matrix cell holds: the diagonal is correct, the rest mistakes."""
    return Show.CORRECT if true == predicted else Show.MISTAKES


def summary(evaluation: Evaluation) -> str:
    """One line for people: accuracy and the number of mistakes."""
    total = len(evaluation.labels)
    mistakes = total - int(np.trace(evaluation.confusion))
    noun = "mistake" if mistakes == 1 else "mistakes"
    return f"Test accuracy {evaluation.accuracy:.2%}: {mistakes:,} {noun} in {total:,} test images"
