"""Browsing filters over an evaluation, on a handmade one whose answers are known."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from digitpad.browse import Show, select, show_for_cell, summary
from digitpad.evaluation import evaluate_probabilities


def _evaluation():
    # image: 0    1    2    3    4    5
    labels = [7, 7, 2, 2, 7, 1]
    guesses = [7, 2, 2, 7, 2, 1]
    confidences = [0.9, 0.6, 0.8, 0.95, 0.7, 0.99]
    probabilities = np.full((6, 10), 0.0, dtype=np.float32)
    for row, (guess, confidence) in enumerate(zip(guesses, confidences, strict=True)):
        probabilities[row, :] = (1 - confidence) / 9
        probabilities[row, guess] = confidence
    return evaluate_probabilities(probabilities, np.array(labels))


def test_mistakes_come_most_confident_first():
    assert select(_evaluation(), Show.MISTAKES).tolist() == [3, 4, 1]


def test_all_and_correct_keep_test_set_order():
    evaluation = _evaluation()
    assert select(evaluation, Show.ALL).tolist() == [0, 1, 2, 3, 4, 5]
    assert select(evaluation, Show.CORRECT).tolist() == [0, 2, 5]


def test_digit_filters_combine_with_the_outcome():
    evaluation = _evaluation()
    assert select(evaluation, Show.MISTAKES, true=7).tolist() == [4, 1]
    assert select(evaluation, Show.MISTAKES, true=7, predicted=2).tolist() == [4, 1]
    assert select(evaluation, Show.MISTAKES, predicted=7).tolist() == [3]
    assert select(evaluation, Show.ALL, true=7).tolist() == [0, 1, 4]
    assert select(evaluation, Show.CORRECT, true=7).tolist() == [0]
    assert select(evaluation, Show.CORRECT, true=7, predicted=2).tolist() == []
    assert select(evaluation, Show.ALL, predicted=2).tolist() == [1, 2, 4]


def test_select_returns_integer_indices_even_when_empty():
    result = select(_evaluation(), Show.MISTAKES, true=1)
    assert result.dtype == np.int64 and result.size == 0


def test_a_cell_on_the_diagonal_holds_correct_answers():
    assert show_for_cell(3, 3) is Show.CORRECT
    assert show_for_cell(3, 5) is Show.MISTAKES


def test_summary_counts_mistakes():
    assert summary(_evaluation()) == "Test accuracy 50.00%: 3 mistakes in 6 test images"


def test_browse_imports_no_qt():
    code = "import sys, digitpad.browse; print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
