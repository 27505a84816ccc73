"""Helpers for the window's tests (imported by them; pytest collects nothing here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from digitpad.config import TrainConfig
from digitpad.data import Mnist, load_mnist

if TYPE_CHECKING:
    from digitpad.gui.train_tab import TrainTab

RUN_TIMEOUT_MS = 60_000
"""How long a test waits for a run on small_data(): generous, for a loaded test machine."""
# small_data() in batches of 50: 40 steps per epoch, one chunk each.
TINY = TrainConfig(hidden=(32,), epochs=2, batch_size=50)
"""A run that ends in about a second."""
LONG = TrainConfig(hidden=(32,), epochs=1000, batch_size=50)
"""A run that lasts until the test stops it."""


def small_data() -> Mnist:
    """2,000 training and 500 validation images: a whole run takes well under a second once
    TensorFlow is loaded (the first run of a session pays its ~3 s import)."""
    return load_mnist().subset(train=2000, val=500)


def click(qtbot, button) -> None:
    """Click ``button`` as a person would; a disabled button is a test failure, not a no-op."""
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_progress(qtbot, tab: TrainTab, timeout: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the run in ``tab`` has trained at least one step."""
    qtbot.waitUntil(
        lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0, timeout=timeout
    )


def drag(canvas, points: list[tuple[float, float]]) -> None:
    """Press, move through and release at ``points``, given in canvas units (0-280)."""
    where = [canvas.map_from_canvas(x, y).toPoint() for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[0])
    for point in where[1:]:
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where[-1])


def vertical_line(x: float = 140, top: float = 40, bottom: float = 240) -> list:
    """A stroke straight down the canvas: the network reads it as a 1."""
    return [(x, y) for y in np.linspace(top, bottom, 25)]


def draw_a_one(canvas) -> None:
    drag(canvas, vertical_line())
