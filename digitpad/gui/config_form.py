"""The Train tab's settings form: a preset and one editor per :class:`TrainConfig` field.

The form owns no rules of its own: each editor is built from the field's
:class:`~digitpad.config.Setting` (its kind, choices, label, help), reads typed text with that
setting's ``parse`` and shows a refused value's reason under the field it was typed in.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from digitpad.config import PRESETS, SETTINGS, TrainConfig
from digitpad.errors import ConfigError
from digitpad.setting import Setting

CUSTOM = "custom"

# A mid-tone red that keeps its contrast on both light and dark window backgrounds.
ERROR_STYLE = "color: #e5484d;"

_PAGE = 10  # Page Up/Down move this many steps


class ValueEdit(QLineEdit):
    """A setting's value typed as text, read exactly as typed and never rounded or clamped.

    Unlike ``QDoubleSpinBox`` (which rounds to its decimals, refuses ``1e-4`` and quietly puts
    back the old value on Tab), a value the setting refuses stays on screen and ``problem``
    says why. Up/Down (Page Up/Down: ten times) step by the setting's step.
    """

    valueChanged = Signal(object)  # noqa: N815 (Qt naming) a new valid value
    problem_changed = Signal(str)  # the reason the text is refused; "" once it is valid
    submitted = Signal(object)  # Return pressed on a valid value

    def __init__(self, spec: Setting, parent: QWidget | None = None) -> None:
        super().__init__(spec.format(spec.default), parent)
        self.spec = spec
        self._value: Any = spec.default
        self._problem = ""
        self.setObjectName(spec.name)
        self.setToolTip(spec.help_text)
        self.setAccessibleName(spec.label)
        if spec.hint:
            self.setPlaceholderText(spec.hint)
        self.textChanged.connect(self._read_text)
        self.returnPressed.connect(self._submit)

    def value(self) -> Any:
        """The last valid value typed or set (the text on screen may be refused: see problem)."""
        return self._value

    def setValue(self, value: Any) -> None:  # noqa: N802 (the spin box's name, kept for callers)
        """Show ``value``; an invalid one is shown too, with its problem."""
        self.setText(self.spec.format(value))

    def read(self) -> Any:
        """The value the text says; :class:`ConfigError` naming the setting if it is refused."""
        return self.spec.parse(self.text())

    @property
    def problem(self) -> str:
        return self._problem

    @property
    def is_valid(self) -> bool:
        return not self._problem

    def step_by(self, steps: int) -> None:
        """Move the value ``steps`` steps; a step that would leave the range does nothing."""
        spec = self.spec
        value = self._value
        size = spec.step
        if spec.adaptive_step and value > 0:
            # A tenth of the value's decade, the decade below when stepping down from 10^k:
            # 0.001 -> 0.0011 and back, 0.001 -> 0.00099 and back.
            nudge = 1e-12 if steps > 0 else -1e-12
            size = 10 ** (math.floor(math.log10(value) + nudge) - 1)
        moved = value + steps * size
        moved = int(moved) if spec.kind is int else float(f"{moved:.12g}")
        try:
            spec.check(moved)
        except ConfigError:
            return
        self.setValue(moved)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        steps = {
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_Down: -1,
            Qt.Key.Key_PageUp: _PAGE,
            Qt.Key.Key_PageDown: -_PAGE,
        }.get(Qt.Key(event.key()))
        if steps is not None and self.spec.kind in (int, float):
            self.step_by(steps)
            return
        super().keyPressEvent(event)

    def _read_text(self, _text: str) -> None:
        try:
            value = self.read()
        except ConfigError as exc:
            self._set_problem(exc.reason)
            return
        self._set_problem("")
        if value != self._value or type(value) is not type(self._value):
            self._value = value
            self.valueChanged.emit(value)

    def _set_problem(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            self.problem_changed.emit(problem)

    def _submit(self) -> None:
        if self.is_valid:
            self.submitted.emit(self._value)


def error_label(name: str) -> QLabel:
    """The red line under a field that says why its value is refused (hidden while valid)."""
    label = QLabel()
    label.setObjectName(f"{name}_error")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def with_problem_below(edit: ValueEdit) -> QWidget:
    """``edit`` with its own problem shown under it, for a value edited outside the form."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(edit)
    label = error_label(edit.spec.name)
    column.addWidget(label)

    def show(problem: str) -> None:
        label.setText(problem)
        label.setVisible(bool(problem))

    edit.problem_changed.connect(show)
    return box


# The three kinds of editor a setting can have (see editor_for).
Editor = QComboBox | QCheckBox | ValueEdit


def editor_for(spec: Setting) -> Editor:
    """The editor a setting's kind asks for: a combo box, a check box or a text field."""
    if spec.choices:
        combo = QComboBox()
        for key, label in spec.choices.items():
            combo.addItem(label, key)
        combo.setObjectName(spec.name)
        combo.setToolTip(spec.help_text)
        return combo
    if spec.kind is bool:
        box = QCheckBox(spec.hint)
        box.setObjectName(spec.name)
        box.setToolTip(spec.help_text)
        return box
    return ValueEdit(spec)


class ConfigForm(QWidget):
    """Edits a :class:`TrainConfig`; ``changed`` fires on every edit, valid or not.

    Each editor is an attribute named for its field (``form.learning_rate``, ``form.hidden``).
    """

    changed = Signal()
    validity_changed = Signal(bool)
    # Set by setattr in __init__ like every field's editor; declared for the type checker
    # because the Train tab reads it by name (a float setting, so a ValueEdit).
    learning_rate: ValueEdit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._errors: list[ConfigError] = []
        self._valid = True
        self._loading = False

        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, CUSTOM])
        self.preset.setToolTip("start from one of the tutorials' settings")

        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow("Preset", self.preset)
        self._editors: dict[str, Editor] = {}
        self._error_labels: dict[str, QLabel] = {}
        for name, spec in SETTINGS.items():
            editor = editor_for(spec)
            self._editors[name] = editor
            setattr(self, name, editor)
            label = QLabel(spec.label)
            label.setBuddy(editor)
            layout.addRow(label, self._with_error_label(spec, editor))
            if isinstance(editor, QComboBox):
                editor.currentIndexChanged.connect(self._edited)
            elif isinstance(editor, QCheckBox):
                editor.toggled.connect(self._edited)
            else:
                editor.textChanged.connect(self._edited)
        # For an error whose field has no editor here (there should be none, but never hide one).
        self._general_error = QLabel()
        self._general_error.setStyleSheet(ERROR_STYLE)
        self._general_error.setWordWrap(True)
        self._general_error.hide()
        layout.addRow(self._general_error)

        self.preset.currentTextChanged.connect(self._apply_preset)
        self.set_config(PRESETS["tutorial"])

    def _with_error_label(self, spec: Setting, editor: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if spec.unit:
            row = QHBoxLayout()
            row.addWidget(editor, 1)
            row.addWidget(QLabel(spec.unit))
            column.addLayout(row)
        else:
            column.addWidget(editor)
        label = error_label(spec.name)
        column.addWidget(label)
        self._error_labels[spec.name] = label
        return box

    def editor(self, name: str) -> Editor:
        """The editor of the field ``name``."""
        return self._editors[name]

    # --- reading and writing the config -------------------------------------------------

    def set_config(self, config: TrainConfig) -> None:
        """Show ``config`` in the editors (and select its preset if it is one)."""
        self._loading = True
        try:
            for name, editor in self._editors.items():
                value = getattr(config, name)
                if isinstance(editor, QComboBox):
                    editor.setCurrentIndex(max(0, editor.findData(value)))
                elif isinstance(editor, QCheckBox):
                    editor.setChecked(value)
                else:
                    editor.setValue(value)
        finally:
            self._loading = False
        self._edited()

    def config(self) -> TrainConfig:
        """The validated config the editors show; :class:`ConfigError` if a field is invalid."""
        config, errors = self._read()
        if errors:
            raise errors[0]
        assert config is not None
        return config

    @property
    def is_valid(self) -> bool:
        return self._valid

    @property
    def error(self) -> ConfigError | None:
        """The first invalid field's error, or None."""
        return self._errors[0] if self._errors else None

    def error_text(self, field: str) -> str:
        """The message shown under ``field`` ('' when it is valid)."""
        label = self._error_labels.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def show_error(self, error: ConfigError) -> None:
        """Show an error found later (by training itself) next to its field."""
        self._show([error])

    # --- reacting to edits --------------------------------------------------------------

    def _read(self) -> tuple[TrainConfig | None, list[ConfigError]]:
        """The config, or every field's refusal (each field says its own, not only the first)."""
        values: dict[str, Any] = {}
        errors: list[ConfigError] = []
        for name, editor in self._editors.items():
            if isinstance(editor, QComboBox):
                values[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                values[name] = editor.isChecked()
            else:
                try:
                    values[name] = editor.read()
                except ConfigError as exc:
                    errors.append(exc)
        if errors:
            return None, errors
        try:
            return TrainConfig(**values).validate(), []
        except ConfigError as exc:
            return None, [exc]

    def _apply_preset(self, name: str) -> None:
        if name in PRESETS and not self._loading:
            self.set_config(PRESETS[name])

    def _edited(self) -> None:
        if self._loading:
            return
        config, errors = self._read()
        self._show(errors)
        for name, spec in SETTINGS.items():
            if spec.used_when is not None:
                # Momentum means something only for the momentum optimizer; keep its value anyway.
                field, wanted = spec.used_when
                self._editors[name].setEnabled(self._current(field) == wanted)
        self._sync_preset(config)
        valid = not errors
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        self.changed.emit()

    def _current(self, name: str) -> Any:
        editor = self._editors[name]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        return editor.value()

    def _show(self, errors: list[ConfigError]) -> None:
        self._errors = list(errors)
        by_field = {error.field: error for error in reversed(errors)}
        for name, label in self._error_labels.items():
            error = by_field.get(name)
            label.setVisible(error is not None)
            label.setText(error.reason if error else "")
        general = [error for error in errors if error.field not in self._error_labels]
        self._general_error.setVisible(bool(general))
        self._general_error.setText("\n".join(str(error) for error in general))

    def _sync_preset(self, config: TrainConfig | None) -> None:
        name = next((key for key, value in PRESETS.items() if value == config), CUSTOM)
        if self.preset.currentText() != name:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(name)
            self.preset.blockSignals(False)
