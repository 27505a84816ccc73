"""The training charts: per-chunk values faint, smoothed bold, comparable measurements, ticks."""

from __future__ import annotations

import math

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
    charts.canvas.draw()
    ticks = [t for t in charts.accuracy_axes.get_xticks() if 0 <= t <= 1]
    assert len(ticks) >= 3 and any(not float(t).is_integer() for t in ticks)
    assert charts.loss_axes.get_xlim()[1] > 1.0
    charts.reset(10)
    ticks = charts.accuracy_axes.get_xticks()
    assert all(float(t).is_integer() for t in ticks) and charts.loss_axes.get_xlim()[1] > 10
    assert math.isclose(charts.smoothing, DEFAULT_SMOOTHING)
