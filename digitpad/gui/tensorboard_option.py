"""The Train tab's "Write TensorBoard logs" option: a checkbox, the folder, and Choose….

A view only: it holds the choice; the run's own subfolder is made by
:func:`digitpad.tensorboard_log.run_logdir` and the logs are written where the run trains.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.paths import user_data_dir


def default_folder() -> Path:
    """Where TensorBoard logs go unless the user chose another folder."""
    return user_data_dir() / "tensorboard"


class TensorBoardOption(QWidget):
    """Whether to write the next run's TensorBoard logs, and into which folder.

    ``changed`` is emitted when either changes (so the window can remember them).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._folder = default_folder()
        self.checkbox = QCheckBox("Write TensorBoard logs")
        self.checkbox.setToolTip(
            "also write each run's curves and weights for TensorBoard, one subfolder per run "
            "(open them with: tensorboard --logdir FOLDER)"
        )
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setToolTip("the folder the runs' log subfolders go into")
        self.choose_button.setAccessibleName("Choose the TensorBoard log folder")
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Elided to the width it gets: a long path never widens the column.
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.checkbox, 1)
        row.addWidget(self.choose_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.folder_label)
        self.checkbox.toggled.connect(lambda _on: self._show())
        self.checkbox.toggled.connect(lambda _on: self.changed.emit())
        self.choose_button.clicked.connect(self.choose)
        self._show()

    @property
    def enabled(self) -> bool:
        return self.checkbox.isChecked()

    @property
    def folder(self) -> Path:
        return self._folder

    @property
    def chosen_folder(self) -> str:
        """The folder as chosen, "" for the default (which follows the platform's data folder)."""
        return "" if self._folder == default_folder() else str(self._folder)

    def logs_folder(self) -> Path | None:
        """The folder for the next run's logs, or None if they are not wanted."""
        return self._folder if self.enabled else None

    def set_choice(self, enabled: bool, folder: str | Path | None = None) -> None:
        """Show a remembered choice (an empty folder keeps the default)."""
        if folder:
            self._folder = Path(folder).expanduser()
        self.checkbox.setChecked(enabled)
        self._show()

    def choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for TensorBoard logs", str(self._folder)
        )
        if folder:
            self._folder = Path(folder)
            self.checkbox.setChecked(True)  # choosing a folder means wanting the logs
            self._show()
            self.changed.emit()

    def _show(self) -> None:
        text = str(self._folder)
        metrics = self.folder_label.fontMetrics()
        width = max(200, self.width() - 8)
        self.folder_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width))
        self.folder_label.setToolTip(text)
        self.folder_label.setEnabled(self.enabled)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._show()
