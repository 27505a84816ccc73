"""After "Learn my handwriting", one click switches back to the base model (and forth again)."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import small_data
from PySide6.QtCore import Qt

from digitpad.paths import bundled_store_dir
from digitpad.teach import TeachSettings

TINY = TeachSettings(steps=20, chunk_steps=5, pool_size=200, replay_size=500, validation_images=50)
TEACH_MS = 120_000  # generous: TensorFlow's import and a busy machine


def enlarged_test_digit(digit: int) -> np.ndarray:
    data = small_data()
    image = data.test.images[np.flatnonzero(data.test.y == digit)[0]]
    return np.kron(image, np.ones((5, 5), np.float32))


@pytest.fixture
def window(drawings_window):
    drawings_window.resize(1000, 700)
    return drawings_window


def test_use_the_base_again_after_teaching_and_the_taught_model_after_that(qtbot, window):
    view = window.my_drawings
    view._settings = TINY  # a few steps: the run's quality is tested elsewhere
    window.tabs.setCurrentWidget(view)
    base = window.current_model.predictor
    assert base is not None
    assert not view.switch_button.isVisible()  # nothing taught yet: nothing to switch to
    for digit in (1, 4, 7):
        view.add_drawing(enlarged_test_digit(digit), digit)

    with qtbot.waitSignal(view.model_taught, timeout=TEACH_MS) as taught:
        qtbot.mouseClick(view.teach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.worker is None, timeout=10_000)
    taught_name = taught.args[0].rsplit("/", 1)[-1]
    assert window.current_model.predictor.name == taught_name != base.name
    # The before/after line, and beside it the way back.
    assert "MNIST test" in view.result_label.text()
    assert view.switch_button.isVisible()
    assert view.switch_button.text() == f"Use {base.name} again"

    with qtbot.waitSignal(view.use_model) as used:
        qtbot.mouseClick(view.switch_button, Qt.MouseButton.LeftButton)
    assert used.args[0] == str(bundled_store_dir() / base.name)
    current = window.current_model.predictor
    assert current.name == base.name
    assert all(np.array_equal(a, b) for a, b in zip(current.layers[0], base.layers[0], strict=True))
    assert view.switch_button.text() == f"Use {taught_name} again"

    qtbot.mouseClick(view.switch_button, Qt.MouseButton.LeftButton)
    assert window.current_model.predictor.name == taught_name
    assert view.switch_button.text() == f"Use {base.name} again"

    # Another model made current: the button has nothing to switch between.
    window.current_model.set(base.__class__(base.layers, base.activation, "other", base.meta))
    assert not view.switch_button.isVisible()
