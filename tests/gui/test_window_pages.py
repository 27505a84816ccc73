"""How the pages work together in the window: labelling a drawing into My drawings and taking it
back, the drawing on the Network map, the pages built on first show, File › Export…, opening
a model folder from anywhere, the run's keys, and Enter in the Mistakes grid."""

from __future__ import annotations

import pytest
from gui_support import draw_a_one, small_data
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from digitpad.gui import main_window as main_window_module
from digitpad.gui.main_window import MainWindow
from digitpad.paths import bundled_store_dir


@pytest.fixture
def window(qtbot, user_store, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DRAWINGS", str(tmp_path / "drawings"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_a_digit_key_labels_the_drawing_and_ctrl_z_takes_it_back(qtbot, window):
    draw = window.draw_tab
    draw_a_one(draw.canvas)
    assert draw.top_digit == 1
    QTest.keyClick(window, Qt.Key.Key_7)  # the user says it is a 7 (a continental one, say)
    drawings = window.my_drawings.drawings
    assert len(drawings) == 1 and drawings.labels.tolist() == [7]
    saved = drawings.drawings[0].path
    assert saved.parent.name == "7" and saved.suffix == ".png"
    assert draw.canvas.is_empty()  # cleared for the next one
    assert "My drawings" in window.statusBar().currentMessage()
    QTest.keySequence(window, QKeySequence.StandardKey.Undo)
    assert len(window.my_drawings.drawings) == 0 and not saved.exists()
    assert draw.canvas.stroke_count == 1 and draw.top_digit == 1  # the drawing is back
    # Undo again takes back the stroke itself, and labels nothing.
    QTest.keySequence(window, QKeySequence.StandardKey.Undo)
    assert draw.canvas.is_empty() and len(window.my_drawings.drawings) == 0


def test_a_click_on_the_bars_labels_too_and_an_empty_canvas_labels_nothing(qtbot, window):
    draw = window.draw_tab
    assert not draw.label_drawing(3)
    draw_a_one(draw.canvas)
    bars = draw.bars
    row = bars.height() / 10  # the second row is the digit 1
    where = QPoint(bars.width() // 2, int(row * 1.5))
    QTest.mouseClick(bars, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    assert window.my_drawings.drawings.labels.tolist() == [1]


def test_the_network_page_is_built_on_first_show_and_follows_the_drawing(qtbot, window):
    assert window.network_page.page is None and window.runs_page.page is None
    window.tabs.setCurrentWidget(window.network_page)
    tab = window.network_page.page
    assert tab is not None
    assert tab._predictor is window.current_model.predictor
    seen = []
    monkey = tab.set_drawing
    tab.set_drawing = lambda image: (seen.append(image), monkey(image))
    window.tabs.setCurrentWidget(window.draw_tab)
    draw_a_one(window.draw_tab.canvas)
    assert seen and seen[-1] is not None and seen[-1].shape == (28, 28)
    window.draw_tab.canvas.clear()
    assert seen[-1] is None


def test_a_session_run_appears_in_the_runs_page(qtbot, window):
    window.tabs.setCurrentWidget(window.runs_page)
    view = window.runs_page.page
    before = len(view.records)
    predictor = window.current_model.predictor
    from digitpad.inference import Predictor

    run = Predictor(predictor.layers, predictor.activation, "unsaved run 10:00", predictor.meta)
    window.train_tab.model_trained.emit(run)
    assert len(view.records) == before + 1
    assert any(r.name == "unsaved run 10:00" and not r.saved for r in view.records)


def test_export_of_a_run_that_is_not_stored_asks_to_save_it_first(qtbot, window, monkeypatch):
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: said.append(a[2]))
    from digitpad.inference import Predictor

    current = window.current_model.predictor
    window.current_model.set(Predictor(current.layers, current.activation, "no-such-model", {}))
    window.export_model()
    assert said and "save this run first" in said[0]
    window.current_model.set(current)
    window.export_model()  # the bundled default is stored: the dialog opens
    dialog = window.export_dialog
    assert dialog.isVisible() and dialog.format == "savedmodel"
    dialog.format_box.setCurrentIndex(2)
    assert dialog.path_edit.text().endswith("default.npz")
    dialog.reject()


def test_open_model_browses_to_any_model_folder(qtbot, window, tmp_path, monkeypatch):
    import shutil

    outside = tmp_path / "elsewhere" / "my-model"
    shutil.copytree(bundled_store_dir() / "default", outside)
    picker = window.model_picker()
    assert picker.browse(str(outside))
    assert picker.selected().path == outside
    assert window.use(picker.selected())
    assert window.current_model.predictor.name == "my-model"
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    picker = window.model_picker()
    assert not picker.browse(str(tmp_path))
    assert warnings and "meta.json" in warnings[0]


def test_the_model_label_describes_the_model(window):
    tip = window.model_label.toolTip()
    assert "784-800-800-10" in tip and "drawings preset" in tip


def test_the_run_keys_are_named_in_the_tooltips(window):
    tab = window.train_tab
    assert "Ctrl+Return" in tab.start_button.toolTip()
    assert "Ctrl+P" in tab.pause_button.toolTip() and "Ctrl+E" in tab.step_button.toolTip()


def test_the_close_question_is_not_asked_when_nothing_would_be_lost(window, monkeypatch):
    asked = []
    monkeypatch.setattr(main_window_module, "ask_about_unsaved", lambda *a: asked.append(a))
    assert window.unsaved_work() == ""
    window.close()
    assert not asked


def test_view_appearance_dark_light_and_back_to_the_system(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette().color(app.palette().ColorRole.Window).name()
    try:
        window.appearance_actions["dark"].trigger()
        assert app.palette().color(app.palette().ColorRole.Window).lightness() < 80
        assert window._settings.value("view/appearance") == "dark"
        window.appearance_actions["light"].trigger()
        assert app.palette().color(app.palette().ColorRole.Window).lightness() > 180
    finally:
        window.appearance_actions["system"].trigger()
    assert app.palette().color(app.palette().ColorRole.Window).name() == before
    assert window.appearance_actions["system"].isChecked()
