"""The Network tab, used as a person would: the size table, the hidden map with a drawing on
it, breaking the network, and robustness charts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from digitpad.data import load_mnist
from digitpad.gui.network_summary_view import NetworkSummaryLine
from digitpad.gui.network_tab import NetworkTab
from digitpad.gui.robustness_view import CURRENT, NONE, RobustnessView
from digitpad.inference import Predictor, load_predictor
from digitpad.preprocess import to_mnist
from digitpad.robustness import DAMAGES
from digitpad.surgery import accuracy

WAIT_MS = 60_000  # generous: the machine running the tests may be busy


@pytest.fixture(scope="module")
def model() -> Predictor:
    return load_predictor()


@pytest.fixture
def tab(qtbot, model):
    widget = NetworkTab()
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.show()
    qtbot.waitExposed(widget)
    with qtbot.waitSignal(widget.map_view.map_ready, timeout=WAIT_MS):
        widget.set_predictor(model)
    yield widget
    assert widget.shutdown(10_000), "a worker outlived the test"


def drawn_zero() -> np.ndarray:
    canvas = np.zeros((280, 280), np.float32)
    rows, cols = np.mgrid[:280, :280]
    ring = np.hypot((cols - 140) / 60, (rows - 140) / 95)
    canvas[(ring > 0.85) & (ring < 1.1)] = 1.0
    return to_mnist(canvas)


def move_mouse(widget, point: QPoint) -> None:
    """A hover move, sent as the window system would (QTest.mouseMove does not reach widgets
    on the offscreen platform)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(point),
        QPointF(widget.mapToGlobal(point)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_size_page_lists_the_layers_and_the_total(tab):
    assert "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB" in tab.summary_line.text()
    table = tab.summary_table
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == ["input", "hidden1", "hidden2", "logits", "total"]
    assert table.item(4, 3).text().startswith("1,276,810")


def test_the_drawing_is_a_live_point_among_test_images_of_its_class(tab, qtbot):
    tab.pages.setCurrentWidget(tab.map_view)
    view = tab.map_view
    tab.set_drawing(drawn_zero())
    qtbot.waitUntil(lambda: view.placement is not None, timeout=WAIT_MS)
    nearest = view.hidden_map.labels[view.placement.nearest]
    assert np.mean(nearest == 0) >= 0.8
    assert "nearest test images" in view.drawing_caption.text()
    # Clearing the canvas takes the point away.
    tab.set_drawing(None)
    qtbot.waitUntil(lambda: view.placement is None, timeout=WAIT_MS)


def test_hovering_a_dot_shows_it_and_clicking_opens_it(tab, qtbot):
    tab.pages.setCurrentWidget(tab.map_view)
    view = tab.map_view
    qtbot.waitUntil(lambda: view._display is not None, timeout=WAIT_MS)
    # A dot well inside the axes: the one nearest the middle of the map.
    hidden_map = view.hidden_map
    middle = np.median(hidden_map.points, axis=0)
    position = int(np.linalg.norm(hidden_map.points - middle, axis=1).argmin())
    x, y = view._display[position]
    ratio = view.canvas.devicePixelRatioF()
    point = QPoint(round(x / ratio), round(view.canvas.height() - y / ratio))
    target = view.dot_at(x, y)
    assert target is not None
    index = int(hidden_map.indices[target])
    move_mouse(view.canvas, point)
    qtbot.waitUntil(lambda: f"#{index}" in view.hover_caption.text(), timeout=5000)
    with qtbot.waitSignal(tab.open_in_canvas, timeout=5000) as opened:
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=point)
    image = opened.args[0]
    assert image.shape == (28, 28) and image.dtype == np.float32
    np.testing.assert_array_equal(image, load_mnist().test.images[index])


def test_break_it_changes_accuracy_and_answer_and_reset_restores(tab, qtbot, model):
    view = tab.break_view
    tab.pages.setCurrentWidget(view)
    test = load_mnist().test
    trained = accuracy(model, test.x, test.y)
    saved = [k.copy() for k, _ in model.layers]
    qtbot.waitUntil(lambda: not view.measuring, timeout=WAIT_MS)
    with qtbot.waitSignal(view.accuracy_measured, timeout=WAIT_MS) as measured:
        view.prune_slider.setValue(99)
    assert measured.args[0] < 0.5
    assert "99% pruned" in view.units_label.text()
    tab.set_drawing(drawn_zero())
    assert "as trained 0" in view.answer_label.text()
    with qtbot.waitSignal(view.accuracy_measured, timeout=WAIT_MS) as measured:
        view.reset_button.click()
    assert measured.args[0] == trained
    assert view.prune_slider.value() == 0 and view.edits.empty
    for kernel, (now, _) in zip(saved, model.layers, strict=True):
        np.testing.assert_array_equal(kernel, now)  # the current model itself never changed


def test_clicking_a_unit_switches_it_off_and_biases_off_follow_the_boxes(tab, qtbot):
    view = tab.break_view
    tab.pages.setCurrentWidget(view)
    grid = view.unit_grid
    qtbot.waitUntil(lambda: grid.units == 800 and not view.measuring, timeout=WAIT_MS)
    rect = grid.image_rect()
    cell = rect.width() / grid.image.width()
    # The third unit of the first row.
    point = QPoint(rect.left() + int(2.5 * cell), rect.top() + int(0.5 * cell))
    with qtbot.waitSignal(view.accuracy_measured, timeout=WAIT_MS):
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=point)
    assert view.edits.units_off == {(0, 2)}
    assert not view.edited_predictor.layers[1][0][2].any()
    qtbot.waitUntil(lambda: not view.measuring, timeout=WAIT_MS)
    with qtbot.waitSignal(view.accuracy_measured, timeout=WAIT_MS):
        view.bias_boxes[1].setChecked(True)
    assert view.edits.biases_off == {1}
    assert not view.edited_predictor.layers[1][1].any()


def test_pruning_curve_is_measured_in_the_background(tab, qtbot):
    view = tab.break_view
    tab.pages.setCurrentWidget(view)
    view.curve_button.click()
    qtbot.waitUntil(lambda: view.curve_button.isEnabled(), timeout=WAIT_MS * 2)
    curve = view.curve
    assert [p.percent for p in curve][:2] == [0.0, 10.0] and len(curve) == 14
    assert curve[0].accuracy > 0.99 > curve[-1].accuracy
    assert len(view.curve_axes.get_lines()) >= 1


def tiny_model(name: str = "tiny") -> Predictor:
    """A quickly trained-by-hand 784-10-ish net: one unit per class template."""
    test = load_mnist().test
    templates = np.stack([test.x[test.y == d][:200].mean(axis=0) for d in range(10)], axis=1)
    centred = (templates - templates.mean(axis=1, keepdims=True)).astype(np.float32)
    return Predictor(
        [(centred, np.zeros(10, np.float32)), (np.eye(10, dtype=np.float32) * 5, np.zeros(10))],
        "relu",
        name,
    )


@pytest.fixture
def robustness(qtbot, user_store):
    view = RobustnessView()
    qtbot.addWidget(view)
    view.resize(1000, 650)
    view.show()
    view.set_test_set(load_mnist().test)
    yield view
    assert view.shutdown(10_000)


def test_robustness_charts_one_line_per_model_and_cached(robustness, qtbot):
    model = tiny_model()
    robustness.set_predictor(model)
    robustness.choose(CURRENT, NONE)
    with qtbot.waitSignal(robustness.reports_ready, timeout=WAIT_MS * 2) as ready:
        robustness.measure_button.click()
    (report,) = ready.args[0]
    assert report.model_name == "tiny" and report.images == 2000
    lines = robustness.chart_data()
    for kind, damage in DAMAGES.items():
        assert len(lines[kind]) == 1
        np.testing.assert_allclose(lines[kind][0][0], damage.levels)
    assert report.curves["shift"].at(8) < report.curves["shift"].at(0)
    assert len(robustness.cache) == 1
    qtbot.waitUntil(robustness.measure_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(robustness.reports_ready, timeout=5000) as again:
        robustness.measure_button.click()
    assert again.args[0][0] is report


def test_robustness_can_be_stopped(robustness, qtbot):
    robustness.set_predictor(tiny_model())
    robustness.choose(CURRENT, NONE)
    robustness.measure_button.click()
    assert robustness.stop_button.isEnabled()
    robustness.stop_button.click()
    qtbot.waitUntil(lambda: robustness.measure_button.isEnabled(), timeout=5000)
    assert robustness.reports == [] and len(robustness.cache) == 0
    assert "Stopped" in robustness.status.text()


def test_summary_line_follows_the_form_settings(qtbot):
    from digitpad.config import PRESETS

    line = NetworkSummaryLine()
    qtbot.addWidget(line)
    line.set_config(PRESETS["best"])
    assert line.text() == "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB"
    line.set_config(PRESETS["two-hidden"])
    assert line.text().startswith("784-50-30-10 ReLU: 41,090 parameters")
    line.set_config(PRESETS["tutorial"].replace(hidden=(0,)))
    assert line.text().startswith("no network:")


def test_save_as_keeps_the_edited_network_as_a_new_model(qtbot, user_store, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    tab = NetworkTab(store=str(user_store))
    qtbot.addWidget(tab)
    tab.show()
    view = tab.break_view
    try:
        with qtbot.waitSignal(tab.test_set_ready, timeout=WAIT_MS):
            tab.set_predictor(tiny_model())
        assert not view.save_button.isEnabled()  # nothing edited: nothing to save
        view.prune_slider.setValue(50)
        qtbot.waitUntil(lambda: not view.measuring, timeout=WAIT_MS)
        assert view.save_button.isEnabled()
        assert not view.save_as("bad name!") and "not a valid model name" in view.save_status.text()
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("tiny-pruned", True))
        with qtbot.waitSignal(tab.model_saved, timeout=WAIT_MS * 5) as saved:
            view.save_button.click()
        assert saved.args[0].endswith("tiny-pruned")
        loaded = load_predictor("tiny-pruned", str(user_store))
        np.testing.assert_array_equal(loaded.layers[0][0], view.edited_predictor.layers[0][0])
        assert loaded.meta["edits"]["prune_percent"] == 50.0
        assert 0.0 < loaded.test_accuracy < 1.0
        assert tab.robustness_view.second_picker.findText("tiny-pruned") >= 0
    finally:
        assert tab.shutdown(10_000)


def test_switching_models_rebuilds_every_page_and_drops_the_edits(tab, qtbot, model):
    view = tab.break_view
    view.toggle_unit(1, 5)
    assert view.edits.units_off == {(1, 5)}
    small = tiny_model()
    with qtbot.waitSignal(tab.map_view.map_ready, timeout=WAIT_MS):
        tab.set_predictor(small)
    assert view.edits.empty and len(view.bias_boxes) == 2
    assert view.layer_combo.count() == 1 and "10 units" in view.layer_combo.itemText(0)
    assert [tab.map_view.layer_combo.itemText(i) for i in range(3)] == [
        "input pixels (784)",
        "hidden 1 (10)",
        "logits (10)",
    ]
    assert tab.summary_line.text().startswith("tiny: 784-10-10 ReLU: 7,960 parameters")
    assert not tab.toggle_unit(1, 0)  # the small network has one hidden layer
    assert view.edits.empty and "no hidden layer 2" in view.units_label.text()
    assert not tab.toggle_unit(0, 10) and view.edits.empty  # nor an 11th unit
    assert tab.toggle_unit(0, 9) and view.edits.units_off == {(0, 9)}
    with qtbot.waitSignal(tab.map_view.map_ready, timeout=WAIT_MS):
        tab.set_predictor(model)
    assert len(view.bias_boxes) == 3 and view.layer_combo.count() == 2


def test_drawing_on_the_map_pad_moves_the_star_while_the_pen_moves(tab, qtbot):
    from PySide6.QtTest import QTest

    tab.pages.setCurrentWidget(tab.map_view)
    view = tab.map_view
    pad = view.sketch
    assert pad.isVisible() and view.clear_button.isVisible()
    # A zero drawn as one long stroke: the star is placed while the pen is still down, and
    # moves as the stroke goes on.
    ring = [(140 + 60 * np.sin(t), 140 - 100 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 60)]
    where = [pad.map_from_canvas(x, y).toPoint() for x, y in ring]
    left = Qt.MouseButton.LeftButton
    QTest.mousePress(pad, left, Qt.KeyboardModifier.NoModifier, where[0])
    for point in where[1:25]:
        QTest.mouseMove(pad, point)
    qtbot.waitUntil(lambda: view.placement is not None, timeout=WAIT_MS)
    half_way = tuple(float(v) for v in view.placement.point)
    star = view._star.get_data()
    assert list(star[0]) == [half_way[0]] and list(star[1]) == [half_way[1]]
    for point in where[25:]:
        QTest.mouseMove(pad, point)
    qtbot.waitUntil(
        lambda: tuple(float(v) for v in view.placement.point) != half_way, timeout=WAIT_MS
    )
    QTest.mouseRelease(pad, left, Qt.KeyboardModifier.NoModifier, where[-1])
    # The stroke's end is placed too (the throttle never drops the last change).
    qtbot.waitUntil(lambda: not view._place_timer.isActive(), timeout=WAIT_MS)
    nearest = view.hidden_map.labels[view.placement.nearest]
    assert np.mean(nearest == 0) >= 0.6, nearest
    assert "nearest test images" in view.drawing_caption.text()

    qtbot.mouseClick(view.clear_button, left)
    qtbot.waitUntil(lambda: view.placement is None, timeout=WAIT_MS)
    assert pad.is_empty() and list(view._star.get_data()[0]) == []
    # A drawing from the Draw tab still shows after the pad was used.
    tab.set_drawing(drawn_zero())
    qtbot.waitUntil(lambda: view.placement is not None, timeout=WAIT_MS)
