"""The Train tab's "Write TensorBoard logs" option: through the training process and in a
thread, the logs equal the run's events; off writes nothing; a bad folder is one line before
anything starts. (That the app's own process never imports TensorFlow with the option on is
checked by tests/gui/process_app_run.py.)"""

from __future__ import annotations

import multiprocessing
import re

import numpy as np
import pytest
from gui_support import small_data
from tensorboard_events import read_events

from digitpad.config import TrainConfig
from digitpad.gui.tensorboard_option import default_folder
from digitpad.gui.train_tab import TrainTab
from digitpad.training.events import EpochEnd, Progress, Snapshot, Validated
from digitpad.training.process import TrainerProcess

RUN_TIMEOUT_MS = 120_000
TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=50, validate_every=10)


@pytest.fixture(scope="module")
def trainer():
    process = TrainerProcess(small_data, nice=0)
    process.ensure_started(TINY)
    yield process
    process.close()


@pytest.fixture(autouse=True)
def no_leftover_processes():
    before = {p.pid for p in multiprocessing.active_children()}
    yield
    left = {p.pid for p in multiprocessing.active_children()} - before
    assert not left, f"processes left running: {left}"


def make_tab(qtbot, trainer=None) -> TrainTab:
    tab = TrainTab(data_loader=small_data)
    qtbot.addWidget(tab)
    tab.resize(1100, 750)
    tab.show()
    qtbot.waitExposed(tab)
    if trainer is not None:
        tab.use_training_process(trainer)
    return tab


def run_and_record(qtbot, tab: TrainTab) -> list:
    """Start a TINY run, collect every event the tab's worker hands the window."""
    tab.form.set_config(TINY)
    seen: list = []
    tab.start()
    assert tab.worker is not None, tab.notice.text.text()
    tab.worker.progressed.connect(seen.append)
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    assert tab.notice.kind == "info", tab.notice.text.text()
    return seen


def assert_logs_equal_events(logdir, seen: list) -> None:
    values, plugins = read_events(logdir)
    progress = [e for e in seen if isinstance(e, Progress)]
    assert len(progress) == 8  # 2 epochs of 40 steps, in chunks of 10
    assert [step for step, _ in values["train/loss"]] == [e.step for e in progress]
    np.testing.assert_allclose(
        [float(v) for _, v in values["train/loss"]], [e.loss for e in progress], 1e-6
    )
    np.testing.assert_allclose(
        [float(v) for _, v in values["train/accuracy"]], [e.accuracy for e in progress], 1e-6
    )
    validated = [e for e in seen if isinstance(e, Validated)]
    assert [step for step, _ in values["validation/loss"]] == [e.step for e in validated]
    epochs = [e for e in seen if isinstance(e, EpochEnd)]
    np.testing.assert_allclose(
        [float(v) for _, v in values["epoch/val_accuracy"]], [e.val_accuracy for e in epochs]
    )
    # The histograms of every epoch, whatever the Inside page asked for meanwhile.
    assert [step for step, _ in values["weights/layer1_kernel"]] == [0, 1, 2]
    assert plugins["weights/layer2_bias"] == "histograms"


def the_run_folder(root):
    (folder,) = [p for p in root.iterdir()]
    assert re.fullmatch(r"\d\d-\d\d-\d\d-tutorial", folder.name), folder.name
    assert list(folder.glob("events.out.tfevents.*"))
    return folder


def test_logs_through_the_process_equal_the_runs_events(qtbot, trainer, tmp_path):
    tab = make_tab(qtbot, trainer)
    tab.tensorboard.set_choice(True, tmp_path / "tb")
    tab.views.setCurrentWidget(tab.inside)  # watched: the app asks for a snapshot per 0.5 s
    assert tab.watching
    seen = run_and_record(qtbot, tab)
    folder = the_run_folder(tmp_path / "tb")
    assert_logs_equal_events(folder, seen)
    # The Inside page got its snapshots, not necessarily one per chunk.
    assert [e for e in seen if isinstance(e, Snapshot)]
    log = tab.log.toPlainText()
    assert f"TensorBoard logs go to {folder}" in log
    assert f"tensorboard --logdir {tmp_path / 'tb'}" in log

    # Nobody watching: no snapshot crosses to the app, the log still has every epoch's.
    tab.views.setCurrentIndex(0)
    assert not tab.watching
    seen = run_and_record(qtbot, tab)
    second = sorted((tmp_path / "tb").iterdir())
    assert len(second) == 2  # one subfolder per run, never mixed
    newest = max(second, key=lambda p: p.stat().st_mtime)
    assert not [e for e in seen if isinstance(e, Snapshot)]
    assert_logs_equal_events(newest, seen)


def test_the_option_off_writes_nothing(qtbot, trainer, tmp_path):
    tab = make_tab(qtbot, trainer)
    tab.tensorboard.set_choice(False, tmp_path / "tb")
    assert tab.tensorboard.logs_folder() is None
    run_and_record(qtbot, tab)
    assert not (tmp_path / "tb").exists() and not default_folder().exists()
    assert "TensorBoard" not in tab.log.toPlainText()


def test_logs_from_a_run_in_a_thread_equal_its_events(qtbot, tmp_path):
    tab = make_tab(qtbot)  # no process: train() runs in the worker's thread
    root = tmp_path / "my logs"
    tab.tensorboard.set_choice(True, root)
    tab.views.setCurrentWidget(tab.inside)
    seen = run_and_record(qtbot, tab)
    assert_logs_equal_events(the_run_folder(root), seen)
    assert [e for e in seen if isinstance(e, Snapshot)]
    assert f'tensorboard --logdir "{root}")' in tab.log.toPlainText()


def test_a_bad_folder_is_one_line_before_anything_starts(qtbot, tmp_path):
    tab = make_tab(qtbot)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    tab.tensorboard.set_choice(True, blocker)
    tab.form.set_config(TINY)
    tab._log("an earlier run's line")
    messages: list = []
    tab.message.connect(messages.append)
    tab.start()
    assert not tab.is_running and tab.start_button.isEnabled()
    text = tab.notice.text.text()
    assert tab.notice.kind == "error" and "\n" not in text
    assert text.startswith("Not started:") and "cannot write TensorBoard logs" in text
    assert messages == [text]
    assert tab.log.toPlainText() == "an earlier run's line"  # nothing of it was lost
    assert blocker.read_text() == "not a folder"


def test_the_choice_is_remembered_by_the_window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from digitpad.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(window)
    assert not window.train_tab.tensorboard.enabled
    assert window.train_tab.tensorboard.folder == default_folder()
    window.train_tab.tensorboard.set_choice(True, tmp_path / "logs")
    window.save_settings()
    again = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(again)
    assert again.train_tab.tensorboard.enabled
    assert again.train_tab.tensorboard.folder == tmp_path / "logs"
