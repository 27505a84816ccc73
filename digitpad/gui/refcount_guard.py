"""A guard against a reference-counting bug in the Qt bindings that crashes the app.

With shiboken6/PySide6 6.12.0 on Python 3.11, every call of a Qt method that returns nothing
(``QPainter.setPen``, ``QLabel.setText``, ``QTimer.start``, …) gives back a reference to
``None`` that it never took, and every ``Signal.emit()`` does the same with ``True`` (the
binding treats them as immortal, which they are only from Python 3.12 on). Each starts with
some thousands of references: painting the probability bars once loses about a hundred, so
after about a hundred canvas updates (a few seconds of drawing), or a few thousand signals
(one training run), a count reached zero and the process died with "Fatal Python error:
none_dealloc" or "bool_dealloc".

Where the bug shows, :func:`guard_singletons` does what Python 3.12 does: it gives ``None``,
``True`` and ``False`` so many references (2**40 each) that the lost ones never run out.
Nothing else changes; on a fixed binding or a newer Python it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

EXTRA_REFERENCES = 1 << 40
"""At a million lost references a second, enough for 35 years."""
SINGLETONS = (None, True, False)


def binding_loses_references() -> bool:
    """Whether a Qt method returning nothing loses a reference to None (measured)."""
    from PySide6.QtGui import QColor

    color = QColor()
    before = sys.getrefcount(None)
    for _ in range(100):
        color.setRed(0)
    return sys.getrefcount(None) <= before - 50


def guard_singletons() -> bool:
    """Make None, True and False immortal in effect where this binding needs it; True if done."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not binding_loses_references():
        return False
    for singleton in SINGLETONS:
        count = ctypes.c_ssize_t.from_address(id(singleton))
        # CPython's object header starts with the reference count: check that before writing
        # (getrefcount sees one more, its own argument).
        if count.value != sys.getrefcount(singleton) - 1:
            return False
        count.value += EXTRA_REFERENCES
    return True
