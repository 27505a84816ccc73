"""The Network tab's hidden-map page, with its drawing pad, fits the smallest window."""

from __future__ import annotations

import pytest
from gui_support import small_data
from layout_check import page_problems
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication

from digitpad.gui.main_window import MainWindow


@pytest.mark.parametrize("size", [QSize(800, 600), QSize(960, 540), QSize(1920, 1080)])
def test_the_hidden_map_page_fits_with_its_drawing_pad(qtbot, user_store, tmp_path, size):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(window)
    window.setMinimumSize(1, 1)  # judged on the room this page gets, as tests/gui/test_layout
    window.show()
    try:
        window.resize(size)
        window.tabs.setCurrentWidget(window.network_page)
        tab = window.network_tab
        tab.pages.setCurrentWidget(tab.map_view)
        QApplication.processEvents()
        qtbot.wait(50)  # layouts settle over a few posted events (word-wrapped labels)
        assert window.size() == size
        assert tab.map_view.sketch.isVisible()
        problems = page_problems(window.tabs) + page_problems(tab.pages)
        assert not problems, "\n".join(problems)
    finally:
        assert window.network_tab.shutdown(10_000)
        window.close()
