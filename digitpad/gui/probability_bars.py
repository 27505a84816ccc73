"""Ten horizontal bars, one per digit, with percentages; the network's top answer highlighted.

Painted with QPainter rather than matplotlib so that it redraws in well under a millisecond on
every canvas change. Colours come from the palette (readable in light and dark themes), with the
palette's highlight as the one accent.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
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

MAX_ROW_PX = 24
"""Tallest a row gets: a bar and its label, with a little air."""


def percent_text(probability: float) -> str:
    """A probability as people read it; tiny ones say so instead of a misleading 0.0 %."""
    if probability < 0.0005:
        return "<0.1 %"
    return f"{probability * 100:.1f} %"


class ProbabilityBars(QWidget):
    """Shows ten probabilities; ``set_probabilities(None)`` shows the empty chart.

    ``digit_clicked(int)``: the user clicked a digit's row (to say "this is what I drew"); from
    the keyboard, Up and Down move a marker over the rows and Enter or Space clicks its row.
    """

    digit_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Probabilities of the ten digits")
        self.setAccessibleDescription("No drawing yet")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._probabilities: np.ndarray | None = None
        self._cursor: int | None = None  # the row the keyboard is on, while focused
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(160, 150)
        # In a tall window the rows would grow into fat, widely spaced bands: they stop at a
        # comfortable reading height and the space goes elsewhere.
        self.setMaximumHeight(CLASSES * MAX_ROW_PX)

    def sizeHint(self) -> QSize:
        return QSize(280, 220)

    @property
    def probabilities(self) -> np.ndarray | None:
        return self._probabilities

    def set_probabilities(self, probabilities: np.ndarray | None) -> None:
        """Show (10,) probabilities summing to 1, or nothing."""
        if probabilities is None:
            self._probabilities = None
            self.setToolTip("")
            self.setAccessibleDescription("No drawing yet")
        else:
            self._probabilities = np.asarray(probabilities, dtype=np.float64).reshape(CLASSES)
            # Screen readers and tooltips get the numbers the bars show.
            lines = [f"{digit}: {percent_text(p)}" for digit, p in enumerate(self._probabilities)]
            self.setToolTip("\n".join(lines))
            self.setAccessibleDescription(", ".join(lines))
        self.update()

    def top_digit(self) -> int | None:
        return None if self._probabilities is None else int(self._probabilities.argmax())

    def digit_at(self, y: float) -> int | None:
        """The digit whose row is at height ``y`` (widget pixels), if any."""
        if not 0 <= y < self.height():
            return None
        return min(CLASSES - 1, int(y / (self.height() / CLASSES)))

    @property
    def keyboard_digit(self) -> int | None:
        """The row the Up and Down keys are on (None until one is pressed)."""
        return self._cursor

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            start = self._cursor if self._cursor is not None else self.top_digit()
            if start is None:
                self._cursor = 0
            elif self._cursor is None:
                self._cursor = start  # the first press lands on the top answer
            else:
                step = -1 if key == Qt.Key.Key_Up else 1
                self._cursor = min(CLASSES - 1, max(0, start + step))
            self.update()
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self._cursor is not None:
                self.digit_clicked.emit(self._cursor)
            event.accept()
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._cursor = None
        super().focusOutEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        digit = self.digit_at(event.position().y())
        if event.button() == Qt.MouseButton.LeftButton and digit is not None:
            self.digit_clicked.emit(digit)
            event.accept()
            return
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        accent = palette.color(QPalette.ColorRole.Highlight)
        track = QColor(text)
        track.setAlphaF(0.08)
        bar = QColor(text)
        bar.setAlphaF(0.35)

        regular = QFont(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)  # the top row is bold: size the columns for it
        label_width = metrics.horizontalAdvance("0") + 10
        percent_width = metrics.horizontalAdvance("100.0 %") + 12
        row_height = self.height() / CLASSES
        bar_height = max(4.0, min(row_height * 0.62, 22.0))
        bar_left = label_width
        bar_width = max(10.0, self.width() - label_width - percent_width)
        top = self.top_digit()

        for digit in range(CLASSES):
            y = digit * row_height
            is_top = digit == top
            painter.setFont(bold if is_top else regular)
            painter.setPen(accent if is_top else text)
            label_rect = QRectF(0, y, label_width - 6, row_height)
            painter.drawText(
                label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(digit)
            )

            bar_rect = QRectF(bar_left, y + (row_height - bar_height) / 2, bar_width, bar_height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar_rect, 3, 3)
            if self._probabilities is None:
                continue
            p = float(self._probabilities[digit])
            if p >= 0.0005:
                filled = QRectF(bar_rect)
                # At least a sliver, so a chance worth printing is visibly not nothing.
                filled.setWidth(max(2.0, bar_width * p))
                painter.setBrush(accent if is_top else bar)
                painter.drawRoundedRect(filled, 3, 3)
            painter.setPen(accent if is_top else text)
            percent_rect = QRectF(bar_left + bar_width + 6, y, percent_width - 6, row_height)
            painter.drawText(
                percent_rect,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                percent_text(p),
            )
        if self._cursor is not None:
            painter.setPen(QPen(accent, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            row = QRectF(0, self._cursor * row_height, self.width(), row_height)
            painter.drawRect(row.adjusted(1, 1, -1, -1))
        paint_focus_frame(painter, self)
