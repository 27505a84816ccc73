"""Looking inside, as a person would: the weights while training, stepping one epoch, a new
learning rate mid-run, the units and pixels behind a drawing, and the confidence threshold the
Draw and Mistakes tabs share."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import LONG, RUN_TIMEOUT_MS, click, small_data
from PySide6.QtCore import QSettings

from digitpad.config import TrainConfig
from digitpad.coverage import meets_threshold
from digitpad.data import load_mnist
from digitpad.gui.draw_tab import NOT_SURE, DrawTab
from digitpad.gui.main_window import MainWindow
from digitpad.gui.train_tab import SNAPSHOT_SECONDS, TrainTab
from digitpad.inference import load_predictor

# 2,000 images in batches of 50: 40 steps per epoch, one chunk each.
STEPS_PER_EPOCH = 40


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


@pytest.fixture
def tab(train_tab):
    return train_tab


def start_long_run(qtbot, tab: TrainTab) -> None:
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(
        lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS
    )


def test_the_inside_page_shows_live_weights_only_while_someone_looks(qtbot, tab):
    tab.views.setCurrentWidget(tab.inside)
    start_long_run(qtbot, tab)
    control = tab.worker.control
    assert control.snapshot_seconds == SNAPSHOT_SECONDS
    qtbot.waitUntil(lambda: tab.inside.renders >= 2, timeout=10_000)
    inside = tab.inside
    assert inside.shown_units == 32
    assert inside.grid_view.image.width() == 6 * 29 - 1  # 32 tiles in a 6-wide grid
    assert [h.isVisible() for h in inside.histograms] == [True, True]
    assert inside.histograms[0].initial is not None and inside.histograms[0].now.sum() == 784 * 32
    assert "hidden layer 1:" in inside.dead_label.text() and "of 32" in inside.dead_label.text()
    assert "step" in inside.caption.text()
    low, middle, high = inside.scale.labels
    assert middle == "0" and low == "-" + high.lstrip("+")

    # Nobody looks at the weights: the run stops sending them.
    tab.views.setCurrentIndex(0)
    assert control.snapshot_seconds is None
    tab.views.setCurrentWidget(tab.inside)
    assert control.snapshot_seconds == SNAPSHOT_SECONDS
    tab.hide()
    assert control.snapshot_seconds is None
    tab.show()

    # At the end, the final weights, still against the run's initial ones.
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as trained:
        click(qtbot, tab.stop_button)
    assert inside.layers is trained.args[0].layers
    assert inside.histograms[0].initial is not None
    assert "final weights" in inside.caption.text()


def test_step_epoch_runs_exactly_one_epoch_and_a_new_rate_is_marked_on_the_curves(qtbot, tab):
    start_long_run(qtbot, tab)
    assert not tab.step_button.isEnabled() and tab.live_rate.isEnabled()
    click(qtbot, tab.pause_button)
    qtbot.wait(300)  # let the chunk under way report
    held = tab.progress.value()
    assert tab.step_button.isEnabled()

    click(qtbot, tab.step_button)
    qtbot.waitUntil(lambda: tab.progress.value() > held, timeout=10_000)
    qtbot.waitUntil(lambda: "Paused after epoch" in tab.notice.text.text(), timeout=10_000)
    qtbot.wait(300)
    assert tab.progress.value() == held + STEPS_PER_EPOCH
    assert tab.worker.paused and tab.pause_button.text() == "Resume"

    tab.live_rate.setValue(0.0005)
    click(qtbot, tab.set_rate_button)
    assert "when training resumes" in tab.notice.text.text()
    click(qtbot, tab.pause_button)  # Resume
    qtbot.waitUntil(lambda: bool(tab.charts.learning_rate_marks), timeout=10_000)
    (epoch, rate), *_ = tab.charts.learning_rate_marks
    assert rate == 0.0005 and epoch == pytest.approx((held + STEPS_PER_EPOCH) / STEPS_PER_EPOCH)
    assert "learning rate 0.0005" in tab.log.toPlainText()
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        click(qtbot, tab.stop_button)
    # Between runs Step epoch starts a one-epoch run (issue 10, item 14).
    assert not tab.live_rate.isEnabled() and tab.step_button.isEnabled()
    tab.charts.reset(3)
    assert tab.charts.learning_rate_marks == []


def test_between_runs_the_inside_page_shows_the_current_model(qtbot, tab, predictor):
    tab.views.setCurrentWidget(tab.inside)
    tab.show_model(predictor)
    assert tab.inside.shown_units == 100
    assert "first 100 of 800 units" in tab.inside.grid_note.text()
    assert len([h for h in tab.inside.histograms if h.isVisible()]) == 3
    assert tab.inside.histograms[0].initial is None  # a stored model's start is unknown
    assert "default" in tab.inside.caption.text()


@pytest.fixture
def draw(qtbot, predictor):
    widget = DrawTab(predictor)
    qtbot.addWidget(widget)
    widget.resize(1000, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_drawing_lights_up_hidden_units_and_shows_which_pixels_decided(draw, predictor):
    image = load_mnist().test.images[0]  # a 7
    draw.load_image(image)
    explanation = draw.explanation
    assert explanation.digit == draw.top_digit == 7
    # 800 units as a 20×40 grid of cells, one image.
    activations = draw.activations_view.image
    assert (activations.width(), activations.height()) == (40, 20)
    firing = int((explanation.hidden[0] > 0).sum())
    assert f"800 units, {firing} fire" in draw.activations_caption.text()
    # The saliency: the network's input, tinted by input × gradient of the 7's score.
    assert draw.saliency_caption.text() == "Why 7"
    assert draw.saliency_view.image.width() == 28
    expected = predictor.saliency(draw.network_input)
    np.testing.assert_allclose(explanation.saliency, expected, rtol=1e-5, atol=1e-7)
    # Two hidden layers: the second can be shown instead.
    assert draw.layer_choice.isVisibleTo(draw) and draw.layer_choice.count() == 2
    draw.layer_choice.setCurrentIndex(1)
    assert draw.activations_caption.text().startswith("Hidden layer 2")
    draw.canvas.clear()
    assert draw.explanation is None
    assert draw.activations_caption.text() == "Hidden layer 2: 800 units"  # all dark now


def test_below_the_threshold_the_draw_tab_says_not_sure(qtbot, draw, predictor):
    test = load_mnist().test
    confidence = predictor.predict_proba(test.x[:2000]).max(axis=1)
    unsure = int(np.flatnonzero((confidence > 0.6) & (confidence < 0.9))[0])
    draw.load_image(test.images[unsure])
    guess, sure = draw.top_digit, float(draw.probabilities.max())
    assert draw.digit_label.text() == str(guess) and draw.is_sure  # no threshold yet
    above = int(np.ceil(sure * 100)) + 1
    draw.threshold_slider.setValue(above)
    assert draw.threshold.value == pytest.approx(above / 100)
    assert not draw.is_sure and draw.digit_label.text() == NOT_SURE
    assert f"best guess {guess}" in draw.confidence_label.text()
    assert draw.top_digit == guess  # the guess itself is unchanged
    draw.threshold_slider.setValue(0)
    assert draw.digit_label.text() == str(guess)


def test_the_threshold_is_shared_and_the_mistakes_tab_counts_what_it_does(
    qtbot, user_store, tmp_path
):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(window)
    mistakes = window.mistakes_tab
    qtbot.waitUntil(lambda: mistakes.evaluation is not None, timeout=30_000)
    assert "Always answering" in mistakes.coverage_label.text()

    window.draw_tab.threshold_slider.setValue(90)
    assert mistakes.threshold_spin.value() == pytest.approx(90.0)
    evaluation = mistakes.evaluation
    # Counted as the grid greys them: compared at the 0.1 % the app shows (a "90.0 %" answers).
    answered = np.array([meets_threshold(float(c), 0.9) for c in evaluation.confidence])
    right = answered & (evaluation.predicted == evaluation.labels)
    coverage = mistakes.coverage
    assert (coverage.answered, coverage.right) == (int(answered.sum()), int(right.sum()))
    held_back = [
        mistakes.grid_model.held_back(row) for row in range(mistakes.grid_model.rowCount())
    ]
    shown = mistakes.grid_model.indices
    assert held_back == [not answered[i] for i in shown]
    assert f"Answers {coverage.answered:,} of 10,000" in mistakes.coverage_label.text()
    assert mistakes.coverage_chart.marker == pytest.approx((coverage.coverage, coverage.accuracy))

    mistakes.threshold_spin.setValue(95.0)  # and back the other way
    assert window.draw_tab.threshold.value == pytest.approx(0.95)
    assert window.draw_tab.threshold_slider.value() == 95
    window.close()
    again = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(again)
    assert again.threshold.value == pytest.approx(0.95)  # remembered
    again.close()
    assert mistakes.wait_for_background() and again.mistakes_tab.wait_for_background()


def run_unwatched(qtbot, tab: TrainTab, config: TrainConfig) -> None:
    tab.views.setCurrentIndex(0)  # the curves: nobody looks inside during the run
    tab.form.set_config(config)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    tab.views.setCurrentWidget(tab.inside)


def test_dead_units_are_counted_from_the_final_weights_without_watching(qtbot, tab):
    run_unwatched(qtbot, tab, TrainConfig(hidden=(32,), epochs=1, batch_size=50, loss="mse"))
    inside = tab.inside
    assert inside.units_title.text() == "Dead ReLU units"
    assert (
        "hidden layer 1:" in inside.dead_label.text() and "of 32 dead" in inside.dead_label.text()
    )
    # The caption says what the run was, down to the setting that differs from its preset.
    assert "Settings: tutorial preset with" in inside.caption.text()
    assert "loss mse" in inside.caption.text()


def test_tanh_shows_saturation_not_dead_units(qtbot, tab):
    run_unwatched(
        qtbot, tab, TrainConfig(hidden=(32, 16), epochs=1, batch_size=50, activation="tanh")
    )
    inside = tab.inside
    assert inside.units_title.text() == "Saturated tanh units"
    text = inside.dead_label.text()
    assert "hidden layer 1:" in text and "of 32 pinned" in text and "of 16 pinned" in text
    assert "dead" not in text.lower()
