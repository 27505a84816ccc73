"""The filter bar's flow layout: one row when there is room, more rows when not, never cut."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget

from digitpad.gui.flow_layout import FlowLayout, group


def bar(qtbot):
    widget = QWidget()
    layout = FlowLayout(widget)
    combo = QComboBox()
    combo.addItems(["Mistakes", "All", "Correct"])
    items = [group(QLabel("Show"), combo), QPushButton("All mistakes"), QLabel("1,234 images")]
    for item in items:
        layout.addWidget(item)
    qtbot.addWidget(widget)
    return widget, layout, items


def rows(items) -> int:
    # Items of one row are centred on one line (a label level with its combo box).
    centres = sorted(item.geometry().center().y() for item in items)
    return 1 + sum(b - a > 2 for a, b in zip(centres, centres[1:], strict=False))


def test_one_row_when_wide_and_wrapped_rows_when_narrow(qtbot):
    widget, layout, items = bar(qtbot)
    widget.resize(layout.sizeHint().width(), layout.heightForWidth(layout.sizeHint().width()))
    widget.show()
    qtbot.waitExposed(widget)
    assert rows(items) == 1
    one_row = layout.heightForWidth(layout.sizeHint().width())

    narrow = max(item.sizeHint().width() for item in items)
    assert layout.minimumSize().width() == narrow
    widget.resize(narrow, layout.heightForWidth(narrow))
    qtbot.waitUntil(lambda: rows(items) == 3)
    assert layout.heightForWidth(narrow) > 2 * one_row
    for item in items:
        # Each keeps its full width and stays inside the bar.
        assert item.width() == item.sizeHint().width()
        assert widget.rect().contains(item.geometry())
    geometries = [item.geometry() for item in items]
    for i, first in enumerate(geometries):
        assert not any(first.intersects(other) for other in geometries[i + 1 :])
