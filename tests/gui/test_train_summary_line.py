"""The Train tab's one-line model summary follows the settings as the user types them."""

from __future__ import annotations

from PySide6.QtCore import Qt

from digitpad.config import PRESETS


def test_the_summary_line_follows_every_edit_of_the_settings(qtbot, train_tab):
    line = train_tab.network_summary
    form = train_tab.form
    assert line.isVisible()
    form.preset.setCurrentText("tutorial")
    tutorial = line.text()
    assert tutorial.startswith("784-") and "parameters" in tutorial

    form.hidden.clear()
    qtbot.keyClicks(form.hidden, "800,800")
    assert line.text() == "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB"

    # A refused value says why instead of a stale count.
    qtbot.keyClicks(form.hidden, "x")
    assert line.text().startswith("no network: hidden")
    assert "parameters" not in line.text()
    qtbot.keyClick(form.hidden, Qt.Key.Key_Backspace)
    assert line.text() == "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB"
    qtbot.keyClicks(form.hidden, ",5")
    assert line.text().startswith("784-800-800-5-10 ReLU: ")

    # Choosing a preset is an edit too; so is the activation.
    form.preset.setCurrentText("two-hidden")
    assert line.text().startswith("784-50-30-10 ReLU: 41,090 parameters")
    index = form.activation.findData("tanh")
    form.activation.setCurrentIndex(index)
    assert line.text().startswith("784-50-30-10 tanh: 41,090 parameters")
    assert PRESETS["two-hidden"].hidden == (50, 30)
