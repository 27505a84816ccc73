"""The main window: its tabs, the current model they share, settings, closing, start-up."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from gui_support import small_data
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.gui.main_window import MainWindow
from digitpad.gui.model_picker import ModelPickerDialog
from digitpad.paths import bundled_store_dir
from digitpad.store import list_models

RUN_TIMEOUT_MS = 60_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, user_store, settings):
    win = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    assert win.train_tab.worker is None or win.train_tab.worker.isFinished()


def a_test_digit() -> np.ndarray:
    return load_mnist().test.images[0].copy()  # a 7


def test_the_window_opens_on_draw_with_four_tabs_and_the_default_model(window):
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Draw", "Train", "Mistakes", "Data"]
    assert window.tabs.currentWidget() is window.draw_tab
    predictor = window.current_model.predictor
    assert predictor is not None and predictor.name == "default"
    assert "default" in window.model_label.text()
    assert f"{predictor.test_accuracy:.2%}" in window.model_label.text()
    assert not window.save_action.isEnabled()


def test_the_draw_tab_reads_with_the_current_model(qtbot, window):
    window.draw_tab.load_image(a_test_digit())
    qtbot.waitUntil(lambda: window.draw_tab.probabilities is not None)
    assert window.draw_tab.top_digit == 7


def test_ctrl_number_switches_tabs(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    for key, widget in (
        (Qt.Key.Key_2, window.train_tab),
        (Qt.Key.Key_3, window.mistakes_tab),
        (Qt.Key.Key_4, window.data_tab),
        (Qt.Key.Key_1, window.draw_tab),
    ):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentWidget() is widget


def test_a_trained_model_becomes_the_current_model_at_once(qtbot, window):
    window.tabs.setCurrentWidget(window.train_tab)
    window.train_tab.form.set_config(TrainConfig(hidden=(16,), epochs=1, batch_size=50))
    window.draw_tab.load_image(a_test_digit())
    with qtbot.waitSignal(window.current_model.changed, timeout=RUN_TIMEOUT_MS) as changed:
        qtbot.mouseClick(window.train_tab.start_button, Qt.MouseButton.LeftButton)
    trained = changed.args[0]
    assert window.current_model.predictor is trained
    assert trained.layers[0][0].shape == (784, 16)
    assert trained.name.startswith("unsaved")
    assert trained.name in window.model_label.text()
    # The Draw tab now answers with the new weights (set_predictor reached it).
    draw = window.draw_tab
    expected = trained.predict_proba(draw.network_input[None])[0]
    np.testing.assert_allclose(draw.probabilities, expected, rtol=1e-5)
    qtbot.waitUntil(lambda: not window.train_tab.is_running, timeout=RUN_TIMEOUT_MS)
    assert window.save_action.isEnabled()

    with qtbot.waitSignal(window.current_model.changed, timeout=RUN_TIMEOUT_MS) as renamed:
        window.train_tab.save_model("from-window")
    assert renamed.args[0].name == "from-window"
    assert "from-window" in window.model_label.text()
    qtbot.waitUntil(lambda: window.train_tab._saver is None)
    assert not window.save_action.isEnabled()


def test_closing_the_window_mid_training_stops_the_thread(qtbot, window):
    window.tabs.setCurrentWidget(window.train_tab)
    window.train_tab.form.set_config(TrainConfig(hidden=(16,), epochs=1000, batch_size=50))
    qtbot.mouseClick(window.train_tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.train_tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS)
    worker = window.train_tab.worker
    before = window.current_model.predictor

    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 3.5
    assert worker.isFinished()
    qtbot.wait(50)  # deliver the queued end-of-run signals: they must change nothing now
    assert window.current_model.predictor is before


def test_settings_round_trip(qtbot, user_store, settings):
    config = TrainConfig(
        hidden=(64, 32),
        activation="tanh",
        optimizer="momentum",
        learning_rate=0.05,
        momentum=0.8,
        lr_decay=0.9,
        dropout=0.1,
        l2=0.0005,
        batch_size=64,
        epochs=3,
        seed=7,
        augment=True,
        validate_every=100,
    )
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.train_tab.form.set_config(config)
    first.tabs.setCurrentIndex(2)
    first.resize(760, 560)
    first.close()

    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.train_tab.form.config() == config
    assert second.tabs.currentIndex() == 2
    assert (second.width(), second.height()) == (760, 560)


def test_an_invalid_form_does_not_overwrite_the_remembered_settings(qtbot, user_store, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.train_tab.form.set_config(TrainConfig(hidden=(12,)))
    first.save_settings()
    first.train_tab.form.hidden.setText("nonsense")
    first.close()

    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.train_tab.form.config().hidden == (12,)


def test_the_model_picker_lists_broken_models_but_will_not_open_them(qtbot, window, user_store):
    shutil.copytree(bundled_store_dir() / "default", user_store / "copy")
    meta_path = user_store / "copy" / "meta.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), "name": "copy"}))
    (user_store / "broken").mkdir()
    dialog = ModelPickerDialog(list_models())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    items = {
        dialog.tree.topLevelItem(i).text(0): dialog.tree.topLevelItem(i)
        for i in range(dialog.tree.topLevelItemCount())
    }
    assert set(items) == {"broken", "copy", "default"}
    assert items["broken"].flags() == Qt.ItemFlag.NoItemFlags
    assert "broken" in items["broken"].text(1) and "meta.json" in items["broken"].text(3)
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    assert dialog.selected() is None and not open_button.isEnabled()

    def click(name: str) -> None:
        where = dialog.tree.visualItemRect(items[name]).center()
        qtbot.mouseClick(dialog.tree.viewport(), Qt.MouseButton.LeftButton, pos=where)

    click("broken")
    assert dialog.selected() is None and not open_button.isEnabled()
    click("copy")
    assert dialog.selected().name == "copy" and open_button.isEnabled()

    assert window.load_model_folder(dialog.selected().path)
    assert window.current_model.predictor.name == "copy"
    assert "copy" in window.model_label.text()


def test_open_in_canvas_shows_the_image_on_the_draw_tab(qtbot, window):
    window.tabs.setCurrentWidget(window.mistakes_tab)
    window.mistakes_tab.open_in_canvas.emit(a_test_digit())
    assert window.tabs.currentWidget() is window.draw_tab
    qtbot.waitUntil(lambda: window.draw_tab.probabilities is not None)
    assert window.draw_tab.top_digit == 7


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def test_start_up_is_quick_and_without_tensorflow(tmp_path):
    env = _clean_env(tmp_path)
    env["DIGITPAD_STARTUP_PROBE"] = "1"
    env["DIGITPAD_T0"] = repr(time.time())
    done = subprocess.run(
        [sys.executable, "-m", "digitpad"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"startup_seconds=([\d.]+) tensorflow_imported=(\w+)", done.stdout)
    assert match, done.stdout
    assert match.group(2) == "False"
    assert float(match.group(1)) < 10  # generous for a busy CI machine; ~0.4 s here


def test_the_window_modules_import_neither_tensorflow_nor_matplotlib(tmp_path):
    code = (
        "import sys, digitpad.gui.app, digitpad.gui.main_window;"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules];"
        "print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_clean_env(tmp_path), capture_output=True, text=True
    )
    assert done.stdout.strip() == "[]", done.stderr
