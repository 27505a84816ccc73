"""The model summary as widgets: a table of layers and a one-line label for the Train tab."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from digitpad.config import TrainConfig
from digitpad.errors import ConfigError
from digitpad.gui.config_form import ConfigForm
from digitpad.inference import Predictor
from digitpad.network_summary import (
    NetworkSummary,
    config_summary_text,
    summary_from_predictor,
)

_HEADERS = ("Layer", "Output shape", "Activation", "Parameters", "Counted as")


class SummaryTable(QTableWidget):
    """Layers, output shapes, activations and parameter counts, a total row last."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(_HEADERS), parent)
        self.setHorizontalHeaderLabels(list(_HEADERS))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        for column in range(len(_HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    def show_summary(self, summary: NetworkSummary | None) -> None:
        rows = summary.rows() if summary is not None else []
        layers = summary.layers if summary is not None else ()
        # How each count comes about: a weight from every input to every unit, a bias per unit.
        how = ["", *(f"{x.inputs:,} × {x.units:,} weights + {x.units:,} biases" for x in layers)]
        how.append("× 4 bytes (float32)" if rows else "")
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate((*row, how[r])):
                item = QTableWidgetItem(text)
                if c == 3:  # numbers line up on the right
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if r == len(rows) - 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.setItem(r, c, item)
        # As tall as its rows: a short table, not a box of empty space.
        self.resizeRowsToContents()
        rows_height = sum(self.rowHeight(r) for r in range(self.rowCount()))
        header = self.horizontalHeader().sizeHint().height()
        self.setFixedHeight(header + rows_height + 2 * self.frameWidth() + 2)


class NetworkSummaryLine(QLabel):
    """One line such as ``784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB``.

    For the Train tab: connect the form's config changes to :meth:`set_config`; or show a
    trained model's size with :meth:`set_predictor`.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("network_summary")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long reason wraps under the form rather than widening the column it sits in.
        self.setWordWrap(True)
        self.setToolTip(
            "the network these settings build: the width of each layer, its activation, "
            "how many weights and biases it learns and their size as float32"
        )

    def set_config(self, config: TrainConfig) -> None:
        self.setText(config_summary_text(config))

    def follow(self, form: ConfigForm) -> None:
        """Show the network ``form``'s settings build, now and after every edit; while a
        field is refused, the reason instead."""
        form.changed.connect(lambda: self.show_form(form))
        self.show_form(form)

    def show_form(self, form: ConfigForm) -> None:
        try:
            config = form.config()
        except ConfigError as exc:
            self.setText(f"no network: {exc}")
            return
        self.set_config(config)

    def set_predictor(self, predictor: Predictor | None) -> None:
        self.setText("" if predictor is None else summary_from_predictor(predictor).one_line())
