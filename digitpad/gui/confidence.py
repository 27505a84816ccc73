"""The confidence threshold the Draw and Mistakes tabs share: below it, the network says "not
sure" instead of a digit. One small object both tabs listen to, instead of a global."""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from digitpad.coverage import meets_threshold

MAX_THRESHOLD = 0.999
"""A softmax probability never quite reaches 1: a threshold of 1 would refuse everything."""


class ConfidenceThreshold(QObject):
    """A probability in [0, 0.999]; 0 means "always answer". ``changed`` emits the new value."""

    changed = Signal(float)

    def __init__(self, value: float = 0.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._value = _clamped(value)

    @property
    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Use ``value`` (clamped into range) and tell the listeners if it changed."""
        value = _clamped(value)
        # Sliders and spin boxes round differently: a change below 0.05 % is no change.
        if abs(value - self._value) < 5e-4:
            return
        self._value = value
        self.changed.emit(value)

    def is_sure(self, probability: float) -> bool:
        """Whether a top probability is high enough to answer, compared at the 0.1 % both are
        shown with (a "95.0 %" answer is sure at a 95.0 % threshold)."""
        return meets_threshold(probability, self._value)


def _clamped(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        return 0.0
    return min(max(value, 0.0), MAX_THRESHOLD)
