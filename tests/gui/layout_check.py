"""Find what a window's layout clips or overlaps, by comparing widget geometries.

Used by ``test_layout.py`` and by ``take_screenshots.py``. A problem is one line for people:
the widget (class, object name or text), what is wrong and the sizes involved. The checks:

* a widget got less than the honest minimum its layout should have given it (what
  ``QLayout`` itself uses: the minimum size hint, or the size hint for a widget whose size
  policy does not let it shrink, or an explicit minimum size), or a word-wrapped label less
  height than its text needs at its width;
* a label's, button's or combo box's text is wider than the widget;
* a widget sticks out of its parent (except inside a scroll area, which scrolls to it);
* two visible sibling widgets overlap;
* a scroll area scrolls sideways (a form or a list that needs it is cut for most readers).

Qt's own composite controls (a spin box's line edit, a scroll area's scroll bars, a tab bar's
buttons) are left to Qt: only the widgets an application lays out are checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitterHandle,
    QTabBar,
    QTabWidget,
    QWidget,
)

_ATOMIC = (QAbstractSpinBox, QComboBox, QTabBar, QAbstractSlider, QAbstractButton)
_SHRINK = QSizePolicy.PolicyFlag.ShrinkFlag.value
_TOLERANCE = 1  # px: rounding in layouts and in scaled fonts


def describe(widget: QWidget) -> str:
    """A short name for a widget in a message."""
    name = type(widget).__name__
    if widget.objectName():
        name += f"#{widget.objectName()}"
    text = _text(widget)
    if text:
        short = text.replace("\n", " ")
        name += f" {short[:40]!r}"
    accessible = widget.accessibleName()
    if accessible and not text:
        name += f" [{accessible}]"
    return name


def _text(widget: QWidget) -> str:
    if isinstance(widget, QLabel | QAbstractButton):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return ""


def _is_internal(widget: QWidget, root: QWidget) -> bool:
    """Whether ``widget`` is a part of a Qt composite control rather than laid out by the app."""
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, _ATOMIC):
            return True
        if isinstance(parent, QAbstractScrollArea):
            content = parent.widget() if isinstance(parent, QScrollArea) else None
            # A scroll area's content widget is the app's; anything else in it (the viewport,
            # scroll bars, an item view's editors) belongs to Qt.
            if content is None or not (content is widget or content.isAncestorOf(widget)):
                return True
        parent = parent.parentWidget()
    return False


def checked_widgets(root: QWidget) -> Iterator[QWidget]:
    """The visible, app-laid-out widgets under ``root``."""
    for widget in root.findChildren(QWidget):
        if widget.isWindow() or not widget.isVisible():
            continue
        if isinstance(widget, QSplitterHandle) or _is_internal(widget, root):
            continue
        yield widget


def honest_minimum(widget: QWidget) -> QSize:
    """The smallest size the widget's layout should ever give it (Qt's ``qSmartMinSize``)."""
    hint, smallest = widget.sizeHint(), widget.minimumSizeHint()
    policy = widget.sizePolicy()
    explicit = widget.minimumSize()

    def one(explicit_value: int, rule: QSizePolicy.Policy, preferred: int, least: int) -> int:
        if explicit_value > 0:
            return explicit_value
        if rule == QSizePolicy.Policy.Ignored:
            return 0
        if rule.value & _SHRINK:
            return max(least, 0)
        return max(preferred, least, 0)

    return QSize(
        one(explicit.width(), policy.horizontalPolicy(), hint.width(), smallest.width()),
        one(explicit.height(), policy.verticalPolicy(), hint.height(), smallest.height()),
    )


def _text_problem(widget: QWidget) -> str | None:
    """Whether the widget's text is wider than the room it has (or taller, for wrapped labels)."""
    metrics = widget.fontMetrics()
    if isinstance(widget, QLabel):
        if widget.pixmap() is not None and not widget.pixmap().isNull():
            return None
        text = widget.text()
        if not text or widget.textFormat() == widget.textFormat().RichText:
            return None
        room = widget.contentsRect().width() - 2 * max(widget.margin(), 0)
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if needed > widget.height() + _TOLERANCE:
                return f"wrapped text needs {needed} px of height, has {widget.height()}"
            return None
        widest = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
        if widest > room + _TOLERANCE:
            return f"text is {widest} px wide, room for {room}"
        return None
    if isinstance(widget, QAbstractButton | QComboBox):
        text = _text(widget).replace("&", "")
        if not text:
            return None
        widest = metrics.horizontalAdvance(text)
        if widest > widget.width() + _TOLERANCE:
            return f"text is {widest} px wide, the widget {widget.width()}"
    return None


def _inside_scroll_content(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    grand = parent.parentWidget() if parent is not None else None
    return isinstance(grand, QScrollArea) and grand.viewport() is parent


def layout_problems(root: QWidget) -> list[str]:
    """Every clipped, squeezed or overlapping widget under ``root`` (shown), one line each."""
    problems: list[str] = []
    widgets = list(checked_widgets(root))
    for widget in widgets:
        least = honest_minimum(widget)
        size = widget.size()
        if size.width() + _TOLERANCE < least.width() or size.height() + _TOLERANCE < least.height():
            problems.append(
                f"{describe(widget)}: squeezed to {size.width()}x{size.height()}, "
                f"needs {least.width()}x{least.height()}"
            )
        text = _text_problem(widget)
        if text:
            problems.append(f"{describe(widget)}: {text}")
        if isinstance(widget, QAbstractScrollArea):
            problems += _sideways_problems(widget)
        parent = widget.parentWidget()
        if parent is not None and widget is not root and not _inside_scroll_content(widget):
            inside = parent.rect().adjusted(-_TOLERANCE, -_TOLERANCE, _TOLERANCE, _TOLERANCE)
            if not inside.contains(widget.geometry()):
                problems.append(
                    f"{describe(widget)}: at {_rect(widget.geometry())} sticks out of "
                    f"{describe(parent)} ({parent.width()}x{parent.height()})"
                )
    by_parent: dict[int, list[QWidget]] = {}
    for widget in widgets:
        parent = widget.parentWidget()
        if parent is not None and widget is not root:
            by_parent.setdefault(id(parent), []).append(widget)
    for siblings in by_parent.values():
        for i, first in enumerate(siblings):
            for second in siblings[i + 1 :]:
                overlap = first.geometry().intersected(second.geometry())
                if overlap.width() > _TOLERANCE and overlap.height() > _TOLERANCE:
                    problems.append(
                        f"{describe(first)} at {_rect(first.geometry())} overlaps "
                        f"{describe(second)} at {_rect(second.geometry())}"
                    )
    return problems


def _sideways_problems(area: QAbstractScrollArea) -> list[str]:
    """A scroll area that scrolls sideways, or cuts its content's right edge off because its
    horizontal scroll bar is turned off."""
    viewport = area.viewport().width()
    if area.horizontalScrollBar().isVisible():
        more = area.horizontalScrollBar().maximum()
        return [f"{describe(area)}: scrolls sideways ({more} px more than its {viewport} px)"]
    content = area.widget() if isinstance(area, QScrollArea) else None
    if content is not None and content.width() > viewport + _TOLERANCE:
        return [f"{describe(area)}: cuts its {content.width()} px wide content to {viewport} px"]
    return []


def _rect(rect: QRect) -> str:
    return f"{rect.width()}x{rect.height()}+{rect.x()}+{rect.y()}"


def page_problems(tabs: QTabWidget) -> list[str]:
    """The problems of ``tabs``' current page: whether its minimum fits the room the tab widget
    has for it, and :func:`layout_problems` inside it."""
    page = tabs.currentWidget()
    # The page itself is never smaller than its minimum: the room is its stack's.
    room, least = page.parentWidget().size(), page.minimumSizeHint()
    problems = []
    if least.width() > room.width() + _TOLERANCE or least.height() > room.height() + _TOLERANCE:
        problems.append(
            f"{describe(page)} needs at least {least.width()}x{least.height()}, "
            f"has {room.width()}x{room.height()}"
        )
    return problems + layout_problems(page)
