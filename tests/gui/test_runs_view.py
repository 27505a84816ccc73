"""The Runs view with three stored models: overlay, highlighted differences, careful delete."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from digitpad.config import PRESETS
from digitpad.gui.runs_view import NAME, TICK, RunsView
from digitpad.model import build_model
from digitpad.store import ModelStore

CURVES = {
    "sgd-run": ("sgd", [0.90, 0.93, 0.95]),
    "tutorial-run": ("tutorial", [0.94, 0.96, 0.97]),
    "deep-run": ("two-hidden", [0.85, 0.92, 0.94]),
}


@pytest.fixture
def three_models(user_store):
    store = ModelStore(user_store)
    for name, (preset, accuracies) in CURVES.items():
        config = PRESETS[preset].replace(epochs=3)
        epochs = [1.0, 2.0, 3.0]
        meta = {
            "created": "2026-12-01T10:00:00+00:00",
            "status": "completed",
            "config": config.to_dict(),
            "metrics": {"test_accuracy": accuracies[-1]},
            "history": {
                "val_epoch": epochs,
                "val_loss": [1 - a for a in accuracies],
                "val_accuracy": accuracies,
            },
            "train_seconds": 5.0,
        }
        store.save(name, build_model(config), meta)
    return store


def row_of(view: RunsView, name: str) -> int:
    for row in range(view.table.rowCount()):
        if view.table.item(row, NAME).text().startswith(name):
            return row
    raise AssertionError(f"{name} not listed")


def test_lists_stored_and_bundled_models_and_highlights_what_differs(qtbot, three_models):
    view = RunsView(store=str(three_models.root))
    qtbot.addWidget(view)
    names = {record.name for record in view.records}
    assert {"sgd-run", "tutorial-run", "deep-run", "default"} <= names
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    # Optimizer, widths, learning rate differ between these runs; batch size does not.
    assert {"hidden", "optimizer", "learning_rate"} <= set(headers)
    assert "loss" not in headers
    column = headers.index("optimizer")
    cell = view.table.item(row_of(view, "sgd-run"), column)
    assert cell.text() == "sgd" and cell.background().style() != 0


def test_ticked_runs_are_overlaid_one_line_each(qtbot, three_models):
    view = RunsView(store=str(three_models.root))
    qtbot.addWidget(view)
    for name in CURVES:
        view.table.item(row_of(view, name), TICK).setCheckState(
            view.table.item(0, TICK).checkState().Checked
        )
    ticked = {record.name for record in view.ticked()}
    assert set(CURVES) <= ticked
    axes = view._axes[0][0]
    labels = {line.get_label() for line in axes.lines}
    assert set(CURVES) <= labels
    line = next(line for line in axes.lines if line.get_label() == "tutorial-run")
    assert list(line.get_ydata()) == CURVES["tutorial-run"][1]
    # Against time as well: each run's 5 s spread over its three epochs.
    timed = next(line for line in view._axes[0][1].lines if line.get_label() == "sgd-run")
    assert list(timed.get_xdata()) == pytest.approx([5 / 3, 10 / 3, 5.0])


def test_delete_asks_first_and_the_bundled_model_cannot_be_deleted(
    qtbot, three_models, monkeypatch
):
    view = RunsView(store=str(three_models.root))
    qtbot.addWidget(view)
    answers = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: answers.pop(0),
    )
    view.table.selectRow(row_of(view, "deep-run"))
    answers.append(QMessageBox.StandardButton.Cancel)
    assert not view.delete_selected()
    assert "deep-run" in three_models  # a slip loses nothing
    answers.append(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(view.models_changed):
        assert view.delete_selected()
    assert "deep-run" not in three_models
    view.table.selectRow(row_of(view, "default"))
    assert not view.delete_button.isEnabled() and not view.rename_button.isEnabled()
    assert not view.delete_selected(confirm=False)


def test_rename_keeps_the_model_and_refuses_a_taken_name(qtbot, three_models, monkeypatch):
    view = RunsView(store=str(three_models.root))
    qtbot.addWidget(view)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    view.table.selectRow(row_of(view, "sgd-run"))
    assert not view.rename_selected("tutorial-run")
    assert warnings and "already exists" in warnings[0]
    assert {"sgd-run", "tutorial-run"} <= set(three_models.names())
    view.table.selectRow(row_of(view, "sgd-run"))
    assert view.rename_selected("plain-sgd")
    assert "plain-sgd" in three_models and "sgd-run" not in three_models


def test_an_unsaved_session_run_is_listed_and_marked(qtbot, user_store):
    view = RunsView(store=str(user_store))
    qtbot.addWidget(view)
    view.add_session_run(
        "unsaved run 10:02",
        {
            "config": PRESETS["tutorial"].to_dict(),
            "history": {"val_epoch": [1.0], "val_loss": [0.2], "val_accuracy": [0.95]},
            "metrics": {"test_accuracy": 0.95},
            "status": "cancelled",
        },
    )
    row = row_of(view, "unsaved run 10:02")
    assert "(unsaved)" in view.table.item(row, NAME).text()
    view.table.selectRow(row)
    assert not view.delete_button.isEnabled() and not view.open_button.isEnabled()
