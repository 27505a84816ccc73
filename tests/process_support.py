"""Data for the training-process tests: module-level, so the process can import it by name."""

from __future__ import annotations

from digitpad.data import Mnist, load_mnist


def tiny_data() -> Mnist:
    """2,000 training and 500 validation images: a short run takes well under a second."""
    return load_mnist().subset(train=2000, val=500)
