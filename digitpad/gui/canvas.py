"""The drawing canvas: white ink on black, like MNIST, drawn with mouse, pen or finger.

Strokes are kept as vector paths in fixed canvas units (a 280×280 square), not as screen
pixels, so the drawing stays sharp on HiDPI screens, survives resizing, and rasterises for the
network at a resolution that does not depend on the display.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    Property,
    QElapsedTimer,
    QEvent,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIDE = 280.0
"""Side of the drawing in canvas units; strokes and pen widths are measured in these."""
RASTER_SIDE = 280
"""Side in pixels of :meth:`DrawingCanvas.to_array`; ten times MNIST's, ample for to_mnist."""
THROTTLE_MS = 35
"""At most one ``changed`` per this many milliseconds while the pen moves (~28 per second)."""
DEFAULT_PEN_WIDTH = 18.0
MIN_PEN_WIDTH = 4.0
MAX_PEN_WIDTH = 48.0

BACKGROUND = QColor(0, 0, 0)
INK = QColor(255, 255, 255)
_MIN_STEP = 0.5  # canvas units; closer pointer samples add nothing but path segments


@dataclass
class _Stroke:
    """One pen-down to pen-up, smoothed: quadratic curves through the samples' midpoints."""

    width: float
    path: QPainterPath
    last: QPointF
    samples: int = 1
    active: bool = True

    @classmethod
    def start(cls, point: QPointF, width: float) -> _Stroke:
        return cls(width, QPainterPath(point), QPointF(point))

    def add(self, point: QPointF) -> bool:
        """Extend to ``point``; False if it is too close to the last sample to matter."""
        delta = point - self.last
        if abs(delta.x()) + abs(delta.y()) < _MIN_STEP:
            return False
        middle = (self.last + point) / 2
        if self.samples == 1:
            self.path.lineTo(middle)
        else:
            self.path.quadTo(self.last, middle)
        self.last = QPointF(point)
        self.samples += 1
        return True

    def finish(self) -> None:
        if self.samples == 1:
            # A tap: a zero-length segment with round caps paints a dot.
            self.path.lineTo(self.last + QPointF(0.01, 0))
        else:
            self.path.lineTo(self.last)
        self.active = False

    def outline(self) -> QPainterPath:
        """The path to paint; an active stroke reaches on to the latest sample."""
        if not self.active:
            return self.path
        path = QPainterPath(self.path)
        path.lineTo(self.last if self.samples > 1 else self.last + QPointF(0.01, 0))
        return path


class DrawingCanvas(QWidget):
    """A square canvas (at least 280×280) to draw a digit on.

    ``changed`` is emitted while drawing, at most every :data:`THROTTLE_MS` ms, and at once when
    a stroke ends, on :meth:`clear`, :meth:`undo` and :meth:`set_image`.
    """

    changed = Signal()
    pen_width_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[_Stroke] = []
        self._image: QImage | None = None  # a loaded 28×28 digit: white, alpha = ink
        self._pen_width = DEFAULT_PEN_WIDTH
        self._placeholder = ""
        self._hover: QPointF | None = None  # canvas units, for the pen-size outline
        self._since_emit = QElapsedTimer()
        self._trailing = QTimer(self)
        self._trailing.setSingleShot(True)
        self._trailing.timeout.connect(self._emit_changed)

        self.setMinimumSize(int(CANVAS_SIDE), int(CANVAS_SIDE))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Drawing canvas")

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    # --- state ---------------------------------------------------------------------------------

    def _get_pen_width(self) -> float:
        return self._pen_width

    @Slot(float)
    @Slot(int)
    def set_pen_width(self, width: float) -> None:
        """Width of the following strokes, in canvas units (the canvas is 280 units wide)."""
        width = float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))
        if width != self._pen_width:
            self._pen_width = width
            self.update()
            self.pen_width_changed.emit(width)

    pen_width = Property(float, _get_pen_width, set_pen_width, notify=pen_width_changed)

    @property
    def stroke_count(self) -> int:
        return len(self._strokes)

    @property
    def has_image(self) -> bool:
        return self._image is not None

    def is_empty(self) -> bool:
        return not self._strokes and self._image is None

    def set_placeholder_text(self, text: str) -> None:
        """Text shown, faintly, on an empty canvas (never part of :meth:`to_array`)."""
        self._placeholder = text
        self.update()

    @Slot()
    def clear(self) -> None:
        """Remove every stroke and the loaded image."""
        self._strokes.clear()
        self._image = None
        self.update()
        self._emit_changed()

    @Slot()
    def undo(self) -> None:
        """Remove the last stroke (the loaded image stays)."""
        if not self._strokes:
            return
        self._strokes.pop()
        self.update()
        self._emit_changed()

    def set_image(self, image28: np.ndarray | None) -> None:
        """Replace the drawing by a 28×28 image in [0, 1] (ink high), enlarged to fill the
        canvas; strokes drawn afterwards add to it."""
        self._strokes.clear()
        if image28 is None:
            self._image = None
        else:
            pixels = np.asarray(image28, dtype=np.float32)
            if pixels.shape != (28, 28):
                raise ValueError(f"image must be 28×28, not {pixels.shape}")
            value = np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
            # Premultiplied white whose alpha is the ink: it composes over the black background
            # and under strokes exactly as the grayscale image would.
            argb = np.ascontiguousarray(np.repeat(value[:, :, None], 4, axis=2))
            self._image = QImage(
                argb.data, 28, 28, 28 * 4, QImage.Format.Format_ARGB32_Premultiplied
            ).copy()
        self.update()
        self._emit_changed()

    def to_array(self, side: int = RASTER_SIDE) -> np.ndarray:
        """The drawing as a (side, side) uint8 array: 0 background, 255 ink."""
        image = QImage(side, side, QImage.Format.Format_Grayscale8)
        image.fill(0)
        painter = QPainter(image)
        painter.scale(side / CANVAS_SIDE, side / CANVAS_SIDE)
        self._paint_content(painter)
        painter.end()
        stride = image.bytesPerLine()
        buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * side)
        return buffer.reshape(side, stride)[:, :side].copy()

    # --- geometry -------------------------------------------------------------------------------

    def canvas_rect(self) -> QRectF:
        """The square, in widget coordinates, that shows the canvas (inside a 1 px border)."""
        side = max(1.0, min(self.width(), self.height()) - 2.0)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def map_from_canvas(self, x: float, y: float) -> QPointF:
        """Widget coordinates of the canvas point (x, y), in canvas units (0-280)."""
        rect = self.canvas_rect()
        scale = rect.width() / CANVAS_SIDE
        return QPointF(rect.left() + x * scale, rect.top() + y * scale)

    def _to_canvas(self, position: QPointF) -> QPointF:
        rect = self.canvas_rect()
        return (position - rect.topLeft()) * (CANVAS_SIDE / rect.width())

    def _update_around(self, *points: QPointF, radius: float) -> None:
        """Repaint only the area a new segment or the hover outline touches."""
        rect = self.canvas_rect()
        scale = rect.width() / CANVAS_SIDE
        xs = [p.x() for p in points]
        ys = [p.y() for p in points]
        margin = radius * scale + 2
        self.update(
            QRectF(
                rect.left() + min(xs) * scale - margin,
                rect.top() + min(ys) * scale - margin,
                (max(xs) - min(xs)) * scale + 2 * margin,
                (max(ys) - min(ys)) * scale + 2 * margin,
            ).toAlignedRect()
        )

    # --- strokes --------------------------------------------------------------------------------

    def _begin(self, position: QPointF) -> None:
        if self._strokes and self._strokes[-1].active:
            self._end()
        point = self._to_canvas(position)
        if self.is_empty() and self._placeholder:
            self.update()  # the placeholder goes: more than the new stroke's area changes
        self._move_hover(None)  # hidden while drawing; it reappears where the pen lifts
        self._strokes.append(_Stroke.start(point, self._pen_width))
        self._update_around(point, radius=self._pen_width)
        self._changed_while_drawing()

    def _extend(self, position: QPointF) -> None:
        stroke = self._strokes[-1]
        before = stroke.path.currentPosition()
        previous = QPointF(stroke.last)
        point = self._to_canvas(position)
        if stroke.add(point):
            self._update_around(before, previous, point, radius=stroke.width)
            self._changed_while_drawing()

    def _end(self) -> None:
        stroke = self._strokes[-1]
        stroke.finish()
        self._update_around(stroke.path.currentPosition(), radius=stroke.width)
        self._emit_changed()

    def _drawing(self) -> bool:
        return bool(self._strokes) and self._strokes[-1].active

    # --- throttled notification -----------------------------------------------------------------

    def _changed_while_drawing(self) -> None:
        # Leading edge at once (the first touch predicts immediately), then at most one per
        # THROTTLE_MS, the last one trailing so the final position is never missed.
        if self._trailing.isActive():
            return
        if not self._since_emit.isValid() or self._since_emit.elapsed() >= THROTTLE_MS:
            self._emit_changed()
        else:
            self._trailing.start(max(1, THROTTLE_MS - self._since_emit.elapsed()))

    @Slot()
    def _emit_changed(self) -> None:
        self._trailing.stop()
        self._since_emit.start()
        self.changed.emit()

    # --- input ----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing():
            self._extend(event.position())
        else:
            self._move_hover(self._to_canvas(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drawing():
            self._extend(event.position())
            self._end()
            self._move_hover(self._to_canvas(event.position()))
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepting it stops Qt from also synthesising mouse events for the same pen.
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove and self._drawing():
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease and self._drawing():
            self._end()
        event.accept()

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        ):
            self._touch(event)
            return True
        return super().event(event)

    def _touch(self, event: QTouchEvent) -> None:
        points = event.points()
        kind = event.type()
        if kind == QEvent.Type.TouchBegin and points:
            self._begin(points[0].position())
        elif kind == QEvent.Type.TouchUpdate and points and self._drawing():
            self._extend(points[0].position())
        elif kind in (QEvent.Type.TouchEnd, QEvent.Type.TouchCancel) and self._drawing():
            self._end()
        event.accept()

    def _move_hover(self, point: QPointF | None) -> None:
        old = self._hover
        self._hover = point
        for p in (old, point):
            if p is not None:
                self._update_around(p, radius=self._pen_width)

    def leaveEvent(self, event: QEvent) -> None:
        self._move_hover(None)
        super().leaveEvent(event)

    # --- painting -------------------------------------------------------------------------------

    def _paint_content(self, painter: QPainter) -> None:
        """The loaded image and the strokes, in canvas units; shared by screen and raster."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._image is not None:
            # Nearest-neighbour (no SmoothPixmapTransform): the MNIST pixels stay visible as
            # pixels, and at 10× they survive to_mnist's area averaging almost unchanged.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(QRectF(0, 0, CANVAS_SIDE, CANVAS_SIDE), self._image)
        for stroke in self._strokes:
            pen = QPen(
                INK,
                stroke.width,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
            painter.strokePath(stroke.outline(), pen)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        rect = self.canvas_rect()
        painter.fillRect(rect, BACKGROUND)

        painter.save()
        painter.setClipRect(rect)
        painter.translate(rect.topLeft())
        painter.scale(rect.width() / CANVAS_SIDE, rect.width() / CANVAS_SIDE)
        self._paint_content(painter)
        if self._hover is not None and not self._drawing():
            outline = QPen(QColor(255, 255, 255, 110), 0)  # cosmetic: 1 px at any scale
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            radius = self._pen_width / 2
            painter.drawEllipse(self._hover, radius, radius)
        painter.restore()

        if self.is_empty() and self._placeholder:
            painter.setPen(QColor(255, 255, 255, 100))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._placeholder)

        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
