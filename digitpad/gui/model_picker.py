"""File → Open model…: this session's runs and the stored models to choose from.

The runs trained since the window opened come first, saved or not (a stopped run marked
partial), so no run is lost by starting another. Broken models (a missing file, unreadable
metadata) are listed, greyed out with the reason, so the user sees why a model they saved is
not offered, but they cannot be chosen. A model of the user's that has a bundled model's name
(saved by an older digitpad) is listed as theirs, with its folder.
"""

from __future__ import annotations

from collections.abc import Sequence

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

from digitpad.gui.session_runs import SessionRun
from digitpad.store import ModelInfo


class ModelPickerDialog(QDialog):
    """Lists ``runs`` (this session's) then ``infos``; after ``exec()`` returns Accepted,
    :meth:`selected` is the choice: a :class:`SessionRun` or a :class:`ModelInfo`.

    ``current`` is the current model's name (a stored model) or its run.
    """

    def __init__(
        self,
        infos: list[ModelInfo],
        current: str | SessionRun | None = None,
        parent: QWidget | None = None,
        runs: Sequence[SessionRun] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open model")
        self._infos: dict[int, ModelInfo | SessionRun] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Test accuracy", "Created", "Where"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        entries: list[ModelInfo | SessionRun] = [*reversed(runs), *infos]
        for index, entry in enumerate(entries):
            if isinstance(entry, SessionRun):
                item = self._run_item(entry)
                is_current = entry is current
            else:
                item = self._item(entry)
                is_current = (
                    isinstance(current, str) and entry.name == current and entry.ok
                    and not entry.shadowed
                )  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            self._infos[index] = entry
            self.tree.addTopLevelItem(item)
            if is_current:
                self.tree.setCurrentItem(item)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.browse_button = self.buttons.addButton(
            "&Browse…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.browse_button.setToolTip("open a model folder anywhere (with its meta.json)")
        self.browse_button.clicked.connect(lambda: self.browse())
        self._browsed: ModelInfo | None = None
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self._open_double_clicked())

        layout = QVBoxLayout(self)
        hint = QLabel(
            "Runs trained since digitpad opened (unsaved ones last until it closes), models "
            "you saved, then the ones that come with digitpad."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.tree)
        layout.addWidget(self.buttons)
        self.resize(720, 360)
        self._selection_changed()

    def _open_double_clicked(self) -> None:
        if self.selected():
            self.accept()

    @staticmethod
    def _run_item(run: SessionRun) -> QTreeWidgetItem:
        label = run.label
        accuracy = f"{label.test_accuracy:.2%}" if label.test_accuracy is not None else "–"
        if run.saved_as:
            where = f"this session, saved as {run.saved_as}"
        elif run.not_saveable:
            where = "this session, not saveable (never learned)"
        else:
            where = "this session, not saved"
        if label.partial:
            where += " · " + label.text().split(" · ")[-1]
        item = QTreeWidgetItem([label.name, accuracy, f"today {label.started[:8]}", where])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for column in range(4):
            item.setToolTip(column, run.text())
        return item

    @staticmethod
    def _item(info: ModelInfo) -> QTreeWidgetItem:
        accuracy = f"{info.test_accuracy:.2%}" if info.test_accuracy is not None else "–"
        created = (info.created or "–").replace("T", " ")[:16]
        where = "bundled" if info.bundled else str(info.path)
        if info.shadowed:
            where = f"yours (an older save; the name {info.name!r} opens the bundled one): {where}"
        if not info.ok:
            accuracy, created = "broken", ""
        item = QTreeWidgetItem([info.name, accuracy, created, where])
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if info.problem is not None:  # not info.ok, said so that the type checker sees it
            # Disabled items are drawn with the palette's disabled text colour: visibly
            # unavailable in light and dark themes alike; the tooltip says why.
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setToolTip(0, info.problem)
            item.setText(3, f"broken: {info.problem}")
            for column in range(4):
                item.setToolTip(column, info.problem)
        else:
            item.setToolTip(0, _settings_text(info))
        return item

    def browse(self, folder: str | None = None) -> bool:
        """Choose a model folder outside the store (asked for when None); checked like the
        store's own: a folder that is not a whole model is one clear message."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog, QMessageBox

        from digitpad.errors import StoreError
        from digitpad.store import check_model_folder

        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Open a model folder")
            if not folder:
                return False
        path = Path(folder)
        try:
            meta = check_model_folder(path)
        except StoreError as exc:
            QMessageBox.warning(self, "Not a model folder", str(exc))
            return False
        self._browsed = ModelInfo(path.name, path, meta)
        self.accept()
        return True

    def selected(self) -> ModelInfo | SessionRun | None:
        if self._browsed is not None:
            return self._browsed
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        entry = self._infos[item.data(0, Qt.ItemDataRole.UserRole)]
        if isinstance(entry, SessionRun):
            return entry
        return entry if entry.ok else None

    def _selection_changed(self) -> None:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        button.setEnabled(self.selected() is not None)


def _settings_text(info: ModelInfo) -> str:
    """How the model was trained: its preset and every setting that differs from it."""
    from digitpad.config import TrainConfig
    from digitpad.errors import ConfigError
    from digitpad.run_description import describe_run

    try:
        return describe_run(TrainConfig.from_dict((info.meta or {})["config"]))
    except (ConfigError, KeyError, TypeError, ValueError):
        return "settings not recorded"
