"""File → Open model…: a list of the stored models to choose from.

Broken models (a missing file, unreadable metadata) are listed, greyed out with the reason,
so the user sees why a model they saved is not offered, but they cannot be chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.store import ModelInfo


class ModelPickerDialog(QDialog):
    """Lists ``infos``; after ``exec()`` returns Accepted, :meth:`selected` is the choice."""

    def __init__(
        self, infos: list[ModelInfo], current: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open model")
        self._infos: dict[int, ModelInfo] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Test accuracy", "Created", "Where"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for index, info in enumerate(infos):
            item = self._item(info)
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            self._infos[index] = info
            self.tree.addTopLevelItem(item)
            if info.name == current and info.ok:
                self.tree.setCurrentItem(item)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self.selected() and self.accept())

        layout = QVBoxLayout(self)
        hint = QLabel("Models you saved, then the ones that come with digitpad.")
        layout.addWidget(hint)
        layout.addWidget(self.tree)
        layout.addWidget(self.buttons)
        self.resize(720, 360)
        self._selection_changed()

    @staticmethod
    def _item(info: ModelInfo) -> QTreeWidgetItem:
        accuracy = f"{info.test_accuracy:.2%}" if info.test_accuracy is not None else "–"
        created = (info.created or "–").replace("T", " ")[:16]
        where = "bundled" if info.bundled else str(info.path)
        if not info.ok:
            accuracy, created = "broken", ""
        item = QTreeWidgetItem([info.name, accuracy, created, where])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if not info.ok:
            # Disabled items are drawn with the palette's disabled text colour: visibly
            # unavailable in light and dark themes alike; the tooltip says why.
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setToolTip(0, info.problem)
            item.setText(3, f"broken: {info.problem}")
            for column in range(4):
                item.setToolTip(column, info.problem)
        return item

    def selected(self) -> ModelInfo | None:
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        info = self._infos[item.data(0, Qt.ItemDataRole.UserRole)]
        return info if info.ok else None

    def _selection_changed(self) -> None:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        button.setEnabled(self.selected() is not None)
