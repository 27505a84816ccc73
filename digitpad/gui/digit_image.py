"""A 28×28 image as the network sees it: white ink on black, pixels kept square and sharp."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.data import IMAGE_SIDE


def digit_qimage(image: np.ndarray, scale: int = 1) -> QImage:
    """A grayscale QImage of a (28, 28) or (784,) image in [0, 1] (1 = ink = white).

    ``scale`` enlarges it by an integer factor with nearest-neighbour, so each MNIST pixel
    stays a crisp square. The QImage owns a copy of the pixels.
    """
    pixels = np.asarray(image, dtype=np.float32).reshape(IMAGE_SIDE, IMAGE_SIDE)
    gray = np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
    if scale > 1:
        gray = np.repeat(np.repeat(gray, scale, axis=0), scale, axis=1)
    gray = np.ascontiguousarray(gray)
    height, width = gray.shape
    # QImage borrows the buffer; copy() detaches it before the array goes away.
    return QImage(gray.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


class DigitImage(QWidget):
    """Shows one 28×28 image enlarged by the largest whole factor that fits, with a thin border.

    Whole factors and no smoothing: the point is to show the exact pixels the network gets.
    """

    def __init__(self, scale_hint: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale_hint = scale_hint
        self._image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(IMAGE_SIDE + 2, IMAGE_SIDE + 2)
        self.setAccessibleName("Digit image")
        self.setAccessibleDescription("A 28×28 image as the network sees it, white ink on black")

    def sizeHint(self) -> QSize:
        side = IMAGE_SIDE * self._scale_hint + 2
        return QSize(side, side)

    def set_image(self, image: np.ndarray | None) -> None:
        """Show ``image`` ((28, 28) in [0, 1]); ``None`` shows an empty frame."""
        self._image = None if image is None else digit_qimage(image)
        self.update()

    def image_rect(self) -> QRect:
        """Where the pixels are drawn, centred, a whole multiple of 28 on each side."""
        scale = max(1, (min(self.width(), self.height()) - 2) // IMAGE_SIDE)
        side = IMAGE_SIDE * scale
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        target = self.image_rect()
        painter.fillRect(target, Qt.GlobalColor.black)
        if self._image is not None:
            painter.drawImage(target, self._image)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(target.adjusted(-1, -1, 0, 0))
