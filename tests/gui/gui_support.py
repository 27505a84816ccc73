"""Helpers for the window's tests (imported by them; pytest collects nothing here)."""

from __future__ import annotations

from digitpad.data import Mnist, load_mnist


def small_data() -> Mnist:
    """2,000 training and 500 validation images: a whole run takes well under a second once
    TensorFlow is loaded (the first run of a session pays its ~3 s import)."""
    return load_mnist().subset(train=2000, val=500)
