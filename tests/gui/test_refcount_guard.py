"""The guard against the Qt binding losing references to None and True (see refcount_guard)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

import digitpad.gui  # noqa: F401 (importing the package installs the guard)
from digitpad.gui.refcount_guard import EXTRA_REFERENCES, binding_loses_references


class _Emitter(QObject):
    fired = Signal()


def test_many_signals_and_void_calls_cannot_free_none_or_true():
    emitter = _Emitter()
    emitter.fired.connect(lambda: None)
    color = QColor()
    # Unguarded, this alone kills the interpreter: True and None have a few thousand references
    # and the broken binding gives one back per call.
    for _ in range(20_000):
        emitter.fired.emit()
        color.setRed(0)
    if sys.version_info < (3, 12) and binding_loses_references():
        assert sys.getrefcount(None) > EXTRA_REFERENCES // 2
        assert sys.getrefcount(True) > EXTRA_REFERENCES // 2
        assert sys.getrefcount(False) > EXTRA_REFERENCES // 2
