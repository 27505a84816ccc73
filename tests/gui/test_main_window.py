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
from gui_support import RUN_TIMEOUT_MS, small_data
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.gui.main_window import MainWindow
from digitpad.gui.model_picker import ModelPickerDialog
from digitpad.paths import bundled_store_dir
from digitpad.store import list_models

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
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert titles == ["Draw", "Train", "Mistakes", "Data", "Network", "Runs", "My drawings"]
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

    window.close()  # returns (bounded: SHUTDOWN_MS) with the run ended; timings: benchmarks/
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


def train_once(qtbot, window, hidden=(16,)):
    tab = window.train_tab
    tab.form.set_config(TrainConfig(hidden=hidden, epochs=1, batch_size=50))
    with qtbot.waitSignal(window.current_model.changed, timeout=RUN_TIMEOUT_MS):
        tab.start()
    qtbot.waitUntil(lambda: not tab.is_running, timeout=RUN_TIMEOUT_MS)
    return tab.runs[-1]


def answer(monkeypatch, reply):
    from digitpad.gui import main_window

    asked = []

    def ask(parent, text):
        asked.append(text)
        return reply

    monkeypatch.setattr(main_window, "ask_about_unsaved", ask)
    return asked


def test_closing_with_nothing_unsaved_asks_nothing(qtbot, window, discard_on_close):
    window.close()
    assert discard_on_close == [] and not window.isVisible()


def test_closing_with_an_unsaved_run_asks_and_cancel_keeps_everything(qtbot, window, monkeypatch):
    from digitpad.gui.main_window import Answer

    run = train_once(qtbot, window)
    asked = answer(monkeypatch, Answer.Cancel)
    window.close()
    assert len(asked) == 1 and run.label.name in asked[0] and f"{run.test_accuracy:.2%}" in asked[0]
    assert window.isVisible() and window.train_tab.runs == [run]

    asked = answer(monkeypatch, Answer.Discard)
    window.quit_action.trigger()  # Ctrl+Q asks the same question
    assert len(asked) == 1 and not window.isVisible()


def test_closing_mid_training_asks_and_cancel_lets_it_run(qtbot, window, monkeypatch):
    from digitpad.gui.main_window import Answer

    tab = window.train_tab
    tab.form.set_config(TrainConfig(hidden=(16,), epochs=1000, batch_size=50))
    tab.start()
    qtbot.waitUntil(lambda: tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS)
    asked = answer(monkeypatch, Answer.Cancel)
    window.close()
    assert "under way" in asked[0] and window.isVisible() and tab.is_running
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        tab.stop()


def test_save_on_close_saves_the_run_then_closes(qtbot, window, monkeypatch, user_store):
    from digitpad.gui.main_window import Answer

    run = train_once(qtbot, window)
    answer(monkeypatch, Answer.Save)
    window.close()
    assert window.isVisible()
    dialog = window.train_tab.save_dialog
    assert dialog is not None and dialog.run is run
    dialog.name_edit.setText("kept-on-close")
    dialog.accept()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT_MS)
    assert (user_store / "kept-on-close" / "model.keras").is_file()


def test_save_on_close_mid_run_stops_and_offers_that_run(qtbot, window, monkeypatch):
    from digitpad.gui.main_window import Answer

    tab = window.train_tab
    tab.form.set_config(TrainConfig(hidden=(16,), epochs=1000, batch_size=50))
    tab.start()
    qtbot.waitUntil(lambda: tab.progress.value() > 0, timeout=RUN_TIMEOUT_MS)
    answer(monkeypatch, Answer.Save)
    window.close()
    qtbot.waitUntil(lambda: tab.save_dialog is not None, timeout=RUN_TIMEOUT_MS)
    assert tab.save_dialog.run is tab.runs[-1] and tab.runs[-1].label.partial
    tab.save_dialog.reject()  # cancelling the save cancels the close
    assert window.isVisible()


def test_every_run_of_the_session_can_be_opened_again(qtbot, window):
    first = train_once(qtbot, window, hidden=(16,))
    second = train_once(qtbot, window, hidden=(24,))
    assert window.current_model.predictor is second.predictor

    dialog = window.model_picker()
    qtbot.addWidget(dialog)
    names = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert names[:2] == [second.label.name, first.label.name] and "default" in names
    assert dialog.selected() is second  # the current model is preselected
    dialog.tree.setCurrentItem(dialog.tree.topLevelItem(1))
    assert window.use(dialog.selected())
    assert window.current_model.predictor is first.predictor
    assert first.label.name in window.model_label.text()
    assert first.label.name in window.train_tab.notice.text.text()


def test_the_bundled_default_opens_even_if_an_old_user_default_exists(qtbot, user_store, settings):
    shutil.copytree(bundled_store_dir() / "default", user_store / "default")
    meta_path = user_store / "default" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["test_accuracy"] = 0.5
    meta_path.write_text(json.dumps(meta))
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    assert win.current_model.predictor.test_accuracy > 0.97
    dialog = win.model_picker()
    qtbot.addWidget(dialog)
    wheres = [dialog.tree.topLevelItem(i).text(3) for i in range(dialog.tree.topLevelItemCount())]
    assert any(w.startswith("yours") and str(user_store / "default") in w for w in wheres)
    assert "bundled" in wheres
    win.close()


def test_a_store_that_is_a_file_is_said_at_once(qtbot, tmp_path, settings):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    win = MainWindow(store=str(afile), settings=settings)
    qtbot.addWidget(win)
    assert win.current_model.predictor.name == "default"
    assert "not a model store" in win.statusBar().currentMessage()
    dialog = win.model_picker()  # still lists the bundled model
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() >= 1
    win.close()


def test_a_failed_save_keeps_the_run_and_can_go_to_another_folder(
    qtbot, window, monkeypatch, tmp_path
):
    from PySide6.QtWidgets import QFileDialog

    from digitpad.errors import StoreError
    from digitpad.store import ModelStore

    run = train_once(qtbot, window)
    real_save = ModelStore.save
    other = tmp_path / "elsewhere"
    other.mkdir()

    def full(self, name, *args, **kwargs):
        if self.root != other:
            raise StoreError("could not save (No space left on device)")
        return real_save(self, name, *args, **kwargs)

    monkeypatch.setattr(ModelStore, "save", full)
    tab = window.train_tab
    tab.save_model("full")
    qtbot.waitUntil(lambda: tab.error_box is not None and tab.error_box.isVisible(), timeout=10_000)
    assert "No space" in tab.error_box.text() and "kept" in tab.error_box.text()
    qtbot.waitUntil(lambda: tab._saver is None)
    assert run.unsaved and tab.can_save

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(other))
    button = next(b for b in tab.error_box.buttons() if "another folder" in b.text())
    with qtbot.waitSignal(tab.model_saved, timeout=RUN_TIMEOUT_MS):
        button.click()
    assert (other / "full" / "model.keras").is_file() and run.saved_as == "full"


def test_settings_go_to_digitpad_settings_and_never_to_the_users(
    qtbot, user_store, tmp_path, monkeypatch
):
    path = tmp_path / "mine.ini"
    monkeypatch.setenv("DIGITPAD_SETTINGS", str(path))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win._settings.fileName() == str(path)
    win.tabs.setCurrentIndex(3)
    win.close()
    assert QSettings(str(path), QSettings.Format.IniFormat).value("window/tab") in (3, "3")


def test_the_suite_keeps_settings_and_models_in_its_sandbox(qapp):
    # tests/conftest.py points every place digitpad writes into a temporary folder.
    home = str(Path.home())
    for variable in ("DIGITPAD_SETTINGS", "DIGITPAD_STORE", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        assert not os.environ[variable].startswith(os.path.join(home, ".")), variable
    assert QSettings().fileName().startswith(os.environ["XDG_CONFIG_HOME"])
