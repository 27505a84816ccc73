"""The drawing canvas: white ink on black, like MNIST, drawn with mouse, pen or finger.

Strokes are kept as vector paths in canvas units, not as screen pixels: the canvas is 280 units
tall and as wide as the space the window gives it (a number needs width), so the drawing stays
sharp on HiDPI screens, survives resizing, and rasterises for the network at one pixel per unit
whatever the display. Each stroke is also a piece for `digitpad.segment`: the canvas knows
which ink was drawn together, so a number is split by its strokes (see :meth:`segment`), and
the digits found are shown as boxes over the drawing (:meth:`set_marks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from PySide6.QtCore import (
    Property,
    QElapsedTimer,
    QEvent,
    QPoint,
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
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
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

from digitpad.gui.focus import paint_focus_frame
from digitpad.segment import Segmentation, rows_apart, segment_pieces

CANVAS_SIDE = 280.0
"""Height of the drawing in canvas units; strokes and pen widths are measured in these. A
loaded 28×28 image fills a square of this side."""
RASTER_SIDE = 280
"""Height in pixels of :meth:`DrawingCanvas.to_array` (one per unit); ten times MNIST's."""
THROTTLE_MS = 35
"""At most one ``changed`` per this many milliseconds while the pen moves (~28 per second)."""
DEFAULT_PEN_WIDTH = 18.0
MIN_PEN_WIDTH = 4.0
MAX_PEN_WIDTH = 48.0

BACKGROUND = QColor(0, 0, 0)
INK = QColor(255, 255, 255)
CLICK_SLOP_PX = 4
"""A press inside a digit's box that moves less than this (screen px) before release is a click
that selects the digit; further, it is a stroke."""
_MIN_STEP = 0.5  # canvas units; closer pointer samples add nothing but path segments


@dataclass
class _Stroke:
    """One pen-down to pen-up, smoothed: quadratic curves through the samples' midpoints."""

    width: float
    path: QPainterPath
    last: QPointF
    samples: int = 1
    active: bool = True
    finished_box: tuple[float, float, float, float] | None = None
    finished_ink: float | None = None
    # Its ink rasterised alone (uint8) and that raster's top-left pixel: a finished stroke
    # never changes, and stroking a wide pen is the costliest step of reading the canvas.
    raster: tuple[np.ndarray, int, int] | None = None

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
        self.finished_box = self.box()  # asked for on every repaint: worth keeping
        self.finished_ink = self.ink()

    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the ink, in canvas units, pen and anti-aliasing included."""
        if not self.active and self.finished_box is not None:
            return self.finished_box
        rect = self.outline().boundingRect()
        reach = self.width / 2 + 1
        return (
            rect.left() - reach,
            rect.top() - reach,
            rect.right() + reach,
            rect.bottom() + reach,
        )

    def ink(self) -> float:
        """About how much ink the stroke laid down (length times width, a dot at least)."""
        if not self.active and self.finished_ink is not None:
            return self.finished_ink
        return (self.outline().length() + self.width) * self.width

    def outline(self) -> QPainterPath:
        """The path to paint; an active stroke reaches on to the latest sample."""
        if not self.active:
            return self.path
        path = QPainterPath(self.path)
        path.lineTo(self.last if self.samples > 1 else self.last + QPointF(0.01, 0))
        return path


# What Clear removed and Undo restores: the strokes, the loaded image and its left edge.
_Snapshot = tuple[list[_Stroke], QImage | None, float]


@dataclass(frozen=True)
class Mark:
    """A box to show over the drawing: where a digit was found, and what was read there."""

    box: tuple[int, int, int, int]  # x, y, width, height in canvas units
    text: str  # e.g. "2 · 99%"
    selected: bool = False
    muted: bool = False  # below the confidence threshold


class DrawingCanvas(QWidget):
    """A canvas 280 units tall and as wide as it is given, to draw a digit or a number on.

    ``changed`` is emitted while drawing, at most every :data:`THROTTLE_MS` ms, and at once when
    a stroke ends, on :meth:`clear`, :meth:`undo` and :meth:`set_image`. ``mark_clicked`` gives
    the index of a mark (see :meth:`set_marks`) whose label was clicked.
    """

    changed = Signal()
    pen_width_changed = Signal(float)
    scale_changed = Signal(float)
    mark_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[_Stroke] = []
        self._image: QImage | None = None  # a loaded 28×28 digit: white, alpha = ink
        self._image_left = 0.0  # canvas units; the image fills a CANVAS_SIDE square from here
        self._image_piece: tuple[tuple[float, float, float, float], float] | None = None
        # What Undo takes back, newest last: "stroke" or a (strokes, image, left) snapshot that
        # Clear removed.
        self._history: list[Literal["stroke"] | _Snapshot] = []
        self._marks: list[Mark] = []
        self._mark_labels: list[QRectF] = []  # widget coordinates of each mark's label
        self._last_scale = 0.0
        # A left press inside a digit's box, and which: a click selects, a drag draws.
        self._pending: tuple[QPointF, int] | None = None
        self._pen_width = DEFAULT_PEN_WIDTH
        self._placeholder = ""
        self._hover: QPointF | None = None  # canvas units, for the pen-size outline
        self._since_emit = QElapsedTimer()
        self._trailing = QTimer(self)
        self._trailing.setSingleShot(True)
        self._trailing.timeout.connect(self._emit_changed)

        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Drawing canvas")
        self.setAccessibleDescription(
            "Draw a digit or a number with the mouse, a pen or a finger. When it holds a number, "
            "Left and Right choose which digit's details are shown."
        )
        # A Tab stop: the arrow keys pick a digit of a number (see keyPressEvent).
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def sizeHint(self) -> QSize:
        return QSize(760, 420)

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

    if TYPE_CHECKING:  # PySide6's stubs type a Property as itself; it reads and writes a float
        pen_width: float
    else:
        pen_width = Property(float, _get_pen_width, set_pen_width, notify=pen_width_changed)

    @property
    def stroke_count(self) -> int:
        return len(self._strokes)

    @property
    def history_depth(self) -> int:
        """How many steps Undo can take back (strokes and Clears)."""
        return len(self._history)

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
        """Remove every stroke and the loaded image; Undo brings them back."""
        if not self.is_empty():
            self._history.append((list(self._strokes), self._image, self._image_left))
        self._strokes = []
        self._image = None
        self.update()
        self._emit_changed()

    @Slot()
    def undo(self) -> None:
        """Take back the last stroke, or the last Clear (a loaded image stays otherwise)."""
        if self._drawing():
            self._end()
        if not self._history:
            return
        last = self._history.pop()
        if last == "stroke":
            self._strokes.pop()
        else:
            self._strokes, self._image, self._image_left = last
        self.update()
        self._emit_changed()

    def set_image(self, image28: np.ndarray | None) -> None:
        """Replace the drawing by a 28×28 image in [0, 1] (ink high), enlarged to fill the
        canvas's height at its left; strokes drawn afterwards add to it."""
        self._strokes = []
        self._history.clear()
        if image28 is None:
            self._image = None
            self._image_piece = None
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
            self._image_left = 0.0
            self._image_piece = _image_piece(pixels)
        self.update()
        self._emit_changed()

    def canvas_width(self) -> float:
        """Width of the drawing in canvas units: what the widget shows, or more if ink lies
        further right (after the window was made narrower)."""
        height = max(1.0, self.height() - 2.0)
        return max(CANVAS_SIDE, (self.width() - 2.0) * CANVAS_SIDE / height, self._ink_right())

    def _ink_right(self) -> float:
        right = max((stroke.box()[2] for stroke in self._strokes), default=0.0)
        if self._image is not None:
            right = max(right, self._image_left + CANVAS_SIDE)
        return right

    def to_array(self, side: int = RASTER_SIDE) -> np.ndarray:
        """The drawing as a uint8 array `side` pixels tall and as wide as :meth:`canvas_width`
        in proportion: 0 background, 255 ink."""
        return self._raster(side, None, (0.0, 0.0, self.canvas_width(), CANVAS_SIDE))

    def _raster(
        self,
        side: int,
        strokes: Sequence[int] | None,
        area: tuple[float, float, float, float],
        image: bool = True,
    ) -> np.ndarray:
        """`area` (x0, y0, x1, y1 in units) rasterised at `side` px per 280 units, with only
        the given strokes (all if None) and the image if `image`."""
        scale = side / CANVAS_SIDE
        x0, y0, x1, y1 = area
        width = max(1, round((x1 - x0) * scale))
        height = max(1, round((y1 - y0) * scale))
        raster = QImage(width, height, QImage.Format.Format_Grayscale8)
        raster.fill(0)
        painter = QPainter(raster)
        painter.scale(scale, scale)
        painter.translate(-x0, -y0)
        self._paint_content(painter, strokes, image)
        painter.end()
        stride = raster.bytesPerLine()
        buffer = np.frombuffer(raster.constBits(), dtype=np.uint8, count=stride * height)
        return buffer.reshape(height, stride)[:, :width].copy()

    def segment(self) -> Segmentation:
        """The digits on the canvas, found from its strokes (each stroke, and a loaded image,
        is one piece; see `digitpad.segment`). Boxes are in canvas units (= raster pixels)."""
        boxes, mass, owners = [], [], []
        for index, stroke in enumerate(self._strokes):
            boxes.append(stroke.box())
            mass.append(stroke.ink())
            owners.append(index)
        if self._image is not None and self._image_piece is not None:
            (x0, y0, x1, y1), ink = self._image_piece
            boxes.append((x0 + self._image_left, y0, x1 + self._image_left, y1))
            mass.append(ink)
            owners.append(-1)
        shape = (RASTER_SIDE, round(self.canvas_width()))

        def render(group: Sequence[int], everything: bool) -> np.ndarray:
            if everything:
                return self.to_array()  # one digit: exactly the canvas, as before numbers
            strokes = [owners[i] for i in group if owners[i] >= 0]
            part = np.array([boxes[i] for i in group])
            area = (
                max(0, math.floor(float(part[:, 0].min()))),
                max(0, math.floor(float(part[:, 1].min()))),
                math.ceil(float(part[:, 2].max())),
                min(RASTER_SIDE, math.ceil(float(part[:, 3].max()))),
            )
            if -1 in [owners[i] for i in group]:
                return self._raster(RASTER_SIDE, strokes, area)
            return self._composed(strokes, area)

        def apart(i: int, j: int) -> bool:
            if owners[i] < 0 or owners[j] < 0:
                return False  # a loaded image is one digit: strokes over it belong to it
            return rows_apart(*self._stroke_rows(owners[i]), *self._stroke_rows(owners[j]))

        clipped = np.clip(np.array(boxes, dtype=np.float64).reshape(-1, 4), 0, None)
        clipped[:, 3] = np.minimum(clipped[:, 3], CANVAS_SIDE)
        return segment_pieces(clipped, np.array(mass), shape, render, apart=apart)

    def _stroke_rows(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """A stroke's leftmost and rightmost ink in each raster row (inf/-inf: none), for
        `digitpad.segment.rows_apart`."""
        pixels, left, top = self._stroke_raster(index)
        inked = pixels >= 128
        height = RASTER_SIDE
        first = np.full(height, np.inf)
        last = np.full(height, -np.inf)
        rows = np.flatnonzero(inked.any(axis=1))
        inside = (rows + top >= 0) & (rows + top < height)
        rows = rows[inside]
        if rows.size:
            cols = inked[rows]
            first[rows + top] = left + cols.argmax(axis=1)
            last[rows + top] = left + cols.shape[1] - 1 - cols[:, ::-1].argmax(axis=1)
        return first, last

    def _composed(self, strokes: Sequence[int], area: tuple[int, int, int, int]) -> np.ndarray:
        """The given strokes over `area` (x0, y0, x1, y1 in raster px), from each stroke's own
        raster: overlapping anti-aliased edges take the brighter pixel, where QPainter would
        blend them a little brighter still; a digit's reading does not notice."""
        x0, y0, x1, y1 = area
        out = np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
        for index in strokes:
            pixels, left, top = self._stroke_raster(index)
            # The overlap of the stroke's raster with the area, in each one's coordinates.
            ox0, oy0 = max(left, x0), max(top, y0)
            ox1 = min(left + pixels.shape[1], x1)
            oy1 = min(top + pixels.shape[0], y1)
            if ox1 > ox0 and oy1 > oy0:
                target = out[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0]
                np.maximum(
                    target, pixels[oy0 - top : oy1 - top, ox0 - left : ox1 - left], out=target
                )
        return out

    def _stroke_raster(self, index: int) -> tuple[np.ndarray, int, int]:
        stroke = self._strokes[index]
        if stroke.raster is not None and not stroke.active:
            return stroke.raster
        x0, y0, x1, y1 = stroke.box()
        left, top = math.floor(x0), math.floor(y0)
        area = (left, top, math.ceil(x1), math.ceil(y1))
        raster = (self._raster(RASTER_SIDE, [index], area, image=False), left, top)
        if not stroke.active:
            stroke.raster = raster
        return raster

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Left and Right move the selection among the digit boxes, Home and End jump to the
        # first and last: the same as clicking a box's label (``mark_clicked``).
        key = event.key()
        keys = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)
        if key not in keys or not self._marks:
            super().keyPressEvent(event)
            return
        last = len(self._marks) - 1
        current = next((i for i, mark in enumerate(self._marks) if mark.selected), None)
        if key == Qt.Key.Key_Home:
            target = 0
        elif key == Qt.Key.Key_End:
            target = last
        elif current is None:
            target = 0 if key == Qt.Key.Key_Right else last
        else:
            step = -1 if key == Qt.Key.Key_Left else 1
            target = min(last, max(0, current + step))
        if target != current:
            self.mark_clicked.emit(target)
        event.accept()

    def set_marks(self, marks: Sequence[Mark]) -> None:
        """Boxes to draw over the drawing (never part of :meth:`to_array`)."""
        self._marks = list(marks)
        self._place_labels()
        self.update()

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _place_labels(self) -> None:
        """Each mark's label: just above its box, or below it if there is no room above."""
        metrics = QFontMetrics(self._label_font())
        self._mark_labels = []
        for mark in self._marks:
            box = self._mark_rect(mark)
            text_width = metrics.horizontalAdvance(mark.text) + 10
            text_height = metrics.height() + 4
            top = box.top() - text_height - 2
            if top < 1:
                top = min(box.bottom() + 2, self.height() - text_height - 1)
            self._mark_labels.append(QRectF(box.left(), top, text_width, text_height))

    def _mark_rect(self, mark: Mark) -> QRectF:
        x, y, width, height = mark.box
        return QRectF(self.map_from_canvas(x, y), self.map_from_canvas(x + width, y + height))

    @property
    def marks(self) -> list[Mark]:
        return list(self._marks)

    # --- geometry -------------------------------------------------------------------------------

    def scale(self) -> float:
        """Screen pixels per canvas unit (the pen and the strokes are drawn this much bigger)."""
        return self.canvas_rect().height() / CANVAS_SIDE

    def canvas_rect(self) -> QRectF:
        """Where the canvas is shown, in widget coordinates (inside a 1 px border): the widget's
        full height, unless ink beyond the right edge makes it zoom out to show all of it."""
        height = max(1.0, self.height() - 2.0)
        width = max(1.0, self.width() - 2.0)
        units = self.canvas_width()
        scale = min(height / CANVAS_SIDE, width / units)
        return QRectF(
            1.0, 1.0 + (height - CANVAS_SIDE * scale) / 2, units * scale, CANVAS_SIDE * scale
        )

    def map_from_canvas(self, x: float, y: float) -> QPointF:
        """Widget coordinates of the canvas point (x, y), in canvas units (y from 0 to 280)."""
        rect = self.canvas_rect()
        scale = rect.height() / CANVAS_SIDE
        return QPointF(rect.left() + x * scale, rect.top() + y * scale)

    def _to_canvas(self, position: QPointF) -> QPointF:
        rect = self.canvas_rect()
        return (position - rect.topLeft()) * (CANVAS_SIDE / rect.height())

    def _to_drawing(self, position: QPointF) -> QPointF:
        """A pen position in canvas units, held inside the canvas: ink beyond its edge would be
        out of sight (and would widen the canvas, and so move every point, mid-stroke)."""
        point = self._to_canvas(position)
        right = self.canvas_rect().width() * CANVAS_SIDE / self.canvas_rect().height()
        return QPointF(min(max(point.x(), 0.0), right), min(max(point.y(), 0.0), CANVAS_SIDE))

    def _update_around(self, *points: QPointF, radius: float) -> None:
        """Repaint only the area a new segment or the hover outline touches."""
        rect = self.canvas_rect()
        scale = rect.height() / CANVAS_SIDE
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
        point = self._to_drawing(position)
        if self.is_empty() and self._placeholder:
            self.update()  # the placeholder goes: more than the new stroke's area changes
        self._move_hover(None)  # hidden while drawing; it reappears where the pen lifts
        self._strokes.append(_Stroke.start(point, self._pen_width))
        self._history.append("stroke")
        self._update_around(point, radius=self._pen_width)
        self._changed_while_drawing()

    def _extend(self, position: QPointF) -> None:
        stroke = self._strokes[-1]
        before = stroke.path.currentPosition()
        previous = QPointF(stroke.last)
        point = self._to_drawing(position)
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
            label = self.mark_at(event.position())
            if label is not None:
                self.mark_clicked.emit(label)
                event.accept()
                return
            inside = self.mark_box_at(event.position())
            if inside is not None:
                # A click on a digit selects it; only a drag from there draws.
                self._pending = (QPointF(event.position()), inside)
            else:
                self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pending is not None:
            start, _ = self._pending
            if (event.position() - start).manhattanLength() >= CLICK_SLOP_PX:
                self._pending = None
                self._begin(start)
                self._extend(event.position())
        elif self._drawing():
            self._extend(event.position())
        else:
            self._move_hover(self._to_canvas(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._pending is not None:
            _, index = self._pending
            self._pending = None
            self.mark_clicked.emit(index)
            event.accept()
        elif event.button() == Qt.MouseButton.LeftButton and self._drawing():
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
        ) and isinstance(event, QTouchEvent):
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

    def mark_at(self, position: QPointF | QPoint) -> int | None:
        """Index of the mark whose label is at `position` (widget coordinates), if any."""
        point = QPointF(position)
        for index, label in enumerate(self._mark_labels):
            if label.contains(point):
                return index
        return None

    def mark_box_at(self, position: QPointF | QPoint) -> int | None:
        """Index of the mark whose box holds `position` (widget coordinates), if any."""
        point = QPointF(position)
        for index, mark in enumerate(self._marks):
            if self._mark_rect(mark).contains(point):
                return index
        return None

    def label_rect(self, index: int) -> QRectF:
        """Where mark `index`'s label is shown (widget coordinates), for clicking it."""
        return QRectF(self._mark_labels[index])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_labels()
        scale = self.scale()
        if scale != self._last_scale:
            self._last_scale = scale
            self.scale_changed.emit(scale)

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

    def _paint_content(
        self, painter: QPainter, strokes: Sequence[int] | None = None, image: bool = True
    ) -> None:
        """The loaded image and the strokes (or only those listed), in canvas units; shared by
        screen and raster."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._image is not None and image:
            # Nearest-neighbour (no SmoothPixmapTransform): the MNIST pixels stay visible as
            # pixels, and at 10× they survive to_mnist's area averaging almost unchanged.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(QRectF(self._image_left, 0, CANVAS_SIDE, CANVAS_SIDE), self._image)
        chosen = self._strokes if strokes is None else [self._strokes[i] for i in strokes]
        for stroke in chosen:
            pen = QPen(
                INK,
                stroke.width,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
            painter.strokePath(stroke.outline(), pen)

    def _paint_marks(self, painter: QPainter) -> None:
        """Each mark's box, and its label with the answer."""
        palette = self.palette()
        accent = palette.color(QPalette.ColorRole.Highlight)
        muted = QColor(170, 170, 170)
        painter.setFont(self._label_font())
        for mark, label in zip(self._marks, self._mark_labels, strict=True):
            colour = muted if mark.muted else accent
            pen = QPen(colour, 2.5 if mark.selected else 1.2)
            if not mark.selected:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self._mark_rect(mark), 4, 4)
            fill = QColor(colour)
            fill.setAlpha(255 if mark.selected else 170)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(label, 3, 3)
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, mark.text)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        rect = self.canvas_rect()
        painter.fillRect(rect, BACKGROUND)

        painter.save()
        painter.setClipRect(rect)
        painter.translate(rect.topLeft())
        painter.scale(rect.height() / CANVAS_SIDE, rect.height() / CANVAS_SIDE)
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
        self._paint_marks(painter)
        paint_focus_frame(painter, self)


def _image_piece(pixels: np.ndarray) -> tuple[tuple[float, float, float, float], float] | None:
    """A loaded 28×28 image as one piece: its ink box in canvas units and its amount of ink."""
    inked = pixels >= 0.25 * max(float(pixels.max()), 1e-6)
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return None
    unit = CANVAS_SIDE / 28
    box = (cols[0] * unit, rows[0] * unit, (cols[-1] + 1) * unit, (rows[-1] + 1) * unit)
    return box, float(pixels.sum()) * unit * unit
