"""The Train tab, used as a person would: fill the form, press Start, Pause, Stop, Save.

Runs train on a 2,000-image subset so that a whole run takes well under a second once
TensorFlow is loaded; the first run in the session pays the ~3 s TensorFlow import.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from digitpad import training
from digitpad.config import PRESETS, TrainConfig
from digitpad.errors import DataError
from digitpad.gui.train_tab import TrainTab
from digitpad.inference import Predictor, load_predictor

RUN_TIMEOUT_MS = 60_000
TINY = TrainConfig(hidden=(32,), epochs=2, batch_size=50)
LONG = TrainConfig(hidden=(32,), epochs=1000, batch_size=50)


@pytest.fixture
def tab(train_tab):
    return train_tab


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def run_to_end(qtbot, tab: TrainTab, config: TrainConfig) -> Predictor:
    tab.form.set_config(config)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as trained:
        click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    return trained.args[0]


def wait_for_progress(qtbot, tab: TrainTab) -> None:
    qtbot.waitUntil(
        lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS
    )


def test_a_tiny_run_fills_the_charts_and_hands_over_its_model(qtbot, tab):
    predictor = run_to_end(qtbot, tab, TINY)

    assert isinstance(predictor, Predictor)
    assert predictor.test_accuracy > 0.5
    assert predictor.layers[0][0].shape == (784, 32)
    assert tab.progress.value() == tab.progress.maximum() > 0
    lines = tab.charts.line_data()
    assert len(lines["loss"][0]) >= 2 and lines["loss"][0][-1] == pytest.approx(2.0)
    assert len(lines["val_accuracy"][1]) == 2
    assert 0.5 < lines["val_accuracy"][1][-1] <= 1.0
    log = tab.log.toPlainText()
    assert "epoch   1/2" in log and "epoch   2/2" in log and "Completed" in log
    assert "Completed" in tab.notice.text.text() and "test accuracy" in tab.notice.text.text()
    assert tab.save_button.isEnabled() and tab.start_button.isEnabled()
    assert not tab.stop_button.isEnabled() and tab.form.isEnabled()


def test_save_model_reports_errors_in_a_dialog_then_saves_off_the_gui_thread(
    qtbot, tab, user_store
):
    (user_store / "taken").mkdir(parents=True)
    run_to_end(qtbot, tab, TINY)

    tab.save_model("taken")
    qtbot.waitUntil(lambda: tab.error_box is not None and tab.error_box.isVisible(), timeout=10_000)
    assert "already exists" in tab.error_box.text()
    tab.error_box.close()
    qtbot.waitUntil(lambda: tab.save_button.isEnabled(), timeout=10_000)
    tab.save_model("bad name!")
    assert "not a valid model name" in tab.error_box.text()
    assert tab.save_button.isEnabled()

    with qtbot.waitSignal(tab.model_saved, timeout=RUN_TIMEOUT_MS) as saved:
        tab.save_model("tiny-run")
    assert saved.args[0].name == "tiny-run"
    qtbot.waitUntil(lambda: not tab.save_button.isEnabled() and tab._saver is None)
    assert (user_store / "tiny-run" / "model.keras").is_file()
    reloaded = load_predictor("tiny-run")
    assert reloaded.test_accuracy == saved.args[0].test_accuracy
    assert "as tiny-run" in tab.notice.text.text()


def test_stop_mid_training_ends_the_worker_within_two_seconds(qtbot, tab):
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)
    worker = tab.worker
    assert worker is not None and worker.isRunning()

    started = time.monotonic()
    with qtbot.waitSignal(tab.running_changed, timeout=2000):
        click(qtbot, tab.stop_button)
    assert time.monotonic() - started < 2.0
    assert worker.isFinished() and tab.worker is None
    assert "Stopped" in tab.notice.text.text()
    assert tab.progress.value() < tab.progress.maximum()
    assert tab.start_button.isEnabled()


def test_pause_holds_the_run_and_resume_goes_on(qtbot, tab):
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)

    click(qtbot, tab.pause_button)
    assert tab.pause_button.text() == "Resume"
    qtbot.wait(300)  # let a chunk already under way report
    held = tab.progress.value()
    qtbot.wait(300)
    assert tab.progress.value() == held

    click(qtbot, tab.pause_button)
    assert tab.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: tab.progress.value() > held, timeout=10_000)
    with qtbot.waitSignal(tab.running_changed, timeout=2000):
        click(qtbot, tab.stop_button)


def test_a_failing_run_shows_a_readable_error_and_the_next_run_works(
    qtbot, tab, monkeypatch, capsys
):
    real_train = training.train

    def broken_train(config, data, control=None):
        yield training.Started(config, 1, 1, len(data.train))
        raise ValueError("weights went sideways")

    monkeypatch.setattr(training, "train", broken_train)
    tab.form.set_config(TINY)
    with qtbot.waitSignal(
        tab.running_changed, timeout=RUN_TIMEOUT_MS, check_params_cb=lambda r: not r
    ):
        click(qtbot, tab.start_button)
    assert tab.notice.kind == "error"
    assert "ValueError: weights went sideways" in tab.notice.text.text()
    assert "Traceback" in capsys.readouterr().err  # a bug keeps its traceback, on stderr
    assert tab.start_button.isEnabled() and tab.form.isEnabled()

    monkeypatch.setattr(training, "train", real_train)
    predictor = run_to_end(qtbot, tab, TINY)
    assert predictor.test_accuracy > 0.5
    assert tab.notice.kind == "info"


def test_a_data_error_is_shown_as_is(qtbot, user_store):
    def missing():
        raise DataError("mnist.npz: file not found")

    tab = TrainTab(data_loader=missing)
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.running_changed, timeout=10_000, check_params_cb=lambda r: not r):
        tab.start()
    assert tab.notice.text.text() == "Training failed: mnist.npz: file not found"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("50,abc", "is not a list of whole numbers"),
        ("0", "width 0 must be between 1 and 8192"),
        ("", "needs at least one hidden layer width"),
        ("1,2,3,4,5,6,7,8,9", "at most 8 hidden layers"),
    ],
)
def test_invalid_hidden_widths_disable_start_and_say_why(qtbot, tab, text, message):
    tab.form.hidden.clear()
    qtbot.keyClicks(tab.form.hidden, text)
    assert not tab.start_button.isEnabled()
    assert message in tab.form.error_text("hidden")

    tab.form.hidden.setText("50,30")
    assert tab.start_button.isEnabled()
    assert tab.form.error_text("hidden") == ""
    assert tab.form.config().hidden == (50, 30)


def test_presets_fill_the_form_and_an_edit_makes_it_custom(qtbot, tab):
    tab.form.preset.setCurrentText("two-hidden")
    assert tab.form.config() == PRESETS["two-hidden"]
    assert tab.form.hidden.text() == "50,30"
    assert tab.form.momentum.isEnabled() is False  # plain SGD: momentum means nothing

    tab.form.learning_rate.setValue(0.25)
    assert tab.form.preset.currentText() == "custom"
    assert tab.form.config().learning_rate == 0.25

    tab.form.set_config(PRESETS["best"])
    assert tab.form.preset.currentText() == "best"
    assert tab.form.config() == PRESETS["best"]


def test_the_learning_rate_keeps_six_decimals(qtbot, tab):
    tab.form.learning_rate.setValue(0.000125)
    assert tab.form.config().learning_rate == pytest.approx(0.000125)
    assert tab.form.learning_rate.text() == "0.000125"
