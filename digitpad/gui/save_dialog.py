"""File › Save model…: which run to save, under what name, said before anything is written.

The dialog names the run it saves (its label, accuracy, and whether it is partial), offers only
runs worth saving, and checks the name as it is typed: an invalid or reserved name is
explained under the field and the dialog stays open until it is fixed or cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from digitpad.errors import StoreError
from digitpad.gui.config_form import ERROR_STYLE
from digitpad.gui.session_runs import SessionRun
from digitpad.store import check_save_name


class SaveModelDialog(QDialog):
    """Asks which of ``runs`` to save and its name; ``exists(name)`` says if it would replace.

    After ``accepted``: :attr:`run`, :attr:`name` and :attr:`overwrite` hold the answer.
    """

    def __init__(
        self,
        runs: Sequence[SessionRun],
        chosen: SessionRun | None,
        default_name: str,
        exists: Callable[[str], bool],
        store_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save model")
        self._runs = list(runs)
        self._exists = exists
        self.run_box = QComboBox()
        for run in self._runs:
            self.run_box.addItem(run.text())
        if chosen in self._runs:
            self.run_box.setCurrentIndex(self._runs.index(chosen))
        self.name_edit = QLineEdit(default_name)
        self.name_edit.selectAll()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        # Room for a two-line reason from the start: the dialog must not clip it later.
        self.problem.setMinimumHeight(self.problem.fontMetrics().lineSpacing() * 2 + 4)
        self.where = QLabel(f"Saved in {store_text}")
        self.where.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Run", self.run_box)
        form.addRow("Name", self.name_edit)
        form.addRow("", self.problem)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.where)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(lambda _t: self._check())
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 70)
        self._check()

    @property
    def run(self) -> SessionRun | None:
        index = self.run_box.currentIndex()
        return self._runs[index] if 0 <= index < len(self._runs) else None

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def overwrite(self) -> bool:
        return self.problem_text() == "" and self._exists(self.name)

    @property
    def save_button(self) -> object:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def problem_text(self) -> str:
        """Why the name cannot be used ("" if it can)."""
        try:
            check_save_name(self.name)
        except StoreError as exc:
            return str(exc)
        return ""

    def _check(self) -> bool:
        problem = self.problem_text()
        button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if problem:
            self.problem.setStyleSheet(ERROR_STYLE)
            self.problem.setText(problem)
        elif self._exists(self.name):
            self.problem.setStyleSheet("font-weight: bold;")
            self.problem.setText(f"A model named {self.name!r} exists: saving replaces it.")
        else:
            self.problem.setStyleSheet("")
            self.problem.setText("")
        button.setText("Replace" if not problem and self._exists(self.name) else "Save")
        valid = not problem and self.run is not None
        button.setEnabled(valid)
        return valid

    def accept(self) -> None:
        # Enter with a bad name must not close the dialog and lose what was typed.
        if self._check():
            super().accept()
