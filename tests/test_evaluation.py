"""Per-class scores from a confusion matrix, on handmade matrices whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from digitpad.evaluation import class_scores, evaluate_probabilities


def test_recall_and_precision_of_a_small_matrix():
    # true 0: 8 right, 2 read as 1; true 1: 5 right; true 2: 1 read as 0, 3 right.
    confusion = np.array([[8, 2, 0], [0, 5, 0], [1, 0, 3]])
    scores = {s.digit: s for s in class_scores(confusion)}
    assert scores[0].recall == pytest.approx(0.8)
    assert scores[0].precision == pytest.approx(8 / 9)
    assert scores[1].recall == pytest.approx(1.0)
    assert scores[1].precision == pytest.approx(5 / 7)
    assert scores[2].recall == pytest.approx(0.75)
    assert scores[2].precision == pytest.approx(1.0)
    assert (scores[0].support, scores[0].answered, scores[0].correct) == (10, 9, 8)


def test_sorted_worst_first_by_the_weaker_score():
    confusion = np.array([[8, 2, 0], [0, 5, 0], [1, 0, 3]])
    # Weaker scores: 0 -> 0.8, 1 -> 0.714 (precision), 2 -> 0.75 (recall).
    assert [s.digit for s in class_scores(confusion)] == [1, 2, 0]


def test_ties_go_to_the_lower_recall_then_the_digit():
    confusion = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 2]])
    assert [s.digit for s in class_scores(confusion)] == [0, 1, 2]
    # Digit 1: recall 0.5, precision 1.0; digit 0: recall 1.0, precision 0.5.
    confusion = np.array([[2, 0, 0], [2, 2, 0], [0, 0, 2]])
    assert [s.digit for s in class_scores(confusion)] == [1, 0, 2]


def test_undefined_scores_are_nan_and_sort_sensibly():
    # Digit 1 never appears and is never predicted; digit 2 appears but is never predicted.
    confusion = np.array([[3, 0, 0], [0, 0, 0], [2, 0, 0]])
    scores = class_scores(confusion)
    assert [s.digit for s in scores] == [2, 0, 1]
    by_digit = {s.digit: s for s in scores}
    assert by_digit[2].recall == 0.0 and math.isnan(by_digit[2].precision)
    assert math.isnan(by_digit[1].recall) and math.isnan(by_digit[1].precision)
    assert by_digit[0].precision == pytest.approx(0.6)


def test_agrees_with_the_evaluations_per_class_accuracy():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 500)
    probabilities = rng.dirichlet(np.ones(10), 500)
    evaluation = evaluate_probabilities(probabilities, labels)
    scores = class_scores(evaluation.confusion)
    assert sorted(s.digit for s in scores) == list(range(10))
    for score in scores:
        assert score.recall == pytest.approx(evaluation.per_class_accuracy[score.digit])
        said = evaluation.predicted == score.digit
        expected = np.mean(labels[said] == score.digit)
        assert score.precision == pytest.approx(expected)
    worst = [s.worst for s in scores]
    assert worst == sorted(worst)


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros(4), np.array([[1, -1], [0, 1]])])
def test_refuses_what_is_not_a_confusion_matrix(bad):
    with pytest.raises(ValueError, match="confusion matrix"):
        class_scores(bad)
