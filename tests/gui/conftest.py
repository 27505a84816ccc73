"""Fixtures shared by the window's tests."""

from __future__ import annotations

import pytest
from gui_support import small_data
from PySide6.QtCore import QSettings

from digitpad.gui import main_window
from digitpad.gui.train_tab import TrainTab


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    """Closing a window with unsaved runs asks Save/Discard/Cancel in a modal box that would
    block an offscreen test: tests answer Discard unless they replace this; the list says
    what was asked."""
    asked: list[str] = []

    def discard(parent, text):
        asked.append(text)
        return main_window.Answer.Discard

    monkeypatch.setattr(main_window, "ask_about_unsaved", discard)
    return asked


@pytest.fixture
def train_tab(qtbot, user_store):
    """A shown Train tab that trains on :func:`small_data`; it must end with no thread left."""
    widget = TrainTab(data_loader=small_data)
    qtbot.addWidget(widget)
    widget.resize(1100, 750)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    assert widget.shutdown(5000), "a training or save thread outlived the test"


@pytest.fixture
def drawings_window(qtbot, user_store, tmp_path, monkeypatch):
    """The whole window on small data, with its own store, settings and My drawings folder."""
    from digitpad.gui.main_window import MainWindow

    monkeypatch.setenv("DIGITPAD_DRAWINGS", str(tmp_path / "drawings"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, data_loader=small_data)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    assert win.my_drawings.shutdown(10_000), "a teach thread outlived the test"
