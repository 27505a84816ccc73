"""Reading image files of drawn digits into grayscale NumPy arrays, without Qt.

Pillow (which matplotlib already depends on) reads PNG, JPEG, BMP, GIF, TIFF and more, and is
imported only when a file is read. Colour becomes grey with Qt's weights (as the app's canvas
does), and transparency becomes paper that the ink stands out from.
"""

from __future__ import annotations

import os

import numpy as np

from digitpad.errors import DigitpadError

MAX_PIXELS = 40_000_000
"""Larger images are refused from their header, before any pixel is decoded."""


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """The image at ``path`` as a 2-D array of grey levels (uint8, or uint16 for 16-bit scans).

    Colour becomes grey; transparent parts become paper that the ink stands out from. Raises
    DigitpadError naming the problem for a missing, unreadable or oversized file.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DigitpadError(f"image is too large ({width}×{height})")
            image.load()
            return _grey_levels(image)
    except FileNotFoundError:
        raise DigitpadError("no such file") from None
    except Image.DecompressionBombError:
        # Pillow's own guard, from the header, for what is far beyond MAX_PIXELS.
        raise DigitpadError(f"image is too large (more than {MAX_PIXELS:,} pixels)") from None
    except UnidentifiedImageError:
        raise DigitpadError("not a readable image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow raises these for truncated or corrupt data.
        raise DigitpadError(f"not a readable image (damaged: {exc})") from None


def _grey_levels(image) -> np.ndarray:
    """Pillow image -> 2-D grey levels, transparency laid on paper."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        levels = np.asarray(image)
        if levels.min() < 0 or levels.max() > 65535:
            raise DigitpadError(f"unsupported pixel values for a {image.mode} image")
        return levels.astype(np.uint16)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[:, :, 3] / 255
        # Qt's qGray weights, as the canvas uses, so a saved drawing reads as it was drawn.
        grey = rgba[:, :, :3] @ np.array([11, 16, 5], np.float32) / 32
        covered = float(alpha.sum())
        light_ink = covered > 0 and float((alpha * grey).sum()) / covered > 127.5
        paper = 0.0 if light_ink else 255.0
        return np.round(alpha * grey + (1 - alpha) * paper).astype(np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)
