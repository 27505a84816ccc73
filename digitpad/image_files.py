"""Reading image files of drawn digits into grayscale NumPy arrays.

Qt's ``QImage`` reads PNG, JPEG and BMP with no new dependency; it is imported here, lazily,
only when a file is read, so the rest of the core stays free of Qt.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from digitpad.errors import DigitpadError

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

MAX_PIXELS = 40_000_000


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """The image at ``path`` as a 2-D uint8 array (0 black, 255 white).

    Colour becomes grey; transparent parts become paper (see `_flattened`). Raises
    DigitpadError naming the problem for a missing, unreadable or oversized file.
    """
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
        return _flattened(image)
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return _pixels(gray, channels=1)[:, :, 0].copy()


def _flattened(image: QImage) -> np.ndarray:
    """Grey levels of an image with transparency, laid on paper that its ink stands out from.

    Transparent pixels are blank paper, so the opaque ones are the drawing: dark ink goes on
    white paper and light ink (a white pen on a transparent layer) on black, instead of
    vanishing into a white background.
    """
    from PySide6.QtGui import QImage

    converted = image.convertToFormat(QImage.Format.Format_RGBA8888)  # owns the viewed pixels
    rgba = _pixels(converted, channels=4)
    alpha = rgba[:, :, 3].astype(np.float32) / 255
    # Qt's own grey weights (qGray).
    grey = rgba[:, :, :3].astype(np.float32) @ np.array([11, 16, 5], np.float32) / 32
    covered = float(alpha.sum())
    light_ink = covered > 0 and float((alpha * grey).sum()) / covered > 127.5
    paper = 0.0 if light_ink else 255.0
    return np.round(alpha * grey + (1 - alpha) * paper).astype(np.uint8)


def _pixels(image: QImage, channels: int) -> np.ndarray:
    """A view of an 8-bit-per-channel QImage's pixels as (height, width, channels); valid only
    while `image` lives."""
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * channels].reshape(height, width, channels)
