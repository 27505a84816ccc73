"""The Train tab's settings form: a preset and one editor per :class:`TrainConfig` field.

The form owns no rules of its own: every edit rebuilds a ``TrainConfig`` and asks
``TrainConfig.validate()``; a :class:`ConfigError` is shown under the field it names.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.config import (
    ACTIVATIONS,
    FIELD_HELP,
    INITS,
    LOSSES,
    MAX_BATCH,
    MAX_EPOCHS,
    OPTIMIZERS,
    PRESETS,
    TrainConfig,
    parse_hidden,
)
from digitpad.errors import ConfigError

CUSTOM = "custom"

# Readable names for the combo boxes; the config keeps the short keys.
_CHOICE_LABELS = {
    "relu": "ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "truncated_normal": "truncated normal (σ 0.01)",
    "glorot": "Glorot uniform",
    "he": "He normal",
    "cross_entropy": "softmax cross-entropy",
    "mse": "mean squared error",
    "adam": "Adam",
    "sgd": "SGD",
    "momentum": "SGD with momentum",
}

# A mid-tone red that keeps its contrast on both light and dark window backgrounds.
ERROR_STYLE = "color: #e5484d;"


class CompactDoubleSpinBox(QDoubleSpinBox):
    """Shows ``0.001`` rather than ``0.001000``: six decimals of precision without the noise."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        locale = self.locale()
        text = locale.toString(value, "f", self.decimals())
        point = locale.decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text


def _double(low: float, high: float, decimals: int, step: float) -> CompactDoubleSpinBox:
    box = CompactDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    return box


def _integer(low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    return box


def _combo(choices: tuple[str, ...]) -> QComboBox:
    combo = QComboBox()
    for key in choices:
        combo.addItem(_CHOICE_LABELS.get(key, key), key)
    return combo


class ConfigForm(QWidget):
    """Edits a :class:`TrainConfig`; ``changed`` fires on every edit, valid or not."""

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._error: ConfigError | None = None
        self._valid = True
        self._loading = False

        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, CUSTOM])
        self.preset.setToolTip("start from one of the tutorials' settings")

        self.hidden = QLineEdit()
        self.hidden.setPlaceholderText("e.g. 200 or 50,30")
        self.activation = _combo(ACTIVATIONS)
        self.init = _combo(INITS)
        self.dropout = _double(0.0, 0.99, 3, 0.05)
        self.loss = _combo(LOSSES)
        self.optimizer = _combo(OPTIMIZERS)
        self.learning_rate = _double(0.000001, 100.0, 6, 0.001)
        # Adaptive steps move 0.001 to 0.0011 and 0.5 to 0.51: log-ish, fine at every scale.
        self.learning_rate.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.momentum = _double(0.0, 0.999, 3, 0.05)
        self.lr_decay = _double(0.01, 1.0, 3, 0.05)
        self.l2 = _double(0.0, 1.0, 6, 0.0001)
        self.l2.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch_size = _integer(1, MAX_BATCH)
        self.epochs = _integer(1, MAX_EPOCHS)
        self.seed = _integer(0, 2**31 - 1)
        self.validate_every = _integer(0, 10**9)
        self.validate_every.setSpecialValueText("each epoch")
        self.augment = QCheckBox("distort the training images each epoch")

        self._editors: dict[str, QWidget] = {
            "hidden": self.hidden,
            "activation": self.activation,
            "init": self.init,
            "dropout": self.dropout,
            "loss": self.loss,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "momentum": self.momentum,
            "lr_decay": self.lr_decay,
            "l2": self.l2,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "seed": self.seed,
            "validate_every": self.validate_every,
            "augment": self.augment,
        }
        labels = {
            "hidden": "Hidden layers",
            "activation": "Activation",
            "init": "Weight init",
            "dropout": "Dropout",
            "loss": "Loss",
            "optimizer": "Optimizer",
            "learning_rate": "Learning rate",
            "momentum": "Momentum",
            "lr_decay": "LR decay / epoch",
            "l2": "L2 penalty",
            "batch_size": "Batch size",
            "epochs": "Epochs",
            "seed": "Seed",
            "validate_every": "Validate every",
            "augment": "Augment",
        }

        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow("Preset", self.preset)
        self._error_labels: dict[str, QLabel] = {}
        for name, editor in self._editors.items():
            editor.setToolTip(FIELD_HELP[name])
            editor.setObjectName(name)
            layout.addRow(labels[name], self._with_error_label(name, editor))
        # For an error whose field has no editor here (there should be none, but never hide one).
        self._general_error = QLabel()
        self._general_error.setStyleSheet(ERROR_STYLE)
        self._general_error.setWordWrap(True)
        self._general_error.hide()
        layout.addRow(self._general_error)

        self.preset.currentTextChanged.connect(self._apply_preset)
        self.hidden.textChanged.connect(self._edited)
        for combo in (self.activation, self.init, self.loss, self.optimizer):
            combo.currentIndexChanged.connect(self._edited)
        for box in (self.dropout, self.learning_rate, self.momentum, self.lr_decay, self.l2):
            box.valueChanged.connect(self._edited)
        for box in (self.batch_size, self.epochs, self.seed, self.validate_every):
            box.valueChanged.connect(self._edited)
        self.augment.toggled.connect(self._edited)

        self.set_config(PRESETS["tutorial"])

    def _with_error_label(self, name: str, editor: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        label = QLabel()
        label.setObjectName(f"{name}_error")
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        column.addWidget(label)
        self._error_labels[name] = label
        return box

    # --- reading and writing the config -------------------------------------------------

    def set_config(self, config: TrainConfig) -> None:
        """Show ``config`` in the editors (and select its preset if it is one)."""
        self._loading = True
        try:
            self.hidden.setText(",".join(str(width) for width in config.hidden))
            for name in ("activation", "init", "loss", "optimizer"):
                combo: QComboBox = self._editors[name]  # type: ignore[assignment]
                combo.setCurrentIndex(max(0, combo.findData(getattr(config, name))))
            for name in ("dropout", "learning_rate", "momentum", "lr_decay", "l2"):
                self._editors[name].setValue(getattr(config, name))  # type: ignore[attr-defined]
            for name in ("batch_size", "epochs", "seed", "validate_every"):
                self._editors[name].setValue(getattr(config, name))  # type: ignore[attr-defined]
            self.augment.setChecked(config.augment)
        finally:
            self._loading = False
        self._edited()

    def config(self) -> TrainConfig:
        """The validated config the editors show; :class:`ConfigError` if a field is invalid."""
        return TrainConfig(
            hidden=parse_hidden(self.hidden.text()),
            activation=self.activation.currentData(),
            init=self.init.currentData(),
            dropout=self.dropout.value(),
            loss=self.loss.currentData(),
            optimizer=self.optimizer.currentData(),
            learning_rate=self.learning_rate.value(),
            momentum=self.momentum.value(),
            lr_decay=self.lr_decay.value(),
            l2=self.l2.value(),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
            seed=self.seed.value(),
            validate_every=self.validate_every.value(),
            augment=self.augment.isChecked(),
        ).validate()

    @property
    def is_valid(self) -> bool:
        return self._valid

    @property
    def error(self) -> ConfigError | None:
        """The first invalid field's error, or None."""
        return self._error

    def error_text(self, field: str) -> str:
        """The message shown under ``field`` ('' when it is valid)."""
        label = self._error_labels.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def show_error(self, error: ConfigError) -> None:
        """Show an error found later (by training itself) next to its field."""
        self._show(error)

    # --- reacting to edits --------------------------------------------------------------

    def _apply_preset(self, name: str) -> None:
        if name in PRESETS and not self._loading:
            self.set_config(PRESETS[name])

    def _edited(self) -> None:
        if self._loading:
            return
        try:
            config = self.config()
        except ConfigError as exc:
            config, error = None, exc
        else:
            error = None
        self._show(error)
        # Momentum means something only for the momentum optimizer; keep its value anyway.
        self.momentum.setEnabled(self.optimizer.currentData() == "momentum")
        self._sync_preset(config)
        valid = error is None
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        self.changed.emit()

    def _show(self, error: ConfigError | None) -> None:
        self._error = error
        field = error.field if error else None
        for name, label in self._error_labels.items():
            label.setVisible(name == field)
            label.setText(error.reason if name == field and error else "")
        general = error is not None and field not in self._error_labels
        self._general_error.setVisible(general)
        self._general_error.setText(str(error) if general else "")

    def _sync_preset(self, config: TrainConfig | None) -> None:
        name = next((key for key, value in PRESETS.items() if value == config), CUSTOM)
        if self.preset.currentText() != name:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(name)
            self.preset.blockSignals(False)
