"""Reading image files of drawn digits into grayscale NumPy arrays.

Qt's ``QImage`` reads PNG, JPEG and BMP with no new dependency; it is imported here, lazily,
only when a file is read, so the rest of the core stays free of Qt.
"""

from __future__ import annotations

import os

import numpy as np

from digitpad.errors import DigitpadError

MAX_PIXELS = 40_000_000


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """The image at ``path`` as a 2-D uint8 array (0 black, 255 white); alpha over white."""
    from PySide6.QtGui import QImage, QImageReader

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DigitpadError("no such file")
    reader = QImageReader(path)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise DigitpadError(f"image is too large ({size.width()}×{size.height()})")
    image = reader.read()
    if image.isNull():
        raise DigitpadError(f"not a readable image ({reader.errorString()})")
    if image.hasAlphaChannel():
        # A transparent background is "paper": flatten onto white before going grey.
        image = image.convertToFormat(QImage.Format.Format_ARGB32)
        flattened = QImage(image.size(), QImage.Format.Format_RGB32)
        flattened.fill(0xFFFFFFFF)
        from PySide6.QtGui import QPainter

        painter = QPainter(flattened)
        painter.drawImage(0, 0, image)
        painter.end()
        image = flattened
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = gray.width(), gray.height(), gray.bytesPerLine()
    buffer = np.frombuffer(gray.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, :width].copy()
