"""File › Export…: the current stored model as a SavedModel, a ``.tflite`` file or NumPy.

Exporting needs TensorFlow, which never loads in the window's process: the dialog runs
``digitpad export`` (the very command a user would type) in a child process and shows what it
says, the check of the exported model included. The window stays responsive, and Cancel ends
the child, which writes nothing until the export has passed its check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.export import FORMATS, default_target

FORMAT_LABELS = {
    "savedmodel": "TensorFlow SavedModel (a folder, for serving)",
    "tflite": "TensorFlow Lite (.tflite, for phones and microcontrollers)",
    "npz": "NumPy weights (.npz with a page describing the layout)",
}


def export_command(folder: Path, fmt: str, target: Path) -> list[str]:
    """The arguments of the ``digitpad export`` run (after the interpreter)."""
    return [
        "-m",
        "digitpad",
        "export",
        str(folder),
        "--format",
        fmt,
        "--to",
        str(target),
        "--overwrite",  # the file dialog has already asked about replacing
        "--json",
    ]


class ExportDialog(QDialog):
    """Choose a format and a place, export there, and report the check; ``exported(path)``."""

    exported = Signal(str)

    def __init__(self, folder: Path, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {name}")
        self._folder = folder
        self._name = name
        self._process: QProcess | None = None
        self.format_box = QComboBox()
        for fmt in FORMATS:
            self.format_box.addItem(FORMAT_LABELS[fmt], fmt)
        self.path_edit = QLineEdit(str(Path.home() / default_target(name, FORMATS[0])))
        self.path_edit.setAccessibleName("Export to")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.format_box.currentIndexChanged.connect(lambda _i: self._follow_format())
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow("&Format", self.format_box)
        form.addRow("&To", where)
        self.status = QLabel(
            "The exported model is loaded back and checked against this one on 1,000 test "
            "images before it is written."
        )
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 200)

    @property
    def format(self) -> str:
        return str(self.format_box.currentData())

    def _follow_format(self) -> None:
        current = Path(self.path_edit.text())
        self.path_edit.setText(str(current.parent / default_target(self._name, self.format)))

    def _browse(self) -> None:
        if self.format == "savedmodel":
            chosen = QFileDialog.getSaveFileName(self, "Export to folder", self.path_edit.text())[0]
        else:
            pattern = f"*{Path(default_target(self._name, self.format)).suffix}"
            chosen = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), pattern)[
                0
            ]
        if chosen:
            self.path_edit.setText(chosen)

    def start(self) -> None:
        """Run the export in a child process (ignored while one runs)."""
        if self._process is not None:
            return
        target = Path(self.path_edit.text()).expanduser()
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(export_command(self._folder, self.format, target))
        process.finished.connect(lambda code, _status: self._finished(process, code))
        self._process = process
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText(f"Exporting to {target}… (TensorFlow loads in a separate process)")
        process.start()

    def _finished(self, process: QProcess, code: int) -> None:
        self._process = None
        out = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace")
        err = bytes(process.readAllStandardError().data()).decode("utf-8", "replace")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        if code == 0:
            try:
                result = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                result = None
            if result:
                self.status.setText(
                    f"Exported to {result['path']}. Checked on {result['images_checked']:,} "
                    f"test images: the same answer on {result['same_answers']:,}, largest "
                    f"probability difference {result['max_difference']:.2g}."
                )
                self.exported.emit(result["path"])
                return
        lines = [line for line in err.splitlines() if line.startswith("digitpad export")]
        self.status.setText(lines[-1] if lines else f"The export failed (exit status {code}).")

    def reject(self) -> None:
        if self._process is not None:
            # Nothing is moved into place before the check passes: stopping loses nothing.
            self._process.kill()
            self._process.waitForFinished(2000)
            self._process = None
        super().reject()
