"""The Train tab, used as a person would: fill the form, press Start, Pause, Stop, Save.

Runs train on a 2,000-image subset so that a whole run takes well under a second once
TensorFlow is loaded; the first run in the session pays the ~3 s TensorFlow import.
"""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import LONG, RUN_TIMEOUT_MS, TINY, click, small_data, wait_for_progress
from PySide6.QtCore import Qt

from digitpad import training
from digitpad.config import PRESETS, TrainConfig
from digitpad.data import load_mnist
from digitpad.errors import DataError
from digitpad.evaluation import softmax
from digitpad.gui import train_tab
from digitpad.gui.train_tab import TrainTab
from digitpad.inference import Predictor, load_predictor
from digitpad.store import load_keras_model


@pytest.fixture
def tab(train_tab):
    return train_tab


def run_to_end(qtbot, tab: TrainTab, config: TrainConfig) -> Predictor:
    tab.form.set_config(config)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as trained:
        click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    return trained.args[0]


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


def test_before_a_run_the_empty_charts_span_the_forms_epochs_and_a_run_keeps_its_own(qtbot, tab):
    assert tab.charts.epochs == tab.form.config().epochs
    tab.form.set_config(TINY.replace(epochs=7))
    assert tab.charts.epochs == 7 and not tab.charts.has_curves
    run_to_end(qtbot, tab, TINY)  # 2 epochs
    tab.form.set_config(TINY.replace(epochs=9))
    assert tab.charts.epochs == 2 and tab.charts.has_curves  # the run's curves as they were


def test_the_progress_line_shows_the_last_chunk_of_a_stopped_run(qtbot, user_store, monkeypatch):
    # Progress is shown at most every PROGRESS_MS; what came last is shown when the run ends.
    monkeypatch.setattr(train_tab, "PROGRESS_MS", 60_000)  # nothing after the first, until then
    tab = TrainTab(data_loader=small_data)
    qtbot.addWidget(tab)
    tab.show()
    try:
        tab.form.set_config(LONG)
        seen: list[tuple[int, int]] = []  # (the step reported, the step the bar showed then)
        click(qtbot, tab.start_button)
        # Connected after the tab's own slot: each call sees the bar as the tab left it.
        tab.worker.progressed.connect(
            lambda event: (
                seen.append((event.step, tab.progress.value()))
                if isinstance(event, training.Progress)
                else None
            )
        )
        qtbot.waitUntil(lambda: len(seen) >= 3, timeout=RUN_TIMEOUT_MS)
        assert any(shown < step for step, shown in seen)  # held back by the throttle
        with qtbot.waitSignal(tab.running_changed, timeout=RUN_TIMEOUT_MS):
            click(qtbot, tab.stop_button)
        assert tab.progress.value() == seen[-1][0] > 0
    finally:
        assert tab.shutdown(5000)


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


def test_stop_mid_training_ends_the_worker(qtbot, tab):
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)
    worker = tab.worker
    assert worker is not None and worker.isRunning()

    with qtbot.waitSignal(tab.running_changed, timeout=10_000):
        click(qtbot, tab.stop_button)
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


def test_every_run_stays_listed_and_a_stopped_one_is_marked_partial(qtbot, tab):
    first = run_to_end(qtbot, tab, TINY)
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        click(qtbot, tab.stop_button)

    assert len(tab.runs) == 2
    done, stopped = tab.runs
    assert done.predictor.layers is first.layers and not done.label.partial
    assert stopped.label.partial and "partial: stopped at step" in stopped.text()
    assert f"{stopped.test_accuracy:.2%}" in stopped.text()
    assert done.label.name != stopped.label.name
    assert [run.unsaved for run in tab.runs] == [True, True]


def test_the_save_dialog_names_its_run_and_saves_that_one(qtbot, tab, user_store):
    run_to_end(qtbot, tab, TINY)
    run_to_end(qtbot, tab, TINY.replace(hidden=(16,)))
    older, newer = tab.runs
    tab.show_model(older.predictor)  # the app made the older run current again

    click(qtbot, tab.save_button)
    dialog = tab.save_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.run is older and dialog.run_box.currentText() == older.text()
    assert older.label.name in dialog.run_box.currentText()
    assert f"{older.test_accuracy:.2%}" in dialog.run_box.currentText()
    dialog.name_edit.setText("the-older")
    with qtbot.waitSignal(tab.model_saved, timeout=RUN_TIMEOUT_MS) as saved:
        click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: tab._saver is None)
    assert saved.args[0].layers is older.predictor.layers
    reloaded = load_predictor("the-older")
    for (kernel, bias), (kept_kernel, kept_bias) in zip(
        reloaded.layers, older.predictor.layers, strict=True
    ):
        np.testing.assert_array_equal(kernel, kept_kernel)
        np.testing.assert_array_equal(bias, kept_bias)
    # The Keras file, rebuilt from the kept weights, answers as the run did.
    keras_model = load_keras_model(user_store / "the-older")
    images = load_mnist().test.images[:50]
    np.testing.assert_allclose(
        softmax(np.asarray(keras_model(images.reshape(-1, 784), training=False))),
        older.predictor.predict_proba(images),
        atol=1e-5,
    )
    assert older.saved_as == "the-older" and newer.unsaved
    assert tab.save_button.isEnabled()  # the newer run is still unsaved


def test_saving_mid_run_offers_only_finished_runs_and_says_which(qtbot, tab):
    run_to_end(qtbot, tab, TINY)
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)
    click(qtbot, tab.save_button)
    dialog = tab.save_dialog
    assert dialog.run_box.count() == 1 and dialog.run is tab.runs[0]
    assert "epoch" not in dialog.run_box.currentText()  # no claim about the run under way
    dialog.reject()
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        click(qtbot, tab.stop_button)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("default", "comes with digitpad"), ("bad name!", "not a valid model name"), ("", "valid")],
)
def test_the_save_dialog_stays_open_on_a_bad_name_and_says_why(qtbot, tab, text, problem):
    run_to_end(qtbot, tab, TINY)
    tab.save_model()
    dialog = tab.save_dialog
    dialog.name_edit.setText(text)
    assert problem in dialog.problem.text()
    assert not dialog.save_button.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.name_edit.text() == text  # nothing typed is lost
    dialog.name_edit.setText("fixed")
    assert dialog.problem.text() == "" and dialog.save_button.isEnabled()
    dialog.reject()


def test_the_save_dialog_says_when_it_replaces(qtbot, tab, user_store):
    (user_store / "taken").mkdir(parents=True)
    run_to_end(qtbot, tab, TINY)
    tab.save_model()
    dialog = tab.save_dialog
    dialog.name_edit.setText("taken")
    assert "replaces" in dialog.problem.text() and dialog.save_button.text() == "Replace"
    assert dialog.overwrite
    dialog.reject()


def test_a_diverged_run_that_never_learned_is_not_offered_for_saving(qtbot, tab):
    tab.form.set_config(TINY.replace(optimizer="sgd", learning_rate=90.0, init="he"))
    with qtbot.waitSignal(
        tab.running_changed, timeout=RUN_TIMEOUT_MS, check_params_cb=lambda r: not r
    ):
        click(qtbot, tab.start_button)
    assert tab.runs and tab.runs[0].label.status == "diverged"
    assert tab.runs[0].not_saveable and not tab.runs[0].unsaved
    assert not tab.save_button.isEnabled() and not tab.can_save
    assert "Not offered for saving" in tab.notice.text.text()


def test_step_epoch_between_runs_starts_a_run_that_pauses_after_one_epoch(qtbot, tab):
    tab.form.set_config(TrainConfig(hidden=(32,), epochs=3, batch_size=50))
    assert tab.step_button.isEnabled()
    click(qtbot, tab.step_button)
    assert tab.is_running
    qtbot.waitUntil(lambda: "epoch   1/3" in tab.log.toPlainText(), timeout=RUN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: tab.worker.paused, timeout=RUN_TIMEOUT_MS)
    assert "epoch   2/3" not in tab.log.toPlainText()
    assert tab.pause_button.text() == "Resume" and tab.step_button.isEnabled()
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        click(qtbot, tab.stop_button)


def test_one_step_is_singular(qtbot, tab):
    from digitpad.runs import plural

    assert plural(1, "step") == "1 step" and plural(2, "step") == "2 steps"
    assert plural(5500, "step") == "5,500 steps"
    run_to_end(qtbot, tab, TINY)
    assert "steps in" in tab.rate.text() and not tab.rate.text().startswith("1 steps")


def test_the_log_shows_the_newest_line_after_runs_made_while_hidden(qtbot, tab):
    tab.log.setMaximumHeight(80)
    for _ in range(2):
        run_to_end(qtbot, tab, TINY)
    tab.hide()  # the user looks at another tab while the next runs go
    for _ in range(3):
        tab.start()
        qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    tab.show()
    qtbot.waitExposed(tab)
    bar = tab.log.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())


def test_the_log_follows_quick_start_stop_clicks(qtbot, tab):
    tab.log.setMaximumHeight(80)
    tab.form.set_config(LONG)
    bar = tab.log.verticalScrollBar()
    for _ in range(4):
        click(qtbot, tab.start_button)
        click(qtbot, tab.stop_button)
        qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
        qtbot.wait(10)
        assert bar.value() == bar.maximum()


def test_the_log_stays_where_the_user_scrolled(qtbot, tab):
    tab.log.setMaximumHeight(80)
    run_to_end(qtbot, tab, TINY)
    run_to_end(qtbot, tab, TINY)
    bar = tab.log.verticalScrollBar()
    bar.triggerAction(bar.SliderAction.SliderToMinimum)
    qtbot.wait(10)
    tab._log("a new line")
    assert bar.value() == 0


def test_opening_another_model_updates_the_heading(qtbot, tab):
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        click(qtbot, tab.stop_button)
    assert "Stopped at step" in tab.notice.text.text()
    tab.show_model(load_predictor())
    assert "Stopped" not in tab.notice.text.text()
    assert "Now using default" in tab.notice.text.text()
    assert tab.rate.text() == ""
