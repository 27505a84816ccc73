"""The keyboard: tab switching from anywhere, Tab reaching the run buttons, visible focus on
every stop, accessible names on the custom widgets, arrow keys in the painted widgets."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import small_data
from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFocusFrame, QWidget

from digitpad.gui.canvas import DrawingCanvas
from digitpad.gui.confusion_matrix import ConfusionMatrix
from digitpad.gui.draw_tab import DrawTab
from digitpad.gui.focus import FRAME_WIDTH
from digitpad.gui.main_window import MainWindow
from digitpad.gui.probability_bars import ProbabilityBars
from digitpad.inference import load_predictor

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
MAX_TABS_TO_START = 25
"""Tab presses from the Train tab's tab bar to its Start button (it took 18 when the issue
was filed)."""


@pytest.fixture
def window(qtbot, user_store, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(win)
    win.resize(1100, 750)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    assert win.mistakes_tab.wait_for_background() and win.data_tab.wait_for_background()
    win.close()


def focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)


def press(key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the user's keys go: to the widget with the focus."""
    QTest.keyClick(QApplication.focusWidget(), key, modifiers)


def test_ctrl_page_down_and_ctrl_tab_switch_tabs_from_inside_a_page(window, qtbot):
    # A spin box takes PgUp/PgDown and the log takes Tab for itself: the window's keys win.
    window.tabs.setCurrentWidget(window.mistakes_tab)
    focus(qtbot, window.mistakes_tab.threshold_spin)
    start = window.tabs.currentIndex()
    press(Qt.Key.Key_PageDown, CTRL)
    assert window.tabs.currentIndex() == start + 1
    press(Qt.Key.Key_PageUp, CTRL)
    assert window.tabs.currentIndex() == start
    assert window.mistakes_tab.threshold_spin.value() == 0  # the spin box did not step

    window.tabs.setCurrentWidget(window.train_tab)
    focus(qtbot, window.train_tab.log)
    here = window.tabs.currentIndex()
    press(Qt.Key.Key_Tab, CTRL)
    assert window.tabs.currentIndex() == here + 1
    press(Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert window.tabs.currentIndex() == here


def test_tab_switching_wraps_around(window):
    last = window.tabs.count() - 1
    window.tabs.setCurrentIndex(last)
    window.step_tab(1)
    assert window.tabs.currentIndex() == 0
    window.step_tab(-1)
    assert window.tabs.currentIndex() == last


def test_tab_reaches_start_on_the_train_tab(window, qtbot):
    window.tabs.setCurrentWidget(window.train_tab)
    focus(qtbot, window.tabs.tabBar())
    start = window.train_tab.start_button
    presses = 0
    while not start.hasFocus() and presses < MAX_TABS_TO_START:
        press(Qt.Key.Key_Tab)
        presses += 1
    assert start.hasFocus(), f"Start not reached in {MAX_TABS_TO_START} Tab presses"
    print(f"Start reached in {presses} Tab presses")
    assert "Ctrl+Return" in start.toolTip()  # and it has a shortcut, shown where people look


def _custom_painted(widget: QWidget) -> bool:
    if isinstance(widget, QFocusFrame):  # decoration around another widget, not content
        return False
    classes = [k for k in type(widget).__mro__ if k.__module__.startswith("digitpad.gui")]
    return any("paintEvent" in vars(k) for k in classes)


def test_every_custom_widget_has_an_accessible_name(window, qtbot):
    for index in range(window.tabs.count()):  # the lazy pages build when first shown
        window.tabs.setCurrentIndex(index)
        qtbot.wait(10)
    custom = [w for w in window.findChildren(QWidget) if _custom_painted(w)]
    kinds = {type(w).__name__ for w in custom}
    assert {"DrawingCanvas", "ConfusionMatrix", "ProbabilityBars", "DigitImage"} <= kinds
    nameless = sorted({type(w).__name__ for w in custom if not w.accessibleName()})
    assert nameless == []
    # What takes the keyboard also says how to use it.
    for widget in custom:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            assert widget.accessibleDescription(), type(widget).__name__


def _highlight_at_edge(widget: QWidget) -> bool:
    image = widget.grab().toImage()
    highlight = widget.palette().color(QPalette.ColorRole.Highlight)
    return QColor(image.pixel(1, image.height() // 2)) == highlight


@pytest.mark.parametrize("make", [ConfusionMatrix, ProbabilityBars, DrawingCanvas])
def test_painted_widgets_take_focus_and_show_it(qtbot, make):
    host = QWidget()
    qtbot.addWidget(host)
    other = QWidget(host)
    other.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget = make(host)
    widget.move(10, 10)
    widget.resize(300, 280)
    host.resize(400, 400)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    focus(qtbot, other)
    assert not _highlight_at_edge(widget)
    focus(qtbot, widget)
    assert _highlight_at_edge(widget)


def test_the_focus_ring_follows_lists_tables_and_the_log(window, qtbot):
    ring = window.focus_ring
    window.tabs.setCurrentWidget(window.train_tab)
    focus(qtbot, window.train_tab.log)
    log = window.train_tab.log
    assert ring.isVisible() and ring.widget() is log
    # Around the log, not under it (some styles would tuck it away), in the highlight colour.
    width = FRAME_WIDTH
    assert ring.size() == log.size() + QSize(2 * width, 2 * width)
    assert ring.mapToGlobal(QPoint(0, 0)) == log.mapToGlobal(QPoint(-width, -width))
    shot = window.grab().toImage()
    edge = window.mapFromGlobal(log.mapToGlobal(QPoint(-1, log.height() // 2)))
    highlight = window.palette().color(QPalette.ColorRole.Highlight)
    assert QColor(shot.pixel(edge)) == highlight
    window.tabs.setCurrentWidget(window.mistakes_tab)
    focus(qtbot, window.mistakes_tab.grid)
    assert ring.isVisible() and ring.widget() is window.mistakes_tab.grid
    focus(qtbot, window.mistakes_tab.threshold_spin)  # the style shows its own focus
    assert not ring.isVisible()


def test_arrows_and_enter_list_a_confusion_cell(qtbot):
    matrix = ConfusionMatrix()
    qtbot.addWidget(matrix)
    matrix.set_confusion(np.arange(100).reshape(10, 10))
    matrix.set_selected((3, 5))
    clicked = []
    matrix.cell_clicked.connect(lambda true, predicted: clicked.append((true, predicted)))
    QTest.keyClick(matrix, Qt.Key.Key_Right)  # the first arrow lands on the selected cell
    assert matrix.keyboard_cell == (3, 5)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Down):
        QTest.keyClick(matrix, key)
    assert matrix.keyboard_cell == (5, 6)
    assert "5 read as 6" in matrix.toolTip()
    for _ in range(12):
        QTest.keyClick(matrix, Qt.Key.Key_Left)
    assert matrix.keyboard_cell == (5, 0)  # stops at the edge
    QTest.keyClick(matrix, Qt.Key.Key_Return)
    assert clicked == [(5, 0)]


def test_up_down_and_enter_pick_a_probability_row(qtbot):
    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    probabilities = np.full(10, 0.01)
    probabilities[7] = 0.91
    bars.set_probabilities(probabilities)
    assert "7: 91.0 %" in bars.accessibleDescription()
    picked = []
    bars.digit_clicked.connect(picked.append)
    QTest.keyClick(bars, Qt.Key.Key_Down)  # lands on the top answer first
    QTest.keyClick(bars, Qt.Key.Key_Down)
    QTest.keyClick(bars, Qt.Key.Key_Space)
    assert picked == [8]


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


def test_left_and_right_select_a_digit_of_a_number(qtbot, predictor):
    from drawn_numbers import number_strokes

    tab = DrawTab(predictor)
    qtbot.addWidget(tab)
    tab.resize(1400, 600)
    tab.show()
    qtbot.waitExposed(tab)
    canvas = tab.canvas
    options = {"height": 130.0, "width": 70.0, "gap": 24.0, "top": 70.0, "left": 20.0}
    for stroke in number_strokes("2026", **options):
        where = [canvas.map_from_canvas(x, y).toPoint() for x, y in stroke]
        QTest.mousePress(
            canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[0]
        )
        for point in where[1:]:
            QTest.mouseMove(canvas, point)
        QTest.mouseRelease(
            canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[-1]
        )
    assert tab.number == "2026" and tab.selected_digit == 3
    QTest.keyClick(canvas, Qt.Key.Key_Left)
    assert tab.selected_digit == 2 and tab.top_digit == 2
    assert [m.selected for m in canvas.marks] == [0, 0, 1, 0]
    QTest.keyClick(canvas, Qt.Key.Key_Home)
    assert tab.selected_digit == 0
    QTest.keyClick(canvas, Qt.Key.Key_Left)  # already the first: stays
    assert tab.selected_digit == 0
    QTest.keyClick(canvas, Qt.Key.Key_End)
    assert tab.selected_digit == 3 and tab.top_digit == 6
