"""Impatient use of the window: double Starts, early Stops, closing mid-work, absurd settings.

Every test ends within seconds and asserts that no worker thread is left running.
"""

from __future__ import annotations

import json

import pytest
from gui_support import LONG, RUN_TIMEOUT_MS, TINY, small_data, wait_for_progress
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from digitpad.gui.main_window import MainWindow
from digitpad.gui.train_tab import TrainTab
from digitpad.store import ModelStore


@pytest.fixture
def tab(train_tab):
    return train_tab


@pytest.fixture
def window(qtbot, user_store, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def wait_until_idle(qtbot, tab: TrainTab) -> None:
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)


def test_start_pressed_twice_runs_once(qtbot, tab):
    tab.form.set_config(TINY)
    runs = []
    tab.running_changed.connect(lambda running: running and runs.append(tab.worker))
    QTest.mouseDClick(tab.start_button, Qt.MouseButton.LeftButton)
    tab.start()  # a third, programmatic press while running is ignored too
    worker = tab.worker
    wait_until_idle(qtbot, tab)
    assert runs == [worker]
    assert worker.isFinished()


def test_stop_right_after_start_before_the_first_batch(qtbot, tab):
    tab.form.set_config(LONG)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    worker = tab.worker
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, tab)
    assert worker.isFinished()
    assert tab.start_button.isEnabled() and tab.form.isEnabled()
    assert tab.notice.kind != "error"


def test_pause_then_stop(qtbot, tab):
    tab.form.set_config(LONG)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_for_progress(qtbot, tab)
    qtbot.mouseClick(tab.pause_button, Qt.MouseButton.LeftButton)
    worker = tab.worker
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    assert worker.isFinished() and "Stopped" in tab.notice.text.text()


def test_stop_then_start_at_once(qtbot, tab):
    tab.form.set_config(LONG)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_for_progress(qtbot, tab)
    first = tab.worker
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    tab.start()  # while the first run is still stopping: ignored, not a second thread
    assert tab.worker is first
    wait_until_idle(qtbot, tab)
    tab.form.set_config(TINY)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, tab)
    assert first.isFinished()


def test_a_diverging_run_says_so_and_keeps_the_current_model(qtbot, window):
    tab = window.train_tab
    before = window.current_model.predictor
    tab.form.set_config(TINY.replace(optimizer="sgd", learning_rate=90.0, init="he"))
    window.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_until_idle(qtbot, tab)
    assert tab.notice.kind == "warning"
    assert "lower the learning rate" in tab.notice.text.text()
    assert window.current_model.predictor is before
    window.close()


def test_closing_the_window_while_saving_leaves_a_whole_model_or_none(qtbot, window, user_store):
    tab = window.train_tab
    tab.form.set_config(TINY)
    with qtbot.waitSignal(tab.model_trained, timeout=RUN_TIMEOUT_MS):
        tab.start()
    wait_until_idle(qtbot, tab)
    tab.save_model("closing")
    window.close()
    assert tab._saver is None or tab._saver.isFinished()
    infos = ModelStore(user_store).list()
    assert [info.name for info in infos] in ([], ["closing"])
    assert all(info.ok for info in infos)


def test_closing_the_window_while_the_mistakes_tab_loads(qtbot, user_store, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)  # the Mistakes tab starts loading MNIST at once
    qtbot.addWidget(win)
    win.show()
    win.close()
    assert win.mistakes_tab.wait_for_background(0), "the evaluation thread outlived the window"


def test_closing_the_window_while_tensorflow_loads(qtbot, window):
    tab = window.train_tab
    tab.form.set_config(LONG)
    tab.start()
    worker = tab.worker
    window.close()
    # The close waits a bounded time; the worker notices the stop as soon as it can.
    qtbot.waitUntil(worker.isFinished, timeout=RUN_TIMEOUT_MS)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("epochs", "0"),
        ("epochs", "99999999"),
        ("batch_size", "-5"),
        ("learning_rate", "1000"),
        ("learning_rate", "-1"),
        ("dropout", "1.5"),
        ("seed", "abc"),
        ("l2", "nan"),
    ],
)
def test_a_refused_number_stays_as_typed_is_named_and_blocks_start(qtbot, tab, field, text):
    """Whatever is typed is neither clamped nor reverted: it stays, and the form says why not."""
    editor = getattr(tab.form, field)
    editor.selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.text() == text
    assert not tab.form.is_valid and not tab.start_button.isEnabled()
    assert tab.form.error_text(field)


@pytest.mark.parametrize("text", ["", "0", "-5", "nan", "abc", "200,", "1e9", "99999"])
def test_absurd_hidden_widths_are_named_and_block_start(qtbot, tab, text):
    tab.form.hidden.setText(text)
    if text == "200,":  # a trailing comma is forgiven: it is still one layer of 200
        assert tab.form.is_valid
        return
    assert not tab.form.is_valid
    assert tab.form.error_text("hidden")
    assert not tab.start_button.isEnabled()


def test_remembered_settings_that_are_garbage_fall_back_to_the_preset(qtbot, user_store, tmp_path):
    settings = QSettings(str(tmp_path / "bad.ini"), QSettings.Format.IniFormat)
    for value in ("{not json", json.dumps({"epochs": -3}), json.dumps({"colour": "red"})):
        settings.clear()
        settings.setValue("train/config", value)
        win = MainWindow(settings=settings)
        qtbot.addWidget(win)
        assert win.train_tab.form.is_valid
        win.close()
