"""The app's current model: one small object the tabs listen to instead of sharing globals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from digitpad.inference import Predictor


class CurrentModel(QObject):
    """Holds the :class:`Predictor` every tab uses; ``changed`` emits the new one."""

    changed = Signal(object)

    def __init__(self, predictor: Predictor | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._predictor = predictor

    @property
    def predictor(self) -> Predictor | None:
        return self._predictor

    def set(self, predictor: Predictor) -> None:
        """Make ``predictor`` current and tell the listeners (even if it is the same object)."""
        self._predictor = predictor
        self.changed.emit(predictor)
