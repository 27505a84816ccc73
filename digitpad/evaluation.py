"""Test-set metrics from predicted probabilities: accuracy, per-class accuracy, the confusion
matrix and the mistakes. Pure NumPy, so the GUI can evaluate any stored model without
TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.data import CLASSES


@dataclass(frozen=True)
class Evaluation:
    """How a model did on labelled images.

    ``confusion[t, p]`` counts images of true digit ``t`` predicted as ``p``.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    accuracy: float
    loss: float
    per_class_accuracy: np.ndarray
    confusion: np.ndarray

    @property
    def mistakes(self) -> np.ndarray:
        """Indices of misclassified images, most confident mistake first."""
        wrong = np.flatnonzero(self.predicted != self.labels)
        return wrong[np.argsort(-self.confidence[wrong], kind="stable")]

    def metrics(self) -> dict:
        """JSON-ready metrics (no per-image arrays): what ``meta.json`` keeps as ``metrics``."""
        return {
            "test_accuracy": self.accuracy,
            "test_loss": self.loss,
            "per_class_accuracy": [round(float(a), 6) for a in self.per_class_accuracy],
            "confusion": self.confusion.tolist(),
            "mistakes": int(len(self.labels) - np.trace(self.confusion)),
        }


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Metrics for (N, 10) probabilities against (N,) integer labels."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    if probabilities.ndim != 2 or probabilities.shape != (len(labels), CLASSES):
        raise ValueError(f"probabilities must be ({len(labels)}, 10), not {probabilities.shape}")
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(labels)), predicted]
    confusion = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class_total = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(per_class_total > 0, np.diag(confusion) / per_class_total, np.nan)
    true_p = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.mean(np.log(np.clip(true_p, 1e-12, 1.0)))) if len(labels) else float("nan")
    accuracy = float(np.mean(predicted == labels)) if len(labels) else float("nan")
    return Evaluation(
        labels=labels,
        probabilities=probabilities,
        predicted=predicted,
        confidence=confidence,
        accuracy=accuracy,
        loss=loss,
        per_class_accuracy=per_class,
        confusion=confusion,
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class ClassScore:
    """How a model does on one digit.

    ``recall`` (the digit's accuracy) is the share of the ``support`` images of this digit read
    as it; ``precision`` the share of the ``answered`` images read as this digit that really
    are it. Either is NaN when there is nothing to divide by.
    """

    digit: int
    support: int
    answered: int
    correct: int
    recall: float
    precision: float

    @property
    def worst(self) -> float:
        """The weaker of recall and precision (NaN only when both are undefined)."""
        defined = [v for v in (self.recall, self.precision) if not np.isnan(v)]
        return min(defined) if defined else float("nan")


def class_scores(confusion: np.ndarray) -> list[ClassScore]:
    """Each digit's recall and precision from a (k, k) confusion matrix ``[true, predicted]``,
    worst first.

    Worst means the lowest of a digit's two scores, then the lower recall, then the digit; a
    digit with neither score defined (no images and never predicted) comes last.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"a confusion matrix must be square, not {confusion.shape}")
    if confusion.size and (confusion < 0).any():
        raise ValueError("a confusion matrix cannot hold negative counts")
    correct = np.diag(confusion)
    support = confusion.sum(axis=1)
    answered = confusion.sum(axis=0)
    scores = [
        ClassScore(
            digit=digit,
            support=int(support[digit]),
            answered=int(answered[digit]),
            correct=int(correct[digit]),
            recall=float(correct[digit] / support[digit]) if support[digit] else float("nan"),
            precision=float(correct[digit] / answered[digit]) if answered[digit] else float("nan"),
        )
        for digit in range(len(confusion))
    ]

    def order(score: ClassScore) -> tuple[bool, float, float, int]:
        recall = 2.0 if np.isnan(score.recall) else score.recall
        return (bool(np.isnan(score.worst)), score.worst, recall, score.digit)

    return sorted(scores, key=order)
