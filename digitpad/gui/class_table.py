"""Each digit's accuracy (recall) and precision, worst digit first, as a small clickable table.

The numbers come from :func:`digitpad.evaluation.class_scores`; the table only shows them.
Clicking a row asks for that digit's mistakes: its images the network got wrong (the digit or
accuracy column) or the images it wrongly read as that digit (the precision column), the
same lists a row or column of the confusion matrix holds.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from digitpad.evaluation import ClassScore

COLUMNS = ("Digit", "Accuracy", "Precision")
PRECISION_COLUMN = 2
_WIDEST_VALUE = "100.0 %"


def score_text(value: float) -> str:
    """A score as people read it; "–" when it is undefined (nothing to divide by)."""
    return "–" if math.isnan(value) else f"{value * 100:.1f} %"


class ClassScoresTable(QTableWidget):
    """Ten rows, worst digit first. ``filter_requested(true, predicted)``: one is a digit, the
    other None."""

    filter_requested = Signal(object, object)

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self._scores: list[ClassScore] = []
        self.setHorizontalHeaderLabels(list(COLUMNS))
        tips = (
            "Click a row to list that digit's mistakes",
            "Accuracy (recall): of the test images of this digit, the share read right. "
            "Click to list the ones read wrong.",
            "Precision: of the test images read as this digit, the share that really are it. "
            "Click to list the ones wrongly read as it.",
        )
        for column, tip in enumerate(tips):
            item = self.horizontalHeaderItem(column)
            assert item is not None  # setHorizontalHeaderLabels made one per column
            item.setToolTip(tip)
        self.setAccessibleName("Accuracy and precision per digit")
        self.setAccessibleDescription(
            "One row per digit, worst first; Enter on a row lists that digit's mistakes"
        )
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.cellClicked.connect(self._clicked)
        self.cellActivated.connect(self._clicked)

    @property
    def scores(self) -> list[ClassScore]:
        """What the rows show, top to bottom."""
        return list(self._scores)

    def set_scores(self, scores: list[ClassScore] | None) -> None:
        """Show ``scores`` in their order (worst first), or an empty table."""
        self._scores = list(scores or [])
        self.clearSelection()
        self.setRowCount(len(self._scores))
        bold = QFont(self.font())
        bold.setBold(True)
        for row, score in enumerate(self._scores):
            tip = (
                f"{score.digit}: {score.correct:,} of its {score.support:,} test images read "
                f"right ({score_text(score.recall)}); read as {score.digit} {score.answered:,} "
                f"times, {score.correct:,} of them right ({score_text(score.precision)})"
            )
            texts = (str(score.digit), score_text(score.recall), score_text(score.precision))
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(
                    Qt.AlignmentFlag.AlignCenter
                    if column == 0
                    else Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                item.setToolTip(tip)
                if column == 0:
                    item.setFont(bold)
                self.setItem(row, column, item)

    def row_of(self, digit: int) -> int:
        """The row showing ``digit`` (-1 if none)."""
        return next((row for row, s in enumerate(self._scores) if s.digit == digit), -1)

    def show_selected(self, true: int | None, predicted: int | None) -> None:
        """Select the row of the digit the grid is filtered on alone, or none."""
        digit = true if predicted is None else (predicted if true is None else None)
        row = -1 if digit is None else self.row_of(digit)
        self.blockSignals(True)
        if row < 0:
            self.clearSelection()
        else:
            self.selectRow(row)
        self.blockSignals(False)

    def _clicked(self, row: int, column: int) -> None:
        if not 0 <= row < len(self._scores):
            return
        digit = self._scores[row].digit
        if column == PRECISION_COLUMN:
            self.filter_requested.emit(None, digit)
        else:
            self.filter_requested.emit(digit, None)

    # --- size: all three columns and all ten rows, always ---------------------------------------

    def _content_width(self) -> int:
        metrics = self.fontMetrics()
        header = self.horizontalHeader().fontMetrics()
        widest = max(
            max(header.horizontalAdvance(title) for title in COLUMNS),
            metrics.horizontalAdvance(_WIDEST_VALUE),
        )
        # Each column gets the widest text plus the header's padding and sort-arrow room.
        return len(COLUMNS) * (widest + 12) + 2 * self.frameWidth()

    def _rows_height(self, rows: int) -> int:
        header = self.horizontalHeader().sizeHint().height()
        return header + rows * self.verticalHeader().defaultSectionSize() + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._content_width(), self._rows_height(10))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        # Ten short rows fit beside the matrix's smallest size: the table never scrolls.
        return self.sizeHint()
