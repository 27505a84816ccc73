"""Fixtures shared by the window's tests."""

from __future__ import annotations

import pytest
from gui_support import small_data

from digitpad.gui.train_tab import TrainTab


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
