"""The settings form, every field walked from its one declaration, typed as a person types.

A value inside each limit is taken exactly as typed; a value outside, or garbage, stays on
screen, is explained under its field, and blocks Start. Nothing is rounded, clamped or
reverted (``1e-4`` used to become 14, ``0`` used to revert silently on Tab).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit
from setting_cases import GARBAGE, NUMBER_FIELDS, inside, outside

from digitpad.config import PRESETS, SETTINGS, TrainConfig
from digitpad.gui.config_form import ConfigForm, ValueEdit, with_problem_below

CASES_IN = [(name, value) for name, spec in SETTINGS.items() for value in inside(spec)]
CASES_OUT = [(name, value) for name, spec in SETTINGS.items() for value in outside(spec)]


@pytest.fixture
def form(qtbot):
    widget = ConfigForm()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_into(qtbot, editor: QLineEdit, text: str, then=Qt.Key.Key_Tab) -> None:
    assert editor.isEnabled(), f"{editor.objectName()} is disabled"
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, then)


def start_for(name: str) -> TrainConfig:
    """The tutorial, with what makes ``name`` mean something (momentum: that optimizer)."""
    used_when = SETTINGS[name].used_when
    return PRESETS["tutorial"].replace(**dict([used_when] if used_when else []))


def enter(qtbot, form: ConfigForm, name: str, value) -> None:
    """Put ``value`` into ``name``'s editor the way a person would."""
    form.set_config(start_for(name))
    editor = form.editor(name)
    if isinstance(editor, QComboBox):
        editor.setCurrentIndex(editor.findData(value))
    elif isinstance(editor, QCheckBox):
        if editor.isChecked() != value:
            qtbot.mouseClick(editor, Qt.MouseButton.LeftButton)
    else:
        type_into(qtbot, editor, SETTINGS[name].format(value))


def test_every_field_has_its_editor_named_labelled_and_explained(form):
    for name, spec in SETTINGS.items():
        editor = getattr(form, name)
        assert editor is form.editor(name) and editor.objectName() == name
        assert editor.toolTip() == spec.help_text
        if spec.choices:
            keys = [editor.itemData(i) for i in range(editor.count())]
            assert keys == list(spec.choices)
    # Each row's label names its field and moves the focus there (Alt+mnemonic, screen readers).
    buddies = {label.text(): label.buddy() for label in form.findChildren(QLabel)}
    for name, spec in SETTINGS.items():
        assert buddies[spec.label] is form.editor(name)


@pytest.mark.parametrize(("name", "value"), CASES_IN)
def test_a_value_inside_each_limit_is_taken_exactly(qtbot, form, name, value):
    enter(qtbot, form, name, value)
    assert form.error_text(name) == ""
    assert form.is_valid
    assert getattr(form.config(), name) == value
    assert form.config().replace(**{name: getattr(start_for(name), name)}) == start_for(name)
    # and back: the config shown again reads back as itself
    config = form.config()
    form.set_config(PRESETS["best"])
    form.set_config(config)
    assert form.config() == config


@pytest.mark.parametrize(("name", "value"), CASES_OUT)
def test_a_value_outside_each_limit_stays_and_is_explained(qtbot, form, name, value):
    enter(qtbot, form, name, value)
    editor = form.editor(name)
    if isinstance(editor, QComboBox):
        assert editor.currentData() != value  # a combo box offers only its choices
        return
    assert editor.text() == SETTINGS[name].format(value)  # not reverted on Tab
    assert form.error_text(name)
    assert not form.is_valid and form.error.field == name


@pytest.mark.parametrize("name", NUMBER_FIELDS)
@pytest.mark.parametrize("text", [*GARBAGE, "0x10", "1..2"])
def test_garbage_in_any_number_field_is_explained_where_it_was_typed(qtbot, form, name, text):
    form.set_config(start_for(name))
    editor = form.editor(name)
    type_into(qtbot, editor, text)
    assert editor.text() == text
    assert not form.is_valid
    message = form.error_text(name)
    assert message and (repr(text) in message or "needs a" in message)
    # every other field stays quiet
    assert all(form.error_text(other) == "" for other in SETTINGS if other != name)


@pytest.mark.parametrize("text", ["1e-4", "1E-4", "0.0001", "1e-04"])
def test_the_learning_rate_takes_scientific_notation(qtbot, form, text):
    """Before: the spin box read 1e-4 as 14."""
    type_into(qtbot, form.learning_rate, text)
    assert form.is_valid and form.config().learning_rate == 1e-4
    assert form.learning_rate.value() == 1e-4


def test_small_learning_rates_keep_full_precision(qtbot, form):
    type_into(qtbot, form.learning_rate, "0.0000001")  # a spin box with 6 decimals: reverted
    assert form.config().learning_rate == 1e-7
    type_into(qtbot, form.learning_rate, "0.000123456789")
    assert form.config().learning_rate == 0.000123456789


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("learning_rate", "0", "must be more than 0"),
        ("batch_size", "0", "must be between 1 and"),
        ("epochs", "0", "must be between 1 and"),
        ("dropout", "1", "must be less than 1"),
        ("lr_decay", "0", "must be more than 0"),
        ("momentum", "1", "must be less than 1"),
        ("l2", "-0.1", "must be at least 0"),
        ("seed", "-1", "must be between 0 and"),
        ("validate_every", "2.5", "is not a whole number"),
    ],
)
def test_a_refused_value_says_why_and_a_valid_one_clears_it(qtbot, form, name, text, words):
    form.set_config(start_for(name))
    valid_before = form.editor(name).text()
    type_into(qtbot, form.editor(name), text)
    assert words in form.error_text(name)
    assert form.editor(name).text() == text
    type_into(qtbot, form.editor(name), valid_before)
    assert form.error_text(name) == "" and form.is_valid


def test_two_bad_fields_each_say_their_own(qtbot, form):
    type_into(qtbot, form.learning_rate, "0")
    type_into(qtbot, form.epochs, "ten")
    assert "more than 0" in form.error_text("learning_rate")
    assert "'ten' is not a whole number" in form.error_text("epochs")
    type_into(qtbot, form.learning_rate, "0.01")
    assert form.error_text("learning_rate") == "" and not form.is_valid


def test_the_arrow_keys_step_and_never_leave_the_range(qtbot, form):
    form.set_config(PRESETS["tutorial"])
    lr = form.learning_rate
    lr.setFocus()
    qtbot.keyClick(lr, Qt.Key.Key_Up)
    assert form.config().learning_rate == 0.0011  # a tenth of the decade, as before
    qtbot.keyClick(lr, Qt.Key.Key_Down)
    assert form.config().learning_rate == 0.001
    qtbot.keyClick(lr, Qt.Key.Key_Down)
    assert form.config().learning_rate == 0.00099
    form.set_config(PRESETS["tutorial"].replace(epochs=999, dropout=0.95))
    qtbot.keyClick(form.epochs, Qt.Key.Key_Up)
    qtbot.keyClick(form.epochs, Qt.Key.Key_Up)
    assert form.config().epochs == 1000
    qtbot.keyClick(form.dropout, Qt.Key.Key_Up)  # 1.0 is not allowed: stays
    assert form.config().dropout == 0.95
    qtbot.keyClick(form.dropout, Qt.Key.Key_PageDown)  # -0.5
    assert form.config().dropout == 0.45


def test_the_form_is_usable_from_the_keyboard(qtbot, form):
    """Tab goes from field to field in the form's order, none skipped."""
    form.set_config(PRESETS["tutorial"].replace(optimizer="momentum"))  # every field enabled
    form.hidden.setFocus()
    seen = []
    for _ in range(len(SETTINGS)):
        seen.append(form.focusWidget().objectName())
        qtbot.keyClick(form.focusWidget(), Qt.Key.Key_Tab)
    assert seen == list(SETTINGS)


def test_a_value_edit_outside_the_form_shows_its_own_problem(qtbot):
    """The Train tab's "Learning rate now" box: the same editor, the same rules."""
    edit = ValueEdit(SETTINGS["learning_rate"])
    box = with_problem_below(edit)
    qtbot.addWidget(box)
    box.show()
    label = box.findChild(QLabel, "learning_rate_error")
    with qtbot.waitSignal(edit.submitted) as sent:
        type_into(qtbot, edit, "1e-4", then=Qt.Key.Key_Return)
    assert sent.args == [1e-4] and edit.value() == 1e-4
    with qtbot.assertNotEmitted(edit.submitted):
        type_into(qtbot, edit, "0", then=Qt.Key.Key_Return)
    assert edit.text() == "0" and not edit.is_valid
    assert "must be more than 0" in edit.problem
    assert label is not None and label.isVisible() and "more than 0" in label.text()
    assert edit.value() == 1e-4  # the last good value, for whoever asks before it is fixed


def test_the_live_learning_rate_takes_1e_4_and_explains_0(qtbot, train_tab):
    """The Train tab's "Learning rate now" box is the same editor, with the same rules."""
    tab = train_tab
    tab.form.set_config(TrainConfig(hidden=(32,), epochs=1000, batch_size=50))
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.live_rate.isEnabled(), timeout=60_000)

    type_into(qtbot, tab.live_rate, "0", then=Qt.Key.Key_Return)
    assert tab.live_rate.text() == "0"
    assert "must be more than 0" in tab.live_rate.problem
    assert not tab.set_rate_button.isEnabled()
    assert "Learning rate 0 " not in tab.notice.text.text()

    type_into(qtbot, tab.live_rate, "1e-4", then=Qt.Key.Key_Return)
    assert "Learning rate 0.0001" in tab.notice.text.text()
    assert tab.set_rate_button.isEnabled()
    with qtbot.waitSignal(tab.running_changed, timeout=10_000):
        qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
