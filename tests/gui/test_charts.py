"""The training charts: per-chunk values faint, smoothed bold, comparable measurements, ticks."""

from __future__ import annotations

import math
import os
import sys
import threading

import numpy as np
import pytest

from digitpad.curves import DEFAULT_SMOOTHING, smooth


@pytest.fixture
def charts(qtbot):
    from digitpad.gui.charts import TrainingCharts

    widget = TrainingCharts()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    return widget


def test_training_points_are_plotted_raw_and_smoothed_without_reset(charts):
    charts.reset(2)
    losses = [2.0, 1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38]
    epochs = [0.25 * (i + 1) for i in range(len(losses))]
    for epoch, loss in zip(epochs, losses, strict=True):
        charts.add_training(epoch, loss, 1 - loss / 3)
    charts.finish()
    lines = charts.line_data()
    np.testing.assert_allclose(lines["loss_raw"][1], losses)
    np.testing.assert_allclose(lines["loss"][1], smooth(losses, charts.smoothing))
    # Across the epoch boundary (after 1.0) the curves carry on: nothing restarts.
    np.testing.assert_allclose(lines["loss_raw"][0], epochs)
    charts.set_smoothing(0.0)
    np.testing.assert_allclose(charts.line_data()["loss"][1], losses)
    charts.smoothing_slider.setValue(90)
    assert charts.smoothing == pytest.approx(0.9)
    np.testing.assert_allclose(charts.line_data()["loss"][1], smooth(losses, 0.9))


def test_validation_carries_the_training_subset_measured_alike(charts):
    charts.reset(1)
    charts.add_validation(1.0, 0.3, 0.91, 0.25, 0.93)
    charts.add_validation(1.0, 0.3, 0.91)  # an older event without the training measurement
    charts.finish()
    lines = charts.line_data()
    assert list(lines["train_eval_accuracy"][1]) == [0.93]
    assert list(lines["val_accuracy"][1]) == [0.91, 0.91]
    assert "validation" in charts.caption.text() and "training" in charts.caption.text()


def test_a_one_epoch_run_has_fractional_ticks_and_room_for_its_last_marker(charts):
    charts.reset(1)
    charts.add_training(0.5, 1.0, 0.7)
    charts.add_validation(1.0, 0.5, 0.85, 0.45, 0.87)
    charts.finish()
    assert charts.wait_rendered()
    renderer = charts.renderer()
    ticks = [t for t in renderer.accuracy_axes.get_xticks() if 0 <= t <= 1]
    assert len(ticks) >= 3 and any(not float(t).is_integer() for t in ticks)
    assert renderer.loss_axes.get_xlim()[1] > 1.0
    charts.reset(10)
    charts.finish()
    assert charts.wait_rendered()
    ticks = renderer.accuracy_axes.get_xticks()
    assert all(float(t).is_integer() for t in ticks) and renderer.loss_axes.get_xlim()[1] > 10
    assert math.isclose(charts.smoothing, DEFAULT_SMOOTHING)


def test_the_figure_is_drawn_off_the_gui_thread_and_shown(charts, qtbot, monkeypatch):
    import threading

    from digitpad.gui import chart_renderer

    threads = []
    render = chart_renderer.ChartRenderer.render

    def recording(self, scene):
        threads.append(threading.current_thread())
        return render(self, scene)

    monkeypatch.setattr(chart_renderer.ChartRenderer, "render", recording)
    charts.reset(2)
    with qtbot.waitSignal(charts.rendered, timeout=10_000):
        charts.add_training(0.5, 1.0, 0.7)
        charts.finish()
    assert threads and threading.main_thread() not in threads
    assert charts.wait_rendered()  # a resize after the first picture renders a new one
    image = charts.plot.image
    ratio = charts.plot.devicePixelRatioF()
    assert (image.width(), image.height()) == (
        round(charts.plot.width() * ratio),
        round(charts.plot.height() * ratio),
    )


def _pixels_of(image, hex_colour: str) -> int:
    """How many pixels of ``image`` are (nearly) ``hex_colour``."""
    from PySide6.QtGui import QColor, QImage

    target = QColor(hex_colour)
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)  # bytes in R, G, B, A order
    rgba = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    rgba = rgba[:, : image.width() * 4].reshape(image.height(), image.width(), 4).astype(int)
    near = np.abs(rgba[..., :3] - [target.red(), target.green(), target.blue()]).max(axis=2) < 8
    return int(near.sum())


def test_new_points_are_painted_over_the_frame_without_a_full_draw(charts):
    from digitpad.gui.chart_renderer import TRAIN_COLOR, VAL_COLOR

    charts.reset(4)
    charts.add_training(0.1, 2.0, 0.5)
    charts.finish()
    assert charts.wait_rendered()
    orange, blue = (
        _pixels_of(charts.plot.image, VAL_COLOR),
        _pixels_of(charts.plot.image, TRAIN_COLOR),
    )
    drawn = charts.renderer().full_draws
    # Within the ranges: blitted over the saved frame.
    charts.add_training(0.2, 1.5, 0.6)
    charts.add_validation(1.0, 1.2, 0.7)
    charts.finish()
    assert charts.wait_rendered()
    assert charts.renderer().full_draws == drawn
    assert _pixels_of(charts.plot.image, VAL_COLOR) > orange
    assert _pixels_of(charts.plot.image, TRAIN_COLOR) > blue
    # A loss above the top of the axes moves the range: the frame is drawn again.
    charts.add_training(0.3, 5.0, 0.6)
    charts.finish()
    assert charts.wait_rendered()
    assert charts.loss_limits[1] > 5.0
    assert charts.renderer().full_draws == drawn + 1


def test_a_run_s_first_point_costs_one_full_draw_and_a_run_like_the_last_none(charts):
    charts.reset(4)
    assert charts.wait_rendered()
    drawn = charts.renderer().full_draws
    # One event's loss and accuracy arrive together: one new frame, not one per value.
    charts.add_training(0.1, 2.0, 0.5)
    assert charts.wait_rendered()
    assert charts.renderer().full_draws == drawn + 1
    first = (charts.loss_limits, charts.accuracy_limits)
    assert first[0][1] > 2.0 and first[1][0] < 0.5
    charts.finish()

    # The next run's empty axes keep the last run's scale until its first points...
    charts.reset(4)
    assert charts.wait_rendered()
    assert (charts.loss_limits, charts.accuracy_limits) == first
    # ...which set the ranges afresh: the same points, the same frame, no full draw.
    charts.add_training(0.1, 2.0, 0.5)
    assert charts.wait_rendered()
    assert charts.renderer().full_draws == drawn + 1
    charts.finish()

    # A run whose loss stays far below the last one's is fitted to its own points.
    charts.reset(4)
    charts.add_training(0.1, 0.4, 0.9)
    assert charts.wait_rendered()
    assert charts.loss_limits[1] < 0.5 and charts.accuracy_limits[0] > 0.85


def test_the_render_thread_skips_to_the_newest_job_of_a_key():
    from digitpad.gui.chart_renderer import RenderThread

    thread = RenderThread(name="test-renderer")
    gate = threading.Event()
    ran = []
    thread.submit("a", gate.wait)
    for value in range(5):
        thread.submit("b", lambda value=value: ran.append(value))
    gate.set()
    assert thread.wait_idle(10)
    assert ran == [4]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_the_render_thread_runs_at_the_background_priority_and_the_caller_keeps_its_own():
    from digitpad.gui.chart_renderer import RenderThread
    from digitpad.priority import BACKGROUND_NICE

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = niceness()
    seen = []
    thread = RenderThread(name="test-renderer")
    thread.submit("a", lambda: seen.append(niceness()))
    assert thread.wait_idle(10)
    assert seen == [min(19, before + BACKGROUND_NICE)]
    assert niceness() == before
