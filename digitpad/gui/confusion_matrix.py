"""A 10×10 confusion matrix you can click: rows are the true digit, columns the prediction.

Painted with QPainter (it redraws instantly and needs no figure). The diagonal, the correct
answers, is tinted with the palette's accent; each mistake cell is shaded red by its count, on a
square-root scale so that the few cells with 2-5 mistakes still show next to one with 20.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.data import CLASSES
from digitpad.gui.focus import paint_focus_frame

MISTAKE = QColor(214, 69, 65)


class ConfusionMatrix(QWidget):
    """Shows ``confusion[true, predicted]`` counts; ``cell_clicked(true, predicted)``.

    From the keyboard: the arrows move a cursor over the cells (it starts on the selected
    cell), Enter or Space clicks the cell under it.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._confusion: np.ndarray | None = None
        self._selected: tuple[int, int] | None = None
        self._hover: tuple[int, int] | None = None
        self._cursor: tuple[int, int] | None = None  # the keyboard's cell, while focused
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Confusion matrix")
        self.setAccessibleDescription(
            "Ten rows (the true digit) by ten columns (the network's answer), each cell the "
            "number of test images. Arrow keys move between cells, Enter lists a cell's images."
        )
        self.setMinimumSize(260, 260)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setToolTip("Click a cell to list its images")

    def sizeHint(self) -> QSize:
        return QSize(360, 360)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def set_confusion(self, confusion: np.ndarray | None) -> None:
        self._confusion = None if confusion is None else np.asarray(confusion, dtype=np.int64)
        self.update()

    def set_selected(self, cell: tuple[int, int] | None) -> None:
        """Outline one cell (the grid's current true/predicted pair), or none."""
        self._selected = cell
        self.update()

    # --- geometry -------------------------------------------------------------------------------

    def _margins(self) -> tuple[float, float]:
        """Space left of and above the cells for the axis titles and digit labels."""
        line = self.fontMetrics().height()
        return 2.2 * line, 2.2 * line

    def _cell_size(self) -> float:
        left, top = self._margins()
        return max(4.0, min(self.width() - left - 2, self.height() - top - 2) / CLASSES)

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        """Where the cell for (true digit, predicted digit) is drawn, in widget coordinates."""
        left, top = self._margins()
        size = self._cell_size()
        return QRectF(left + predicted * size, top + true * size, size, size)

    def cell_at(self, position: QPointF) -> tuple[int, int] | None:
        left, top = self._margins()
        size = self._cell_size()
        column = int((position.x() - left) // size)
        row = int((position.y() - top) // size)
        if 0 <= row < CLASSES and 0 <= column < CLASSES:
            return row, column
        return None

    @property
    def keyboard_cell(self) -> tuple[int, int] | None:
        """The cell the arrow keys are on (None until an arrow is pressed)."""
        return self._cursor

    # --- input ----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        steps = {
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
        }
        key = Qt.Key(event.key())
        if key in steps:
            true, predicted = self._cursor or self._selected or (0, 0)
            if self._cursor is not None:
                down, right = steps[key]
                true = min(CLASSES - 1, max(0, true + down))
                predicted = min(CLASSES - 1, max(0, predicted + right))
            self._cursor = (true, predicted)
            self._describe(self._cursor)
            self.update()
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            cell = self._cursor or self._selected
            if cell is not None:
                self.cell_clicked.emit(*cell)
            event.accept()
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._cursor = None
        super().focusOutEvent(event)

    def _describe(self, cell: tuple[int, int]) -> None:
        # The cell's meaning in words, for the tooltip and a screen reader.
        if self._confusion is None:
            return
        true, predicted = cell
        count = int(self._confusion[true, predicted])
        noun = "image" if count == 1 else "images"
        self.setToolTip(f"{count} {noun} of a {true} read as {predicted}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            self.cell_clicked.emit(*cell)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell != self._hover:
            self._hover = cell
            self.setCursor(
                Qt.CursorShape.PointingHandCursor if cell else Qt.CursorShape.ArrowCursor
            )
            if cell is not None:
                self._describe(cell)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    # --- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        accent = palette.color(QPalette.ColorRole.Highlight)
        grid = QColor(text)
        grid.setAlphaF(0.12)
        left, top = self._margins()
        size = self._cell_size()
        line = self.fontMetrics().height()

        # Axis titles and digit labels.
        painter.setPen(text)
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(
            QRectF(left, 0, size * CLASSES, line), Qt.AlignmentFlag.AlignCenter, "predicted"
        )
        painter.save()
        painter.translate(0, top + size * CLASSES / 2)
        painter.rotate(-90)
        painter.drawText(
            QRectF(-size * CLASSES / 2, 0, size * CLASSES, line),
            Qt.AlignmentFlag.AlignCenter,
            "true",
        )
        painter.restore()
        painter.setFont(self.font())
        for digit in range(CLASSES):
            painter.drawText(
                QRectF(left + digit * size, line, size, top - line),
                Qt.AlignmentFlag.AlignCenter,
                str(digit),
            )
            painter.drawText(
                QRectF(line, top + digit * size, left - line - 4, size),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(digit),
            )

        confusion = self._confusion
        off_diagonal = 1
        row_totals = np.ones(CLASSES)
        if confusion is not None:
            mistakes = confusion.copy()
            np.fill_diagonal(mistakes, 0)
            off_diagonal = max(1, int(mistakes.max()))
            row_totals = np.maximum(confusion.sum(axis=1), 1)

        small = QFont(self.font())
        # Shrink the counts until four digits (a diagonal of a big test set) fit in a cell.
        while small.pointSizeF() > 6 and QFontMetricsF(small).horizontalAdvance("0000") > size - 6:
            small.setPointSizeF(small.pointSizeF() - 0.5)
        for true in range(CLASSES):
            for predicted in range(CLASSES):
                rect = self.cell_rect(true, predicted)
                count = 0 if confusion is None else int(confusion[true, predicted])
                fill, strong = _cell_colour(
                    true == predicted, count, off_diagonal, row_totals[true], accent
                )
                if fill is not None:
                    painter.fillRect(rect, fill)
                painter.setPen(QPen(grid, 1))
                painter.drawRect(rect)
                if confusion is None or count == 0:
                    continue
                font = QFont(small)
                font.setBold(true == predicted)
                painter.setFont(font)
                painter.setPen(QColor("white") if strong else text)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))

        for cell, width, colour, style in (
            (self._hover, 1.5, text, Qt.PenStyle.SolidLine),
            (self._selected, 2.5, text, Qt.PenStyle.SolidLine),
            (self._cursor, 2.0, accent, Qt.PenStyle.DashLine),
        ):
            if cell is not None:
                painter.setPen(QPen(colour, width, style))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(self.cell_rect(*cell).adjusted(1, 1, -1, -1))
        paint_focus_frame(painter, self)


def _cell_colour(
    diagonal: bool, count: int, most_mistakes: int, row_total: float, accent: QColor
) -> tuple[QColor | None, bool]:
    """A cell's fill and whether it is strong enough to need white text."""
    if diagonal:
        colour = QColor(accent)
        share = count / row_total
        # Every diagonal cell is clearly tinted; a weaker class is a lighter tint.
        alpha = 0.35 + 0.55 * share
        colour.setAlphaF(alpha)
        return colour, alpha > 0.6
    if count == 0:
        return None, False
    colour = QColor(MISTAKE)
    alpha = 0.12 + 0.78 * float(np.sqrt(count / most_mistakes))
    colour.setAlphaF(alpha)
    return colour, alpha > 0.6
