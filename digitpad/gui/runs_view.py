"""Runs side by side: the stored models and this session's runs in one sortable table; tick
any to overlay their validation curves against epoch and against training time.

A view only: what a run is and which settings differ comes from :mod:`digitpad.runs`; deleting
and renaming go through :class:`~digitpad.store.ModelStore`, each after a question, and the
bundled model can be neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import DigitpadError
from digitpad.runs import (
    RunRecord,
    differing_settings,
    record_from_meta,
    records_from_infos,
    setting_text,
)
from digitpad.store import ModelStore, list_models

if TYPE_CHECKING:  # matplotlib's Qt backend is imported when the charts are first drawn
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

FIXED = ["", "Name", "Created", "Preset", "Epochs", "Val acc", "Test acc", "Time"]
TICK, NAME = 0, 1
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


class _SortItem(QTableWidgetItem):
    """Sorts by the number behind the text (accuracies, seconds), not by the text."""

    def __init__(self, text: str, value: float | str | None) -> None:
        super().__init__(text)
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.value, getattr(other, "value", None)
        if isinstance(mine, float | int) and isinstance(theirs, float | int):
            return mine < theirs
        if mine is None or theirs is None:
            return mine is None and theirs is not None  # empty cells first, ascending
        return str(mine) < str(theirs)


class RunsView(QWidget):
    """The Runs page. ``store``: the user's store folder (None: the default).

    Signals: ``open_requested(str)`` a stored model's folder to make current;
    ``models_changed()`` after a delete or rename, so other views can refresh.
    """

    open_requested = Signal(str)
    models_changed = Signal()

    def __init__(self, store: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._records: list[RunRecord] = []
        self._session: dict[str, RunRecord] = {}
        self._ticked: set[str] = set()
        self._canvas: FigureCanvasQTAgg | None = None

        self.table = QTableWidget()
        self.table.setAccessibleName("Runs")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self.open_selected())

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.open_button = QPushButton("&Open")
        self.open_button.setToolTip("make the selected model the current one")
        self.rename_button = QPushButton("&Rename…")
        self.delete_button = QPushButton("&Delete…")
        self.refresh_button = QPushButton("Re&fresh")
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button.clicked.connect(lambda: self.rename_selected())
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for button in (
            self.open_button,
            self.rename_button,
            self.delete_button,
            self.refresh_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.hint)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self._chart_holder = QWidget()
        self._chart_layout = QVBoxLayout(self._chart_holder)
        self._chart_layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self._chart_holder)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()

    # --- data -----------------------------------------------------------------------------

    @property
    def records(self) -> list[RunRecord]:
        return list(self._records)

    def add_session_run(self, name: str, meta: dict) -> None:
        """A run made since the app opened and not saved (``meta`` as ``run_meta`` makes it)."""
        record = record_from_meta(name, meta, saved=False)
        self._session[record.key] = record
        self.refresh()

    def refresh(self) -> None:
        """Read the stores again and rebuild the table, keeping ticks and the selection."""
        try:
            stored = records_from_infos(list_models(self._store))
        except DigitpadError as exc:
            stored = []
            self.hint.setText(f"Could not read the model store: {exc}")
        else:
            self.hint.setText(
                "Tick runs to compare their curves. Highlighted columns are the settings "
                "that differ between the runs listed."
            )
        self._records = [*stored, *self._session.values()]
        known = {record.key for record in self._records}
        self._ticked &= known
        if not self._ticked and self._records:
            self._ticked = {self._records[0].key}
        self._fill_table()
        self._update_buttons()
        self.redraw()

    def ticked(self) -> list[RunRecord]:
        return [record for record in self._records if record.key in self._ticked]

    def set_ticked(self, keys: set[str]) -> None:
        self._ticked = {record.key for record in self._records if record.key in keys}
        self._fill_table()
        self.redraw()

    def selected(self) -> RunRecord | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        key = self._key_of_row(rows[0].row())
        return next((r for r in self._records if r.key == key), None)

    # --- table ----------------------------------------------------------------------------

    def _fill_table(self) -> None:
        differing = differing_settings(self._records)
        headers = FIXED + differing
        table = self.table
        table.blockSignals(True)
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(self._records))
        highlight = QBrush(self.palette().color(QPalette.ColorRole.Highlight).lighter(190))
        for row, record in enumerate(self._records):
            tick = QTableWidgetItem()
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            checked = record.key in self._ticked
            tick.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            tick.setToolTip("show this run's curves")
            table.setItem(row, TICK, tick)
            name = record.name + ("" if record.saved else " (unsaved)")
            if record.bundled:
                name += " (bundled)"
            cells = [
                _SortItem(name, record.name),
                _SortItem((record.created or "–").replace("T", " ")[:16], record.created),
                _SortItem(record.preset or "custom", record.preset or "~"),
                _SortItem(_number(record.epochs, "{:g}"), record.epochs),
                _SortItem(_number(record.val_accuracy, "{:.2%}"), record.val_accuracy),
                _SortItem(_number(record.test_accuracy, "{:.2%}"), record.test_accuracy),
                _SortItem(_duration(record.train_seconds), record.train_seconds),
            ]
            for key in differing:
                value = record.config.get(key)
                item = _SortItem(setting_text(value), setting_text(value))
                item.setBackground(highlight)
                item.setForeground(QBrush(Qt.GlobalColor.black))
                cells.append(item)
            cells[0].setData(Qt.ItemDataRole.UserRole, record.key)
            if record.status != "completed":
                cells[0].setToolTip(f"{record.status}: a partial run")
            for column, item in enumerate(cells, start=1):
                if column >= 4 and column < len(FIXED):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.setSortingEnabled(True)
        table.blockSignals(False)

    def _key_of_row(self, row: int) -> Any:
        item = self.table.item(row, NAME)
        assert item is not None  # _fill_table gives every row its name cell, signals blocked
        return item.data(Qt.ItemDataRole.UserRole)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != TICK:
            return
        key = self._key_of_row(item.row())
        if item.checkState() == Qt.CheckState.Checked:
            self._ticked.add(key)
        else:
            self._ticked.discard(key)
        self.redraw()

    def _update_buttons(self) -> None:
        record = self.selected()
        stored = record is not None and record.path is not None
        self.open_button.setEnabled(stored)
        editable = record is not None and stored and not record.bundled
        self.rename_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        why = "the bundled model cannot be changed" if record and record.bundled else ""
        self.delete_button.setToolTip(why or "delete the selected model from your store")
        self.rename_button.setToolTip(why or "give the selected model another name")

    # --- actions --------------------------------------------------------------------------

    def open_selected(self) -> None:
        record = self.selected()
        if record is not None and record.path is not None:
            self.open_requested.emit(str(record.path))

    def delete_selected(self, confirm: bool = True) -> bool:
        """Delete the selected stored model after a question; True if it was deleted."""
        record = self.selected()
        if record is None or record.path is None or record.bundled:
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete model",
                f"Delete the model {record.name!r} from {record.path.parent}? "
                "This cannot be undone.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        return self._change(lambda store: store.delete(record.name), record)

    def rename_selected(self, new_name: str | None = None) -> bool:
        """Rename the selected stored model (asking for the name when None)."""
        record = self.selected()
        if record is None or record.path is None or record.bundled:
            return False
        while new_name is None:
            text, ok = QInputDialog.getText(self, "Rename model", "New name:", text=record.name)
            if not ok:
                return False
            new_name = text.strip() or None
        if new_name == record.name:
            return False
        return self._change(lambda store: store.rename(record.name, new_name), record)

    def _change(self, action, record: RunRecord) -> bool:
        assert record.path is not None
        try:
            action(ModelStore(Path(record.path).parent))
        except (DigitpadError, OSError) as exc:
            QMessageBox.warning(self, "Could not change the model", str(exc))
            return False
        self.refresh()
        self.models_changed.emit()
        return True

    # --- charts ---------------------------------------------------------------------------

    def _ensure_canvas(self) -> FigureCanvasQTAgg:
        if self._canvas is None:
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(6, 4), layout="constrained")
            self._axes = figure.subplots(2, 2)
            self._canvas = FigureCanvasQTAgg(figure)
            self._canvas.setAccessibleName("Validation curves of the ticked runs")
            self._canvas.setMinimumHeight(220)
            self._chart_layout.addWidget(self._canvas)
        return self._canvas

    def redraw(self) -> None:
        """Overlay the ticked runs' validation curves (a handful of lines: a full redraw)."""
        canvas = self._ensure_canvas()
        (acc_epoch, acc_time), (loss_epoch, loss_time) = self._axes
        for axes in (acc_epoch, acc_time, loss_epoch, loss_time):
            axes.clear()
            axes.grid(True, alpha=0.3)
        for index, record in enumerate(self.ticked()):
            colour = COLOURS[index % len(COLOURS)]
            curve = record.curve
            if not curve.epoch:
                continue
            acc_epoch.plot(curve.epoch, curve.accuracy, color=colour, label=record.name)
            loss_epoch.plot(curve.epoch, curve.loss, color=colour, label=record.name)
            if curve.seconds:
                acc_time.plot(curve.seconds, curve.accuracy, color=colour, label=record.name)
                loss_time.plot(curve.seconds, curve.loss, color=colour, label=record.name)
        acc_epoch.set_title("validation accuracy", fontsize="small")
        acc_time.set_title("validation accuracy against training time", fontsize="small")
        loss_epoch.set_title("validation loss", fontsize="small")
        loss_time.set_title("validation loss against training time", fontsize="small")
        loss_epoch.set_xlabel("epoch", fontsize="small")
        loss_time.set_xlabel("seconds (each run's time spread evenly over its epochs)", fontsize=7)
        for axes in (acc_epoch, acc_time, loss_epoch, loss_time):
            axes.tick_params(labelsize="x-small")
        if acc_epoch.lines:
            acc_epoch.legend(fontsize="x-small", loc="lower right")
        canvas.draw_idle()


def _number(value: float | None, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}" if minutes else f"{seconds:.1f} s"
