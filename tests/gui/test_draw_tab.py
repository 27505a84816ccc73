"""The Draw tab, used as a person would: drag the mouse on the canvas, press the buttons."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gui_support import drag, vertical_line
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


# --- numbers ----------------------------------------------------------------------------------


def write(tab, text: str, **placement) -> None:
    """Drag the strokes of `text` (see tests/drawn_numbers.py) onto the canvas."""
    from drawn_numbers import number_strokes

    options = {"height": 130.0, "width": 70.0, "gap": 24.0, "top": 70.0, "left": 20.0}
    for stroke in number_strokes(text, **(options | placement)):
        if len(stroke) == 1:
            point = tab.canvas.map_from_canvas(*stroke[0]).toPoint()
            QTest.mouseClick(
                tab.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
            )
        else:
            drag(tab.canvas, stroke)


@pytest.fixture
def wide_tab(qtbot, predictor):
    widget = DrawTab(predictor)
    qtbot.addWidget(widget)
    widget.resize(1400, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_canvas_is_as_wide_as_the_window_gives_it(wide_tab):
    canvas = wide_tab.canvas
    assert canvas.width() > 1.5 * canvas.height()
    assert canvas.canvas_width() > 1.5 * 280
    assert canvas.to_array().shape == (280, round(canvas.canvas_width()))


def test_a_written_number_is_read_with_a_box_per_digit(wide_tab):
    write(wide_tab, "2026")
    assert wide_tab.number == "2026"
    assert wide_tab.digit_label.text() == "2026"
    marks = wide_tab.canvas.marks
    assert [m.text.split(" · ")[0] for m in marks] == ["2", "0", "2", "6"]
    assert all(m.text.endswith("%") for m in marks)
    lefts = [m.box[0] for m in marks]
    assert lefts == sorted(lefts)
    # The rightmost digit is selected: its probabilities, image and why are shown.
    assert wide_tab.selected_digit == 3 and [m.selected for m in marks] == [0, 0, 0, 1]
    assert wide_tab.top_digit == 6 and wide_tab.bars.top_digit() == 6
    assert wide_tab.saliency_caption.text() == "Why 6"
    assert "digit 4 of 4" in wide_tab.confidence_label.text()


def test_clicking_a_digits_label_selects_it(wide_tab, qtbot):
    write(wide_tab, "2026")
    last_image = wide_tab.network_input.copy()
    label = wide_tab.canvas.label_rect(1).center().toPoint()
    strokes = wide_tab.canvas.stroke_count
    qtbot.mouseClick(wide_tab.canvas, Qt.MouseButton.LeftButton, pos=label)
    assert wide_tab.canvas.stroke_count == strokes  # a click on a label draws nothing
    assert wide_tab.selected_digit == 1 and wide_tab.top_digit == 0
    assert wide_tab.canvas.marks[1].selected and not wide_tab.canvas.marks[3].selected
    assert not np.array_equal(wide_tab.network_input, last_image)
    assert wide_tab.saliency_caption.text() == "Why 0"


def test_the_threshold_applies_to_each_digit(wide_tab):
    write(wide_tab, "1947")  # its 4 is read less surely (about 98%) than the rest (99.9%)
    confidences = sorted({r.confidence for r in wide_tab.readings})
    # Between the least sure digit and the rest (thresholds stop at 99.9%): it becomes "?".
    threshold = min((confidences[0] + confidences[1]) / 2, 0.999)
    assert confidences[0] < threshold
    wide_tab.threshold.set_value(threshold)
    expected = "".join("?" if r.confidence < threshold else str(r.digit) for r in wide_tab.readings)
    assert "?" in expected and expected.count("?") < 4
    assert wide_tab.number == expected and wide_tab.digit_label.text() == expected
    for mark, reading in zip(wide_tab.canvas.marks, wide_tab.readings, strict=True):
        assert mark.text.startswith("?") == (reading.confidence < threshold)
        assert mark.muted == (reading.confidence < threshold)


def test_a_single_digit_shows_as_before_without_boxes(wide_tab):
    write(wide_tab, "7")
    assert wide_tab.number == "7" and wide_tab.digit_label.text() == "7"
    assert wide_tab.canvas.marks == []
    assert wide_tab.confidence_label.text().endswith("sure")


def test_a_digit_in_several_strokes_and_a_dot_are_one_digit(wide_tab):
    write(wide_tab, "4.57")  # a two-stroke 4, a dot above it, a 5 with its flag, a crossed 7
    assert wide_tab.number == "457"


def test_strokes_and_the_image_of_the_canvas_agree(wide_tab):
    from digitpad.preprocess import segment

    write(wide_tab, "3190")
    by_strokes = wide_tab.canvas.segment().digits
    by_image = segment(wide_tab.canvas.to_array()).digits
    assert len(by_strokes) == len(by_image) == 4
    for a, b in zip(by_strokes, by_image, strict=True):
        assert np.allclose(a.box, b.box, atol=4)
        # The same ink, cropped a pixel or two differently.
        assert np.abs(a.image - b.image).mean() < 0.02


def test_a_loaded_image_is_one_digit_and_a_number_can_be_written_beside_it(wide_tab):
    # "Open in canvas" from Mistakes: the MNIST image, even one broken in pieces, stays whole.
    image = load_mnist().test.images[1]  # a 2
    wide_tab.load_image(image)
    assert len(wide_tab.readings) == 1 and wide_tab.canvas.marks == []
    np.testing.assert_allclose(wide_tab.network_input, image, atol=0.06)
    write(wide_tab, "7", left=320.0, width=70.0)
    assert wide_tab.number == "27"


def test_clear_can_be_undone(tab, qtbot):
    drag(tab.canvas, vertical_line(x=100))
    before = tab.canvas.to_array()
    tab.clear_button.click()
    assert tab.canvas.is_empty() and tab.showing_hint
    tab.undo_button.click()
    np.testing.assert_array_equal(tab.canvas.to_array(), before)
    assert tab.top_digit == 1
    # Undo then goes on to the stroke itself.
    tab.undo_button.click()
    assert tab.canvas.is_empty()


def test_clear_by_key_can_be_undone_by_key(tab, qtbot):
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    drag(tab.canvas, vertical_line(x=100))
    QTest.keyClick(tab, Qt.Key.Key_Escape)
    assert tab.canvas.is_empty()
    QTest.keyClick(tab, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tab.canvas.stroke_count == 1 and tab.top_digit == 1


def test_a_small_speck_and_a_scribble_are_said_to_be_no_digit(tab):
    tab.pen_slider.setValue(4)
    drag(tab.canvas, [(140, 140), (143, 141)])
    assert tab.showing_hint and "too small" in tab.hint_label.text()
    tab.clear_button.click()
    tab.pen_slider.setValue(30)
    zigzag = [(10.0 + 12 * k, 10.0 if k % 2 == 0 else 270.0) for k in range(22)]
    drag(tab.canvas, zigzag)
    drag(tab.canvas, [(y, x) for x, y in zigzag])
    assert tab.showing_hint and tab.probabilities is None and "not a digit" in tab.hint_label.text()


def test_the_pen_width_says_what_it_draws_on_screen(tab, qtbot):
    tab.pen_slider.setValue(18)
    scale = tab.canvas.scale()
    assert tab._pen_value.text() == f"{round(18 * scale)} px"
    assert "280 units" in tab.pen_slider.toolTip()
    tab.resize(tab.width() + 300, tab.height() + 200)
    qtbot.waitUntil(lambda: tab.canvas.scale() != scale)
    assert tab._pen_value.text() == f"{round(18 * tab.canvas.scale())} px"
    # What it says is what a stroke is: a vertical line's ink is that wide on screen.
    drag(tab.canvas, vertical_line())
    shot = tab.canvas.grab().toImage()
    y = round(tab.canvas.map_from_canvas(140, 140).y() * shot.devicePixelRatio())
    rect = tab.canvas.canvas_rect()
    inside = range(round(rect.left()) + 2, round(rect.right()) - 2)
    row = [shot.pixelColor(x, y).lightness() > 127 for x in inside]
    assert abs(sum(row) - round(18 * tab.canvas.scale())) <= 2


def test_set_pen_width_moves_the_slider(tab):
    tab.set_pen_width(31.0)
    assert tab.pen_slider.value() == 31 and tab.pen_width == 31.0
    tab.set_pen_width(float("nan"))
    assert tab.pen_width == 31.0
    tab.set_pen_width(500)
    assert tab.pen_width == 48.0


@pytest.mark.parametrize("size", [(800, 560), (1600, 960), (1920, 1040)])
def test_the_probability_rows_stay_compact_at_any_size(qtbot, predictor, size):
    widget = DrawTab(predictor)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.bars.height() <= 10 * 24
    assert widget.bars.height() >= widget.bars.minimumHeight()
    # The canvas takes the rest, and nothing on the panel is cut off: it scrolls instead.
    assert widget.canvas.width() >= widget.width() - widget.side_scroll.width() - 60
    panel = widget.side_scroll.widget()
    assert panel.height() >= panel.minimumSizeHint().height()


@pytest.mark.parametrize("size", [(784, 520), (1904, 990)], ids=["800x600", "1920x1080"])
def test_nothing_on_the_tab_is_clipped_or_overlapping(qtbot, predictor, size):
    """At the tab's size in an 800x600 and a full HD window: every control inside the tab,
    none on top of another, and every label as wide as its text."""
    widget = DrawTab(predictor)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    write(widget, "2026", height=100.0, width=50.0, gap=16.0)
    parts = [
        widget.canvas,
        widget.threshold_slider,
        widget._threshold_value,
        widget.undo_button,
        widget.pen_slider,
        widget._pen_value,
        widget.clear_button,
        widget.side_scroll,
    ]
    rects = {}
    for part in parts:
        assert part.isVisible()
        top_left = part.mapTo(widget, part.rect().topLeft())
        rect = part.rect().translated(top_left)
        assert widget.rect().contains(rect), part
        rects[part] = rect
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert not rects[a].intersects(rects[b]), (a, b)
    for label in (widget._threshold_value, widget._pen_value, widget.confidence_label):
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
    # The answer's number fits the panel.
    assert widget.digit_label.fontMetrics().horizontalAdvance("2026") <= widget.digit_label.width()


def test_clicking_inside_a_digits_box_selects_it_and_a_drag_there_draws(wide_tab, qtbot):
    write(wide_tab, "2026")
    strokes = wide_tab.canvas.stroke_count
    x, y, w, h = wide_tab.canvas.marks[0].box
    centre = wide_tab.canvas.map_from_canvas(x + w / 2, y + h / 2).toPoint()
    qtbot.mouseClick(wide_tab.canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert wide_tab.canvas.stroke_count == strokes
    assert wide_tab.selected_digit == 0 and wide_tab.top_digit == 2
    # A drag that starts inside a box still draws (here: over the 2, which stays one digit).
    drag(wide_tab.canvas, [(x + w / 2, y + h / 2), (x + w / 2 + 10, y + h / 2 + 10)])
    assert wide_tab.canvas.stroke_count == strokes + 1
    assert len(wide_tab.readings) == 4


def test_slanted_ones_written_close_are_separate_digits(wide_tab):
    # Their boxes overlap by more than half, but at every height one is left of the next.
    for k in range(4):
        x = 40.0 + 26.0 * k
        drag(wide_tab.canvas, [(x + 30, 60), (x + 15, 130), (x, 200)])
    assert wide_tab.number == "1111"
