"""Small charts painted with QPainter: grouped bars, a log-scale histogram, two overlaid
histograms and a curve with a marker.

The live training curves use matplotlib (``charts.py``); these do not need it. They show a
few hundred numbers each, redraw in well under a millisecond, and importing them costs
nothing at start-up. Colours come from the palette, so they read in light and dark themes.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

# Tableau blue, orange and green, as the training charts: distinct for most colour-blind readers.
SERIES_COLORS = (QColor("#4c8ed9"), QColor("#f28e2b"), QColor("#59a14f"))


def _compact(value: float) -> str:
    """12,345 → "12k", 3,400,000 → "3.4M": short axis labels."""
    if value >= 1e6:
        return f"{value / 1e6:.3g}M"
    if value >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:,.0f}"


def _nice_top(value: float) -> float:
    """The smallest 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above ``value`` (for a linear
    axis's top: its half is a round number too)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class _Chart(QWidget):
    """Shared set-up: size policy, palette colours, and the rectangle inside the axes."""

    # What a screen reader calls the chart (a place that knows more can set better ones).
    accessible_name = "Chart"
    accessible_description = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.accessible_name)
        self.setAccessibleDescription(self.accessible_description)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)

    def _colors(self) -> tuple[QColor, QColor, QColor]:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlphaF(0.15)
        return text, grid, palette.color(QPalette.ColorRole.Highlight)

    def _plot_rect(self, left: float, bottom_lines: float = 1.3, top: float = 4.0) -> QRectF:
        line = self.fontMetrics().height()
        return QRectF(
            left,
            top,
            max(10.0, self.width() - left - 6),
            max(10.0, self.height() - top - bottom_lines * line - 4),
        )

    def _y_label(self, painter: QPainter, rect: QRectF, y: float, text: str) -> None:
        metrics = QFontMetricsF(self.font())
        painter.drawText(
            QRectF(0, y - metrics.height() / 2, rect.left() - 4, metrics.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            text,
        )


class GroupedBars(_Chart):
    """Bars for each of ten digits, one per series (e.g. train, validation, test)."""

    accessible_name = "Bar chart per digit"
    accessible_description = "Bars for each of the ten digits, one per series"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._values = np.zeros((0, 10))
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(520, 220)

    def set_series(self, names: list[str], values: np.ndarray) -> None:
        """``values`` is (len(names), 10): one row of counts per series."""
        self._names = list(names)
        self._values = np.asarray(values, dtype=np.float64).reshape(len(names), -1)
        self.update()

    @property
    def values(self) -> np.ndarray:
        return self._values

    def _layout(self) -> tuple[QRectF, float, float]:
        label_width = self.fontMetrics().horizontalAdvance("0000k") + 8
        rect = self._plot_rect(label_width, 2.6, self.fontMetrics().height() / 2 + 2)
        groups = max(1, self._values.shape[1] if self._values.size else 10)
        group = rect.width() / groups
        return rect, group, group * 0.8 / max(1, len(self._names))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        rect, group, _bar = self._layout()
        digit = int((event.position().x() - rect.left()) // group)
        if self._values.size and 0 <= digit < self._values.shape[1]:
            counts = ", ".join(
                f"{name} {int(v):,}"
                for name, v in zip(self._names, self._values[:, digit], strict=True)
            )
            self.setToolTip(f"Digit {digit}: {counts}")
        super().mouseMoveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text, grid, _accent = self._colors()
        rect, group, bar = self._layout()
        top = _nice_top(float(self._values.max()) if self._values.size else 1.0)
        painter.setPen(text)
        for fraction in (0.0, 0.5, 1.0):
            y = rect.bottom() - fraction * rect.height()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            self._y_label(painter, rect, y, _compact(top * fraction))
        line = self.fontMetrics().height()
        for digit in range(10):
            x0 = rect.left() + digit * group + group * 0.1
            for series in range(len(self._names)):
                value = self._values[series, digit] if self._values.size else 0.0
                height = rect.height() * value / top
                painter.fillRect(
                    QRectF(x0 + series * bar, rect.bottom() - height, bar * 0.92, height),
                    SERIES_COLORS[series % len(SERIES_COLORS)],
                )
            painter.setPen(text)
            painter.drawText(
                QRectF(rect.left() + digit * group, rect.bottom() + 2, group, line),
                Qt.AlignmentFlag.AlignCenter,
                str(digit),
            )
        # Legend along the bottom: a swatch and a name per series.
        x = rect.left()
        y = rect.bottom() + line + 6
        for series, name in enumerate(self._names):
            painter.fillRect(
                QRectF(x, y + line * 0.25, line * 0.6, line * 0.6),
                SERIES_COLORS[series % len(SERIES_COLORS)],
            )
            painter.setPen(text)
            width = self.fontMetrics().horizontalAdvance(name) + 4
            painter.drawText(
                QRectF(x + line * 0.8, y, width, line), Qt.AlignmentFlag.AlignVCenter, name
            )
            x += line * 0.8 + width + line


class LevelHistogram(_Chart):
    """Counts of the 256 grey levels on a log scale (so both the black background and the
    few bright stroke pixels show)."""

    accessible_name = "Histogram of grey levels"
    accessible_description = "How many pixels have each of the 256 grey levels, on a log scale"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts = np.zeros(0)

    def sizeHint(self) -> QSize:
        return QSize(520, 180)

    def set_counts(self, counts: np.ndarray) -> None:
        self._counts = np.asarray(counts, dtype=np.float64)
        self.update()

    @property
    def counts(self) -> np.ndarray:
        return self._counts

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text, grid, accent = self._colors()
        label_width = self.fontMetrics().horizontalAdvance("100M") + 8
        rect = self._plot_rect(label_width, 1.3, self.fontMetrics().height() / 2 + 2)
        counts = self._counts
        decades = max(1, math.ceil(math.log10(counts.max()))) if counts.size and counts.max() else 1
        for power in range(decades + 1):
            y = rect.bottom() - rect.height() * power / decades
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            if power % max(1, decades // 4) == 0:
                painter.setPen(text)
                self._y_label(painter, rect, y, _compact(10.0**power))
        if counts.size:
            width = rect.width() / len(counts)
            # log10(count + 1): an empty level is 0 high rather than minus infinity.
            heights = rect.height() * np.log10(counts + 1) / decades
            for level, height in enumerate(heights):
                if height > 0:
                    painter.fillRect(
                        QRectF(
                            rect.left() + level * width,
                            rect.bottom() - height,
                            max(1.0, width),
                            height,
                        ),
                        accent,
                    )
        painter.setPen(text)
        line = self.fontMetrics().height()
        for value, align in ((0.0, Qt.AlignmentFlag.AlignLeft), (1.0, Qt.AlignmentFlag.AlignRight)):
            painter.drawText(
                QRectF(rect.left(), rect.bottom() + 2, rect.width(), line),
                align,
                "0 (black)" if value == 0 else "1 (white)",
            )
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 2, rect.width(), line),
            Qt.AlignmentFlag.AlignHCenter,
            "pixel value",
        )


class WeightHistogramChart(_Chart):
    """One layer's weights now (in colour) over the same bins at initialisation (grey), each
    scaled to its own peak so both shapes show even when one is a narrow spike."""

    accessible_name = "Histogram of weights"
    accessible_description = "One layer's weights now, over the same bins at initialisation in grey"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edges = np.zeros(0)
        self._now = np.zeros(0)
        self._initial: np.ndarray | None = None
        self.title = ""
        # Narrow enough for the Inside view's side column in an 800-pixel-wide window.
        self.setMinimumSize(120, 80)

    def sizeHint(self) -> QSize:
        return QSize(300, 110)

    def set_histogram(
        self, edges: np.ndarray, now: np.ndarray, initial: np.ndarray | None, title: str
    ) -> None:
        self._edges = np.asarray(edges, dtype=np.float64)
        self._now = np.asarray(now, dtype=np.float64)
        self._initial = None if initial is None else np.asarray(initial, dtype=np.float64)
        self.title = title
        self.setToolTip(title)
        self.update()

    @property
    def now(self) -> np.ndarray:
        return self._now

    @property
    def initial(self) -> np.ndarray | None:
        return self._initial

    def _area(self, rect: QRectF, counts: np.ndarray) -> QPainterPath:
        peak = counts.max() if counts.size and counts.max() > 0 else 1.0
        step = rect.width() / len(counts)
        points = [QPointF(rect.left(), rect.bottom())]
        for i, count in enumerate(counts):
            y = rect.bottom() - rect.height() * count / peak
            points += [QPointF(rect.left() + i * step, y), QPointF(rect.left() + (i + 1) * step, y)]
        points.append(QPointF(rect.right(), rect.bottom()))
        path = QPainterPath()
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
        return path

    def paintEvent(self, event: QPaintEvent) -> None:
        # No antialiasing: the steps are all horizontal and vertical, and it halves the cost.
        painter = QPainter(self)
        text, grid, accent = self._colors()
        line = self.fontMetrics().height()
        rect = self._plot_rect(4, bottom_lines=1.2, top=line + 4)
        painter.setPen(text)
        # A long title ends in "…" rather than being cut mid-character; the tooltip has it all.
        title = self.fontMetrics().elidedText(
            self.title, Qt.TextElideMode.ElideRight, max(0, self.width() - 8)
        )
        painter.drawText(
            QRectF(4, 0, self.width() - 8, line + 2), Qt.AlignmentFlag.AlignLeft, title
        )
        painter.setPen(QPen(grid, 1))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        painter.drawLine(
            QPointF(rect.center().x(), rect.top()), QPointF(rect.center().x(), rect.bottom())
        )
        if not self._now.size:
            return
        fill = QColor(accent)
        fill.setAlphaF(0.45)
        painter.setBrush(fill)
        painter.setPen(QPen(accent, 1.2))
        painter.drawPath(self._area(rect, self._now))
        if self._initial is not None:
            # On top, as a grey outline: the initial spike must not hide under today's fill.
            before = QColor(text)
            before.setAlphaF(0.12)
            outline = QColor(text)
            outline.setAlphaF(0.6)
            painter.setBrush(before)
            painter.setPen(QPen(outline, 1.0))
            painter.drawPath(self._area(rect, self._initial))
        limit = float(self._edges[-1]) if self._edges.size else 0.0
        painter.setPen(text)
        for value, align in (
            (-limit, Qt.AlignmentFlag.AlignLeft),
            (0.0, Qt.AlignmentFlag.AlignHCenter),
            (limit, Qt.AlignmentFlag.AlignRight),
        ):
            painter.drawText(
                QRectF(rect.left(), rect.bottom() + 1, rect.width(), line),
                align,
                f"{value:+.2g}" if value else "0",
            )


class CoverageChart(_Chart):
    """Accuracy of the answered images against the share answered, as the confidence threshold
    rises; a dot marks the current threshold."""

    accessible_name = "Accuracy against coverage"
    accessible_description = (
        "Accuracy of the answered test images against the share answered, as the confidence "
        "threshold rises"
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._coverage = np.zeros(0)
        self._accuracy = np.zeros(0)
        self._marker: tuple[float, float] | None = None
        self.setMinimumSize(200, 64)
        # Its preferred height when there is room, down to its minimum in a short window.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        self.setToolTip(
            "Each point is a threshold: the share of test images answered (across) and the "
            "accuracy on those (up). The dot is the current threshold."
        )

    def sizeHint(self) -> QSize:
        return QSize(300, 84)

    def set_curve(self, coverage: np.ndarray, accuracy: np.ndarray) -> None:
        keep = np.isfinite(accuracy) & (np.asarray(coverage) > 0)
        self._coverage = np.asarray(coverage, dtype=np.float64)[keep]
        self._accuracy = np.asarray(accuracy, dtype=np.float64)[keep]
        self.update()

    def set_marker(self, coverage: float, accuracy: float) -> None:
        ok = math.isfinite(coverage) and math.isfinite(accuracy)
        self._marker = (coverage, accuracy) if ok else None
        self.update()

    @property
    def marker(self) -> tuple[float, float] | None:
        return self._marker

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text, grid, accent = self._colors()
        line = self.fontMetrics().height()
        rect = self._plot_rect(self.fontMetrics().horizontalAdvance("100 %") + 8, 1.2, line / 2)
        painter.setPen(QPen(grid, 1))
        painter.drawRect(rect)
        if not self._coverage.size:
            return
        x_low = float(self._coverage.min())
        y_low = float(self._accuracy.min())
        x_span = max(1.0 - x_low, 1e-3)
        y_span = max(1.0 - y_low, 1e-3)

        def point(x: float, y: float) -> QPointF:
            return QPointF(
                rect.left() + rect.width() * (x - x_low) / x_span,
                rect.bottom() - rect.height() * (y - y_low) / y_span,
            )

        painter.setPen(QPen(SERIES_COLORS[0], 1.6))
        painter.drawPolyline(
            QPolygonF([point(x, y) for x, y in zip(self._coverage, self._accuracy, strict=True)])
        )
        if self._marker is not None:
            painter.setPen(QPen(text, 1))
            painter.setBrush(SERIES_COLORS[1])
            painter.drawEllipse(point(*self._marker), 4.5, 4.5)
        painter.setPen(text)
        self._y_label(painter, rect, rect.top(), "100 %")
        self._y_label(painter, rect, rect.bottom(), f"{y_low:.1%}".replace("%", " %"))
        bottom = QRectF(rect.left(), rect.bottom() + 1, rect.width(), line)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft, f"{x_low:.0%} answered")
        painter.drawText(bottom, Qt.AlignmentFlag.AlignRight, "all")
        painter.drawText(
            rect.adjusted(4, 0, 0, -1),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
            "accuracy of the answers",
        )


class ColourScale(QWidget):
    """A horizontal colour bar for a colour map, labelled at both ends and in the middle."""

    def __init__(self, lut: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Colour scale")
        self.setAccessibleDescription(
            "Which colour stands for which value in the picture beside it"
        )
        from digitpad.gui.pixel_image import rgb_qimage

        self._bar = rgb_qimage(np.asarray(lut, dtype=np.uint8)[None, :, :])
        self._labels = ("", "", "")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(int(self.fontMetrics().height() * 2.2))

    def set_labels(self, low: str, middle: str, high: str) -> None:
        self._labels = (low, middle, high)
        self.update()

    @property
    def labels(self) -> tuple[str, str, str]:
        return self._labels

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        line = self.fontMetrics().height()
        bar = QRectF(0, 0, self.width(), self.height() - line - 2)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(bar, self._bar)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        below = QRectF(0, bar.bottom() + 1, self.width(), line)
        for text, align in zip(
            self._labels,
            (
                Qt.AlignmentFlag.AlignLeft,
                Qt.AlignmentFlag.AlignHCenter,
                Qt.AlignmentFlag.AlignRight,
            ),
            strict=True,
        ):
            painter.drawText(below, align, text)
