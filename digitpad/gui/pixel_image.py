"""One NumPy array on screen as one QImage: weight grids, activation grids, saliency, montages.

A whole grid (100 weight tiles, 800 unit cells, 100 example digits) is a single image made by
vectorised NumPy, painted in one ``drawImage`` call: no widget per cell, and an update costs
about a millisecond however many cells there are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QSize
from PySide6.QtGui import QHelpEvent, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget


def rgb_qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an (H, W, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    # QImage borrows the buffer; copy() detaches it before the array goes away.
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def gray_qimage(values: np.ndarray) -> QImage:
    """A grayscale QImage of (H, W) values in [0, 1] (1 = white); NaN is drawn black."""
    gray = np.clip(np.rint(np.nan_to_num(values) * 255), 0, 255).astype(np.uint8)
    gray = np.ascontiguousarray(gray)
    height, width = gray.shape
    return QImage(gray.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


class PixelImage(QWidget):
    """Shows a QImage as large as fits, keeping its aspect ratio.

    With ``whole_factors`` it is enlarged by whole factors without smoothing once it fits at
    least twice its size, so each array cell stays a crisp square; below that, and always
    without ``whole_factors`` (for blurry content such as average digits), it fills the space,
    smoothed. ``tooltip`` maps an array cell (row, column) to a line of text shown on hover.
    """

    def __init__(
        self,
        preferred_scale: float = 1.0,
        border: bool = True,
        whole_factors: bool = True,
        top_aligned: bool = False,
        size_hint: QSize | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._top_aligned = top_aligned
        self._size_hint = size_hint
        self._image: QImage | None = None
        self._preferred_scale = preferred_scale
        self._border = border
        self._whole_factors = whole_factors
        self.tooltip: Callable[[int, int], str | None] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(30, 30)
        # Generic words a screen reader can say; the page that shows the picture can say more.
        self.setAccessibleName("Picture")
        self.setAccessibleDescription("Numbers shown as an image; each cell's value on hover")

    def sizeHint(self) -> QSize:
        if self._size_hint is not None:
            return self._size_hint
        if self._image is None:
            return QSize(120, 120)
        return QSize(
            int(self._image.width() * self._preferred_scale) + 2,
            int(self._image.height() * self._preferred_scale) + 2,
        )

    def set_image(self, image: QImage | None) -> None:
        """Show ``image`` (None: an empty frame)."""
        resized = self._image is None or image is None or image.size() != self._image.size()
        self._image = image
        if resized:
            self.updateGeometry()
        self.update()

    def set_rgb(self, rgb: np.ndarray | None) -> None:
        """Show an (H, W, 3) uint8 array (None: an empty frame)."""
        self.set_image(None if rgb is None else rgb_qimage(rgb))

    @property
    def image(self) -> QImage | None:
        return self._image

    def image_rect(self) -> QRect:
        """Where the image is drawn: centred, as large as fits, whole factors when enlarged."""
        if self._image is None or self._image.isNull():
            return QRect()
        width, height = self._image.width(), self._image.height()
        room_w, room_h = max(1, self.width() - 2), max(1, self.height() - 2)
        scale = min(room_w / width, room_h / height)
        if scale >= 2 and self._whole_factors:
            scale = float(int(scale))
        w, h = max(1, int(width * scale)), max(1, int(height * scale))
        top = 1 if self._top_aligned else (self.height() - h) // 2
        return QRect((self.width() - w) // 2, top, w, h)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        """The (row, column) of the array cell under ``point``, if any."""
        rect = self.image_rect()
        if self._image is None or not rect.contains(point):
            return None
        column = (point.x() - rect.left()) * self._image.width() // max(1, rect.width())
        row = (point.y() - rect.top()) * self._image.height() // max(1, rect.height())
        return int(row), int(column)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.tooltip is not None:
            assert isinstance(event, QHelpEvent)
            cell = self.cell_at(event.pos())
            text = self.tooltip(*cell) if cell is not None else None
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        target = self.image_rect()
        if self._image is None or target.isNull():
            if self._border:
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
                painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
            return
        # Smooth unless enlarged by a whole factor: a fractional nearest-neighbour scale would
        # make some pixels wider than others.
        smooth = target.width() % self._image.width() != 0
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(target, self._image)
        if self._border:
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
            painter.drawRect(target.adjusted(-1, -1, 0, 0))
