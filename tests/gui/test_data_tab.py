"""The Data tab: loads nothing until it is first shown, then fills every view from the data."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from digitpad.data import load_mnist
from digitpad.data_stats import class_counts
from digitpad.errors import DataError
from digitpad.gui.data_tab import EXAMPLE_COUNT, DataTab


def small_data():
    return load_mnist().subset(train=3000, val=500)


@pytest.fixture
def tab(qtbot):
    calls = []

    def loader():
        calls.append(1)
        return small_data()

    widget = DataTab(loader=loader)
    widget.calls = calls
    qtbot.addWidget(widget)
    widget.resize(1100, 750)
    yield widget
    assert widget.wait_for_background()


def show_and_wait(qtbot, tab: DataTab) -> None:
    with qtbot.waitSignal(tab.ready, timeout=30_000):
        tab.show()


def test_nothing_is_built_or_loaded_before_the_tab_is_shown(tab):
    assert tab.calls == [] and not tab.busy
    assert tab.stats is None and tab.data is None
    assert "Loading" in tab.status.text()


def test_first_show_fills_counts_averages_histogram_and_examples(qtbot, tab):
    show_and_wait(qtbot, tab)
    data = small_data()
    expected = np.stack([class_counts(s.y) for s in (data.train, data.val, data.test)])
    np.testing.assert_array_equal(tab.counts_chart.values, expected)
    assert "train 3,000, validation 500, test 10,000" in tab.counts_caption.text()
    # Ten 28×28 average digits side by side, 2 pixels apart.
    assert (tab.averages_view.image.width(), tab.averages_view.image.height()) == (298, 28)
    assert tab.stats.averages.shape == (10, 28, 28)
    assert tab.levels_chart.counts.sum() == 3000 * 784
    assert "pure black background" in tab.levels_caption.text()
    # A 10×10 grid of random examples of any digit.
    assert len(tab.example_indices) == EXAMPLE_COUNT
    assert tab.examples_view.image.width() == 10 * 30 - 2
    tab.hide()
    tab.show()
    assert tab.calls == [1]  # loaded once, however often it is shown


def test_a_digit_button_shows_only_that_digit_and_other_examples_reshuffles(qtbot, tab):
    show_and_wait(qtbot, tab)
    labels = tab.data.train.y
    qtbot.mouseClick(tab.digit_buttons.button(3), Qt.MouseButton.LeftButton)
    first = tab.example_indices.copy()
    assert len(first) == EXAMPLE_COUNT and (labels[first] == 3).all()
    assert "of the digit 3" in tab.examples_caption.text()
    qtbot.mouseClick(tab.shuffle_button, Qt.MouseButton.LeftButton)
    second = tab.example_indices
    assert (labels[second] == 3).all() and set(second.tolist()) != set(first.tolist())
    assert tab.digit_buttons.checkedId() == 3


def test_a_load_error_is_shown_in_place_of_the_views(qtbot):
    def missing():
        raise DataError("mnist.npz: file not found")

    tab = DataTab(loader=missing)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: not tab.busy, timeout=10_000)
    assert tab.status.text() == "Could not load the data: mnist.npz: file not found"
    assert tab.wait_for_background()


def test_a_long_error_wraps_instead_of_widening_the_window(qtbot):
    path = "/a/very/long/folder/name/that/someone/chose/for/their/data/" * 3 + "mnist.npz"

    def missing():
        raise DataError(f"{path}: file not found")

    tab = DataTab(loader=missing)
    qtbot.addWidget(tab)
    tab.resize(780, 500)
    tab.show()
    qtbot.waitUntil(lambda: not tab.busy, timeout=10_000)
    assert path in tab.status.text()
    assert tab.minimumSizeHint().width() <= 780
    needed = tab.status.heightForWidth(tab.status.width())
    assert 0 < needed <= tab.status.height()
    assert tab.wait_for_background()
