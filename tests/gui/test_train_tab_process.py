"""The Train tab with training in its own process: the same buttons, the same signals, and a
dead process costs one line of text, not the app or its models.

One process serves most tests (it imports TensorFlow once). The check that the app's process
never imports TensorFlow runs the window in a fresh Python (tests/gui/process_app_run.py),
because other tests in this session import TensorFlow themselves.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from gui_support import click, small_data

from digitpad.config import TrainConfig
from digitpad.gui import train_worker
from digitpad.gui.train_tab import TrainTab
from digitpad.inference import load_predictor
from digitpad.training.process import TrainerProcess

RUN_TIMEOUT_MS = 120_000
TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=50)
LONG = TrainConfig(hidden=(16,), epochs=1000, batch_size=50, validate_every=10)
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def trainer():
    process = TrainerProcess(small_data, nice=0)  # a busy test machine: no lower priority
    process.ensure_started(TINY)
    yield process
    process.close()


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Each test ends the processes it started (the module's shared one excepted)."""
    before = {p.pid for p in multiprocessing.active_children()}
    yield
    left = {p.pid for p in multiprocessing.active_children()} - before
    assert not left, f"processes left running: {left}"


@pytest.fixture
def tab(qtbot, user_store, trainer):
    widget = TrainTab(data_loader=small_data)
    qtbot.addWidget(widget)
    widget.resize(1100, 750)
    widget.show()
    qtbot.waitExposed(widget)
    widget.use_training_process(trainer)
    yield widget
    # Not shutdown(): that would end the shared process. End this tab's run and save.
    if widget.is_running:
        widget.stop()
    qtbot.waitUntil(lambda: not widget.is_running and widget._saver is None, timeout=10_000)


def run_to_end(qtbot, tab: TrainTab, config: TrainConfig):
    tab.form.set_config(config)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS) as trained:
        click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    return trained.args[0]


def wait_for_progress(qtbot, tab: TrainTab) -> None:
    qtbot.waitUntil(
        lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS
    )


def test_start_pause_step_rate_and_stop_work_through_the_process(qtbot, tab, monkeypatch):
    # The graceful stop is under test here (the run ends itself and its weights are kept); on
    # a loaded machine the process may answer after STOP_SECONDS and be ended instead, which
    # test_stop_while_the_process_still_starts_up_ends_it covers. How long Stop takes is a
    # benchmark's question.
    monkeypatch.setattr(train_worker, "STOP_SECONDS", 30.0)
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)

    click(qtbot, tab.pause_button)
    assert tab.pause_button.text() == "Resume" and tab.step_button.isEnabled()
    qtbot.wait(500)  # what was under way reports
    held = tab.progress.value()
    qtbot.wait(400)
    assert tab.progress.value() == held

    tab.set_learning_rate(0.0042)
    click(qtbot, tab.step_button)
    qtbot.waitUntil(lambda: "Paused after epoch 1" in tab.notice.text.text(), timeout=10_000)
    assert tab.progress.value() == 40  # 2,000 images in batches of 50: the end of epoch 1
    assert tab.worker.paused and tab.pause_button.text() == "Resume"
    assert "learning rate 0.0042" in tab.log.toPlainText()

    click(qtbot, tab.pause_button)
    qtbot.waitUntil(lambda: tab.progress.value() > 40, timeout=10_000)
    assert tab.live_rate.value() == pytest.approx(0.0042)
    with qtbot.waitSignal(tab.running_changed, timeout=RUN_TIMEOUT_MS):
        click(qtbot, tab.stop_button)
    assert "Stopped" in tab.notice.text.text() and tab.can_save


def test_a_killed_process_is_reported_the_models_kept_and_the_next_start_works(
    qtbot, tab, trainer, user_store
):
    kept = run_to_end(qtbot, tab, TINY)
    assert tab.can_save
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    wait_for_progress(qtbot, tab)

    trained: list = []
    tab.model_trained.connect(trained.append)
    with qtbot.waitSignal(
        tab.running_changed, timeout=10_000, check_params_cb=lambda running: not running
    ):
        os.kill(trainer.pid, signal.SIGKILL)
    text = tab.notice.text.text()
    assert tab.notice.kind == "error" and "\n" not in text
    assert "killed (SIGKILL" in text and "models are kept" in text
    assert not trained and tab.can_save and tab.start_button.isEnabled()

    # The model from before the crash is still there to save, by a new process.
    with qtbot.waitSignal(tab.model_saved, timeout=RUN_TIMEOUT_MS) as saved:
        tab.save_model("before-the-crash")
    assert saved.args[0].layers is kept.layers
    stored = load_predictor("before-the-crash", user_store)
    assert stored.test_accuracy == kept.test_accuracy

    again = run_to_end(qtbot, tab, TINY)
    assert again.test_accuracy > 0.5 and tab.notice.kind == "info"
    trainer.close()  # the replacement ends here, with this test (its thread is this test's)
    assert not trainer.alive


def test_stop_while_the_process_still_starts_up_ends_it(qtbot, user_store):
    tab = TrainTab(data_loader=small_data)
    qtbot.addWidget(tab)
    tab.show()
    tab.use_training_process(TrainerProcess(small_data, nice=0))  # new: importing TensorFlow
    busy_pid = tab._trainer.pid
    tab.form.set_config(LONG)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.worker.control.begun)  # sent: the process has it, not yet read
    # Ended with its process (how fast is benchmarks/start_latency.py's question, not a test's).
    with qtbot.waitSignal(tab.running_changed, timeout=10_000):
        click(qtbot, tab.stop_button)
    assert "Stopped before its first step: its process, busy for over a second, was ended" in (
        tab.notice.text.text()
    )
    assert tab.start_button.isEnabled() and not tab.can_save
    # A fresh process is on its way for the next Start; closing the tab ends it.
    qtbot.waitUntil(lambda: tab._trainer.pid not in (None, busy_pid), timeout=5000)
    assert tab.shutdown(5000)
    assert not tab._trainer.alive


def test_a_loader_the_process_cannot_receive_is_a_clear_error(qtbot, user_store):
    tab = TrainTab(data_loader=lambda: small_data())  # a lambda does not pickle
    qtbot.addWidget(tab)
    tab.use_training_process()
    tab.form.set_config(TINY)
    with qtbot.waitSignal(tab.running_changed, timeout=10_000, check_params_cb=lambda r: not r):
        tab.start()
    text = tab.notice.text.text()
    assert text.startswith("Training failed: cannot start the training process:")
    assert "\n" not in text and tab.start_button.isEnabled()
    assert tab.shutdown(5000)


def test_the_app_process_never_imports_tensorflow_and_closing_ends_the_trainer():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(HERE / "process_app_run.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["tensorflow"] is False and report["keras"] is False
    assert report["trained"] == 1 and report["accuracy"] > 0.5
    assert report["saved"] == "from-the-window", report["error"]
    assert report["taught"] == "from-the-window-mine"  # taught in the training process too
    # Every event arrived, in order: Started first, every chunk up to the last step.
    assert report["first"] == "Started"
    assert report["progress_steps"] == list(range(10, report["started_total"] + 1, 10))
    assert report["epoch_ends"] == [1, 2] and report["validations"] == 2 + 6
    # Closed mid-run: the training process is gone, within the window's bounded wait.
    assert not report["child_left"] and report["children"] == 0
    assert report["close_seconds"] < 3.5
    # The first run's TensorBoard logs were written (by the training process), the second's not.
    assert len(report["tensorboard_runs"]) == 1 and report["tensorboard_files"] == [1]
