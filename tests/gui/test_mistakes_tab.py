"""The Mistakes tab with the bundled default model on the real test set."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize, Qt

from digitpad.browse import Show
from digitpad.data import Split, load_mnist
from digitpad.errors import DataError
from digitpad.gui.image_grid import TestIndexRole
from digitpad.gui.mistakes_tab import MistakesTab
from digitpad.inference import load_predictor


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


@pytest.fixture(scope="module")
def expected(predictor):
    """What the tab should show, computed here without the tab's help."""
    test = load_mnist().test
    probabilities = predictor.predict_proba(test.x)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != test.y)
    return {
        "labels": test.y,
        "predicted": predicted,
        "wrong": wrong,
        "most_confident_mistake": int(wrong[confidence[wrong].argmax()]),
        "images": test.images,
    }


@pytest.fixture
def tab(qtbot, predictor):
    widget = MistakesTab()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    with qtbot.waitSignal(widget.evaluated, timeout=30_000):
        widget.set_predictor(predictor)
    yield widget
    assert widget.wait_for_background()


def grid_indices(tab) -> list[int]:
    model = tab.grid_model
    return [model.data(model.index(row), TestIndexRole) for row in range(model.rowCount())]


def test_the_grid_fills_with_the_mistakes_most_confident_first(tab, expected):
    confusion = tab.evaluation.confusion
    assert tab.grid_model.rowCount() == 10_000 - np.trace(confusion) == len(expected["wrong"])
    assert sorted(grid_indices(tab)) == sorted(expected["wrong"].tolist())
    assert grid_indices(tab)[0] == expected["most_confident_mistake"]
    mistakes = len(expected["wrong"])
    assert f"{mistakes} mistakes" in tab.summary_label.text()
    assert f"{1 - mistakes / 10_000:.2%}" in tab.summary_label.text()


def test_the_first_mistake_is_shown_in_detail(tab, expected):
    first = expected["most_confident_mistake"]
    assert tab.selected_test_index() == first
    assert tab.detail_bars.top_digit() == expected["predicted"][first]
    assert tab.open_button.isEnabled()


def test_filters_by_true_digit_predicted_digit_and_outcome(tab, expected):
    labels, predicted = expected["labels"], expected["predicted"]
    tab.true_filter.setCurrentIndex(1 + 4)  # "4"
    shown = grid_indices(tab)
    assert shown and all(labels[i] == 4 and predicted[i] != 4 for i in shown)
    assert len(shown) == np.sum((labels == 4) & (predicted != 4))

    tab.show_filter.setCurrentIndex(tab.show_filter.findData(Show.ALL))
    assert grid_indices(tab) == np.flatnonzero(labels == 4).tolist()  # every 4, in order

    tab.show_filter.setCurrentIndex(tab.show_filter.findData(Show.CORRECT))
    assert grid_indices(tab) == np.flatnonzero((labels == 4) & (predicted == 4)).tolist()

    tab.true_filter.setCurrentIndex(0)  # any
    tab.predicted_filter.setCurrentIndex(1 + 7)
    tab.show_filter.setCurrentIndex(tab.show_filter.findData(Show.MISTAKES))
    shown = grid_indices(tab)
    assert len(shown) == np.sum((predicted == 7) & (labels != 7))
    assert all(predicted[i] == 7 and labels[i] != 7 for i in shown)


def test_clicking_a_confusion_cell_lists_that_pair(tab, qtbot, expected):
    labels, predicted = expected["labels"], expected["predicted"]
    confusion = tab.evaluation.confusion
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    true, guess = np.unravel_index(off.argmax(), off.shape)  # the most frequent confusion
    centre = tab.confusion.cell_rect(int(true), int(guess)).center().toPoint()
    qtbot.mouseClick(tab.confusion, Qt.MouseButton.LeftButton, pos=centre)

    assert tab.filters() == (true, guess, Show.MISTAKES)
    shown = grid_indices(tab)
    assert len(shown) == confusion[true, guess] > 0
    assert all(labels[i] == true and predicted[i] == guess for i in shown)
    assert tab.count_label.text().startswith(str(confusion[true, guess]))

    # A diagonal cell lists the correct answers for that digit.
    centre = tab.confusion.cell_rect(3, 3).center().toPoint()
    qtbot.mouseClick(tab.confusion, Qt.MouseButton.LeftButton, pos=centre)
    assert tab.filters() == (3, 3, Show.CORRECT)
    assert tab.grid_model.rowCount() == confusion[3, 3]

    qtbot.mouseClick(tab.reset_button, Qt.MouseButton.LeftButton)
    assert tab.filters() == (None, None, Show.MISTAKES)
    assert tab.grid_model.rowCount() == len(expected["wrong"])


def test_clicking_an_image_shows_it_and_open_in_canvas_emits_it(tab, qtbot, expected):
    row = 5
    rect = tab.grid.visualRect(tab.grid_model.index(row))
    qtbot.mouseClick(tab.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    index = grid_indices(tab)[row]
    assert tab.selected_test_index() == index
    assert f"#{index}" in tab.detail_caption.text()
    assert tab.detail_bars.top_digit() == expected["predicted"][index]

    with qtbot.waitSignal(tab.open_in_canvas, timeout=1000) as blocker:
        qtbot.mouseClick(tab.open_button, Qt.MouseButton.LeftButton)
    (image,) = blocker.args
    assert image.shape == (28, 28) and image.dtype == np.float32
    np.testing.assert_array_equal(image, expected["images"][index])


def test_thumbnails_are_made_on_demand(tab):
    model = tab.grid_model
    pixmap = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.deviceIndependentSize().toSize() == QSize(84, 84)  # 28 × 3
    assert "→" in model.data(model.index(0), Qt.ItemDataRole.DisplayRole)
    # Only what was asked for (what the view showed) has been made.
    assert 0 < model.cached_thumbnails < model.rowCount()


def test_a_loading_error_is_shown_not_raised(qtbot, predictor):
    def broken() -> Split:
        raise DataError("mnist.npz: file not found")

    widget = MistakesTab(loader=broken)
    qtbot.addWidget(widget)
    widget.set_predictor(predictor)
    qtbot.waitUntil(lambda: "file not found" in widget.summary_label.text(), timeout=10_000)
    assert widget.grid_model.rowCount() == 0 and widget.evaluation is None
    assert widget.wait_for_background()


def test_an_injected_loader_and_a_newer_predictor_win(qtbot, predictor):
    test = load_mnist().test
    small = Split(test.x[:300], test.y[:300])
    widget = MistakesTab(loader=lambda: small)
    qtbot.addWidget(widget)
    widget.set_predictor(predictor)
    with qtbot.waitSignal(widget.evaluated, timeout=10_000):
        widget.set_predictor(predictor)  # the first result, now stale, must be ignored
    assert len(widget.evaluation.labels) == 300
    qtbot.waitUntil(lambda: not widget.busy, timeout=5000)
    widget.set_predictor(None)
    assert widget.grid_model.rowCount() == 0 and widget.summary_label.text() == "No model"
    assert widget.wait_for_background()


def test_the_threshold_marks_the_images_it_would_hold_back(tab, expected):
    from PySide6.QtCore import Qt

    model = tab.grid_model
    evaluation = tab.evaluation
    confidences = [float(evaluation.confidence[i]) for i in model.indices]
    # Mistakes come most confident first: a threshold between the first and the last splits them.
    threshold = (confidences[0] + confidences[-1]) / 2
    tab.threshold.set_value(threshold)
    rows = range(len(confidences))
    held = [model.held_back(row) for row in rows]
    assert held == [c < threshold for c in confidences]
    assert any(held) and not all(held)
    first_held = held.index(True)
    text = model.data(model.index(first_held), Qt.ItemDataRole.DisplayRole)
    assert text.splitlines()[0].endswith(" ?")
    assert "not sure" in model.data(model.index(first_held), Qt.ItemDataRole.ToolTipRole)
    assert "?" not in model.data(model.index(0), Qt.ItemDataRole.DisplayRole)
    tab.threshold.set_value(0.0)
    assert not any(model.held_back(row) for row in rows)


def click_cell(qtbot, table, row: int, column: int) -> None:
    rect = table.visualRect(table.model().index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_per_digit_scores_beside_the_matrix_worst_first(tab, expected):
    labels, predicted = expected["labels"], expected["predicted"]
    table = tab.class_table
    assert table.isVisible() and table.rowCount() == 10
    digits = [int(table.item(row, 0).text()) for row in range(10)]
    assert sorted(digits) == list(range(10))
    recall = {d: np.mean(predicted[labels == d] == d) for d in range(10)}
    precision = {d: np.mean(labels[predicted == d] == d) for d in range(10)}
    weaker = [min(recall[d], precision[d]) for d in digits]
    assert weaker == sorted(weaker)  # worst first
    for row, digit in enumerate(digits):
        assert table.item(row, 1).text() == f"{recall[digit] * 100:.1f} %"
        assert table.item(row, 2).text() == f"{precision[digit] * 100:.1f} %"
    # Beside the matrix: same band of height, to its right.
    matrix_right = tab.confusion.mapTo(tab, tab.confusion.rect().topRight())
    table_left = table.mapTo(tab, table.rect().topLeft())
    assert table_left.x() > matrix_right.x()
    assert abs(table_left.y() - matrix_right.y()) < 40


def test_clicking_a_digit_row_lists_its_mistakes(tab, qtbot, expected):
    labels, predicted = expected["labels"], expected["predicted"]
    table = tab.class_table
    worst = int(table.item(0, 0).text())

    click_cell(qtbot, table, 0, 1)  # the accuracy: its images read wrong
    assert tab.filters() == (worst, None, Show.MISTAKES)
    shown = grid_indices(tab)
    assert len(shown) == np.sum((labels == worst) & (predicted != worst)) > 0
    assert all(labels[i] == worst and predicted[i] != worst for i in shown)
    assert table.selectionModel().isRowSelected(0)

    third = int(table.item(2, 0).text())
    click_cell(qtbot, table, 2, 2)  # the precision: images wrongly read as it
    assert tab.filters() == (None, third, Show.MISTAKES)
    shown = grid_indices(tab)
    assert len(shown) == np.sum((predicted == third) & (labels != third))
    assert all(predicted[i] == third and labels[i] != third for i in shown)
    assert table.selectionModel().isRowSelected(2)

    # A matrix cell is a pair, not one digit's row: the row selection goes.
    centre = tab.confusion.cell_rect(3, 5).center().toPoint()
    qtbot.mouseClick(tab.confusion, Qt.MouseButton.LeftButton, pos=centre)
    assert not table.selectionModel().hasSelection()


def test_the_splitters_follow_the_window_until_the_user_moves_them(tab, qtbot):
    body = tab.body
    least = tab.left_pane.minimumSizeHint().width()

    def total() -> int:
        return body.width() - body.handleWidth()

    def share() -> float:
        return body.sizes()[0] / total()

    tab.resize(1600, 900)
    qtbot.waitUntil(lambda: abs(share() - 0.4) < 0.01)
    tab.resize(900, 700)  # 40 % would be too narrow for the matrix and its table
    qtbot.waitUntil(lambda: body.width() < 900)
    assert body.sizes()[0] == least

    tab.resize(1600, 900)
    qtbot.waitUntil(lambda: abs(share() - 0.4) < 0.01)
    body.moveSplitter(int(0.6 * total()), 1)  # as a drag of the handle does
    assert abs(share() - 0.6) < 0.01
    tab.resize(1800, 900)
    qtbot.waitUntil(lambda: body.width() > 1700)
    assert abs(share() - 0.6) < 0.02  # the user's share, not back to 40 %
