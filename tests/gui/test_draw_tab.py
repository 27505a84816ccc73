"""The Draw tab, used as a person would: drag the mouse on the canvas, press the buttons."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.data import load_mnist
from digitpad.gui.canvas import THROTTLE_MS
from digitpad.gui.draw_tab import HINT, NO_MODEL_HINT, DrawTab
from digitpad.inference import load_predictor


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


@pytest.fixture
def tab(qtbot, predictor):
    widget = DrawTab(predictor)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drag(canvas, points: list[tuple[float, float]]) -> None:
    """Press, move through and release at ``points``, given in canvas units (0-280)."""
    where = [canvas.map_from_canvas(x, y).toPoint() for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[0])
    for point in where[1:]:
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[-1])


def vertical_line(x: float = 140, top: float = 40, bottom: float = 240) -> list:
    return [(x, y) for y in np.linspace(top, bottom, 25)]


def test_an_empty_canvas_shows_the_hint_not_a_prediction(tab):
    assert tab.showing_hint and tab.hint_label.text() == HINT
    assert tab.probabilities is None and tab.top_digit is None
    assert tab.network_input is None and tab.bars.probabilities is None


def test_a_drag_gives_a_28x28_preview_and_a_prediction(tab):
    drag(tab.canvas, [(80, 80), (140, 120), (200, 90), (150, 220)])
    assert not tab.showing_hint
    image = tab.network_input
    assert image.shape == (28, 28) and image.dtype == np.float32 and image.max() > 0.5
    assert tab.probabilities.shape == (10,)
    assert tab.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert tab.digit_label.text() == str(tab.top_digit)
    assert tab.bars.top_digit() == tab.top_digit


def test_a_vertical_line_reads_as_one(tab):
    drag(tab.canvas, vertical_line())
    assert tab.top_digit == 1


def test_a_loaded_mnist_image_reads_as_the_model_reads_it(tab, predictor):
    test = load_mnist().test
    expected = predictor.predict_proba(test.images[:30]).argmax(axis=1)
    for image, digit in zip(test.images[:30], expected, strict=True):
        tab.load_image(image)
        assert tab.top_digit == digit
    # The canvas round trip is exact: the network sees the MNIST image itself.
    np.testing.assert_allclose(tab.network_input, test.images[29], atol=0.06)


def test_clear_brings_back_the_hint(tab, qtbot):
    drag(tab.canvas, vertical_line())
    assert not tab.showing_hint
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    assert tab.canvas.is_empty() and tab.showing_hint and tab.network_input is None


def test_keyboard_shortcuts_clear_and_undo(tab, qtbot):
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    drag(tab.canvas, vertical_line(x=100))
    drag(tab.canvas, vertical_line(x=180))
    QTest.keyClick(tab, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tab.canvas.stroke_count == 1
    QTest.keyClick(tab, Qt.Key.Key_Escape)
    assert tab.canvas.is_empty() and tab.showing_hint


def test_undo_removes_the_last_stroke(tab, qtbot):
    drag(tab.canvas, vertical_line(x=100))
    one_stroke = tab.canvas.to_array()
    drag(tab.canvas, [(60, 150), (220, 150)])
    assert tab.canvas.stroke_count == 2
    assert not np.array_equal(tab.canvas.to_array(), one_stroke)
    qtbot.mouseClick(tab.undo_button, Qt.MouseButton.LeftButton)
    assert tab.canvas.stroke_count == 1
    np.testing.assert_array_equal(tab.canvas.to_array(), one_stroke)
    assert tab.top_digit == 1


def test_undo_keeps_a_loaded_image_and_clear_removes_it(tab):
    image = load_mnist().test.images[0]
    tab.load_image(image)
    drag(tab.canvas, [(40, 40), (80, 60)])
    tab.undo_button.click()
    tab.undo_button.click()  # one more than there are strokes: the image must stay
    assert tab.canvas.has_image and tab.canvas.stroke_count == 0
    np.testing.assert_allclose(tab.network_input, image, atol=0.06)
    tab.clear_button.click()
    assert tab.canvas.is_empty() and tab.showing_hint


def test_pen_width_changes_stroke_thickness(tab):
    def ink_after_line(width: int) -> int:
        tab.clear_button.click()
        tab.pen_slider.setValue(width)
        drag(tab.canvas, vertical_line())
        return int((tab.canvas.to_array() > 127).sum())

    thin, thick = ink_after_line(8), ink_after_line(32)
    assert tab.canvas.pen_width == 32
    # A 200-unit line: its ink area grows with the pen's width.
    assert 3.0 < thick / thin < 5.0


def test_changes_are_throttled_while_drawing_but_the_end_is_never_missed(tab, qtbot):
    emitted = []
    tab.canvas.changed.connect(lambda: emitted.append(tab.canvas.stroke_count))
    points = [(140, y) for y in np.linspace(30, 250, 120)]
    started = time.perf_counter()
    drag(tab.canvas, points)
    elapsed_ms = (time.perf_counter() - started) * 1000
    # One at the press, at most one per THROTTLE_MS while moving, and one at the release.
    assert 2 <= len(emitted) <= 2 + elapsed_ms / THROTTLE_MS
    assert len(emitted) < len(points) / 4
    assert tab.top_digit == 1


def test_without_a_model_the_tab_says_so(qtbot):
    widget = DrawTab()
    qtbot.addWidget(widget)
    widget.canvas.resize(300, 300)
    drag(widget.canvas, vertical_line())
    assert widget.showing_hint and widget.hint_label.text() == NO_MODEL_HINT
    assert widget.network_input is not None  # the preview still shows what it would see


def test_a_tap_paints_a_dot_and_the_tab_says_it_is_no_digit(tab):
    where = QPoint(*[int(v) for v in tab.canvas.map_from_canvas(140, 140).toTuple()])
    QTest.mouseClick(tab.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    assert tab.canvas.stroke_count == 1 and (tab.canvas.to_array() > 127).sum() > 100
    # Not "2, 60.7% sure": a plain word that this is no digit, and no answer.
    assert tab.showing_hint and tab.probabilities is None
    assert "dot" in tab.hint_label.text() and "not a digit" in tab.hint_label.text()


def test_a_finger_draws_too(tab):
    device = QTest.createTouchDevice()
    where = [tab.canvas.map_from_canvas(140, y).toPoint() for y in np.linspace(40, 240, 15)]
    QTest.touchEvent(tab.canvas, device).press(0, where[0]).commit()
    for point in where[1:]:
        QTest.touchEvent(tab.canvas, device).move(0, point).commit()
    QTest.touchEvent(tab.canvas, device).release(0, where[-1]).commit()
    assert tab.canvas.stroke_count == 1 and tab.top_digit == 1


def test_a_tablet_pen_draws_too(tab):
    pen = QPointingDevice(
        "pen",
        1,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        0,
    )

    def send(kind: QEvent.Type, x: float, y: float) -> None:
        local = tab.canvas.map_from_canvas(x, y)
        event = QTabletEvent(
            kind,
            pen,
            local,
            QPointF(tab.canvas.mapToGlobal(local)),
            0.5,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )
        QApplication.sendEvent(tab.canvas, event)
        assert event.isAccepted()  # so Qt does not also synthesise a mouse stroke

    send(QEvent.Type.TabletPress, 140, 40)
    for y in np.linspace(50, 240, 12):
        send(QEvent.Type.TabletMove, 140, y)
    send(QEvent.Type.TabletRelease, 140, 240)
    assert tab.canvas.stroke_count == 1 and tab.top_digit == 1
