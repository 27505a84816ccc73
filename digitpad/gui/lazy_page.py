"""A tab page built the first time it is shown.

The Network and Runs pages draw with matplotlib, whose Qt backend costs ~0.4 s to import: the
window would pay it at start-up for pages most sessions never open. A :class:`LazyPage` holds
the place in the tab bar and builds the real page on first show (or when asked), announcing it
with ``built`` so that the window can wire it up then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

PageT = TypeVar("PageT", bound=QWidget)


class LazyPage(QWidget, Generic[PageT]):
    """Builds ``factory()`` on first show; ``page`` is None until then."""

    built = Signal(object)

    def __init__(self, factory: Callable[[], PageT], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.page: PageT | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def build(self) -> PageT:
        """The page, built now if it was not yet."""
        if self.page is None:
            self.page = self._factory()
            self._layout.addWidget(self.page)
            self.built.emit(self.page)
        return self.page

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        self.build()
        super().showEvent(event)
