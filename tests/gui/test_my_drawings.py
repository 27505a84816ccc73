"""The My drawings view: labelling, undo, delete, relabel, answers, and Learn my handwriting."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import small_data
from PySide6.QtCore import Qt

from digitpad.drawings import DrawingFolder
from digitpad.gui.my_drawings import MyDrawingsView
from digitpad.inference import load_predictor
from digitpad.store import ModelStore
from digitpad.teach import TeachSettings

TINY = TeachSettings(steps=20, chunk_steps=5, pool_size=200, replay_size=500, validation_images=50)


def stroke_canvas(digit: int) -> np.ndarray:
    """A 140x140 canvas with an MNIST test digit of that label enlarged on it."""
    data = small_data()
    image = data.test.images[np.flatnonzero(data.test.y == digit)[0]]
    return np.kron(image, np.ones((5, 5), np.float32))


@pytest.fixture
def view(qtbot, tmp_path, user_store):
    widget = MyDrawingsView(
        DrawingFolder(tmp_path / "drawings"),
        store=str(user_store),
        data_loader=small_data,
        teach_settings=TINY,
    )
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    yield widget
    assert widget.shutdown(10_000), "a teach thread outlived the test"


def test_labelling_adds_a_drawing_and_undo_removes_it(view, tmp_path):
    counts = []
    view.counts_changed.connect(counts.append)
    drawing = view.add_drawing(stroke_canvas(3), 3)
    assert drawing is not None and drawing.path.parent == tmp_path / "drawings" / "3"
    assert view.model.rowCount() == 1 and counts[-1][3] == 1
    assert "3: 1" in view.counts_label.text()
    assert view.undo_last()
    assert view.model.rowCount() == 0 and not drawing.path.exists()
    assert not view.undo_last()


def test_answers_are_shown_and_wrong_ones_marked(view):
    view.add_drawing(stroke_canvas(7), 7)
    view.add_drawing(stroke_canvas(2), 1)  # labelled wrong on purpose: the model says 2
    view.set_predictor(load_predictor())
    texts = [view.model.index(r).data() for r in range(2)]
    assert sorted(texts) == ["1 → 2", "7 → 7"]
    wrong = [r for r in range(2) if view.model.index(r).data() == "1 → 2"][0]
    assert view.model.index(wrong).data(Qt.ItemDataRole.ForegroundRole) is not None
    right = 1 - wrong
    assert view.model.index(right).data(Qt.ItemDataRole.ForegroundRole) is None
    assert "1 misread" in view.counts_label.text()


def test_delete_and_relabel_the_selected_drawing(view, tmp_path):
    view.add_drawing(stroke_canvas(4), 9)
    view.add_drawing(stroke_canvas(5), 5)
    view.grid.setCurrentIndex(view.model.index(1))  # sorted by digit: the 9
    view.relabel_selected(4)
    assert sorted(view.drawings.labels.tolist()) == [4, 5]
    assert len(list((tmp_path / "drawings" / "4").iterdir())) == 1
    view.grid.setCurrentIndex(view.model.index(0))
    view.delete_selected()
    assert view.drawings.labels.tolist() == [5]


def test_learn_my_handwriting_saves_a_model_off_the_gui_thread(view, qtbot, user_store):
    for digit in (1, 4, 7):
        view.add_drawing(stroke_canvas(digit), digit)
    view.set_predictor(load_predictor(), "default")
    with qtbot.waitSignal(view.model_taught, timeout=120_000) as taught:
        qtbot.mouseClick(view.teach_button, Qt.MouseButton.LeftButton)
        assert not view.teach_button.isEnabled()
    qtbot.waitUntil(lambda: view.worker is None, timeout=10_000)
    path = taught.args[0]
    assert path.endswith("default-mine")
    assert load_predictor(path).meta["taught"]["drawings_per_digit"][4] == 1
    assert "MNIST test" in view.result_label.text()
    assert view.teach_button.isEnabled()


def test_stopping_a_run_saves_nothing(view, qtbot, user_store):
    view.add_drawing(stroke_canvas(4), 4)
    view.start_teaching()
    view.stop_teaching()
    qtbot.waitUntil(lambda: view.worker is None, timeout=120_000)
    assert ModelStore(user_store).names() == []
    assert view.result_label.text().startswith("Stopped")


def test_teaching_curves_show_on_the_train_tab(drawings_window, qtbot):
    win = drawings_window
    view = win.my_drawings
    view._settings = TINY
    for digit in (1, 4, 7, 1, 4, 7):
        view.add_drawing(stroke_canvas(digit), digit)
    view.set_predictor(load_predictor(), "default")
    charts = win.train_tab.charts
    with qtbot.waitSignal(view.teaching_ended, timeout=120_000):
        view.start_teaching()
    lines = charts.line_data()
    # One point per chunk of 5 steps, x in teaching steps; MNIST validation at each chunk.
    assert list(lines["loss_raw"][0]) == [5, 10, 15, 20]
    assert list(lines["val_accuracy"][0]) == [5, 10, 15, 20]
    assert all(0.0 <= a <= 1.0 for a in lines["val_accuracy"][1])
    assert charts.legend.x_label == "teaching step" and charts.epochs == 20
    assert "MNIST" in charts.legend.validation
    # The Train tab says how the run ended, as My drawings does.
    assert win.train_tab.notice.text.text() == view.result_label.text()
    assert "MNIST" in view.result_label.text()
    # The next training run speaks of epochs again.
    win.train_tab.charts.reset(3)
    assert charts.legend.x_label == "epoch"
