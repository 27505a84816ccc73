"""The Draw tab's pen width is remembered across restarts, like the threshold (issue 10, #11)."""

from __future__ import annotations

from gui_support import small_data
from PySide6.QtCore import QSettings

from digitpad.gui.main_window import MainWindow


def open_window(qtbot, settings: QSettings) -> MainWindow:
    window = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(window)
    return window


def test_pen_width_survives_a_restart(qtbot, user_store, tmp_path):
    path = str(tmp_path / "settings.ini")
    first = open_window(qtbot, QSettings(path, QSettings.Format.IniFormat))
    default = first.draw_tab.pen_width
    first.draw_tab.pen_slider.setValue(33)
    assert default != 33
    first.close()

    second = open_window(qtbot, QSettings(path, QSettings.Format.IniFormat))
    assert second.draw_tab.pen_width == 33 and second.draw_tab.canvas.pen_width == 33
    second.close()


def test_a_garbled_pen_width_keeps_the_default(qtbot, user_store, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("draw/pen_width", "very thick")
    window = open_window(qtbot, settings)
    assert window.draw_tab.pen_width == 18.0
    window.close()
