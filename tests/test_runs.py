"""Runs side by side: records from meta.json, presets recognised, differing settings named."""

from __future__ import annotations

import pytest

from digitpad.config import PRESETS
from digitpad.runs import (
    RunLabel,
    differing_settings,
    plural,
    preset_of,
    record_from_meta,
    setting_text,
    untrained_reason,
)


def meta_for(preset: str, accuracies: list[float], seconds: float = 10.0, **changes) -> dict:
    config = PRESETS[preset].replace(**changes).to_dict()
    epochs = [float(e + 1) for e in range(len(accuracies))]
    return {
        "created": "2026-12-01T10:00:00+00:00",
        "status": "completed",
        "config": config,
        "metrics": {"test_accuracy": accuracies[-1] - 0.001},
        "history": {
            "epoch": [e - 0.5 for e in epochs] + epochs,
            "val_epoch": epochs,
            "val_loss": [1 - a for a in accuracies],
            "val_accuracy": accuracies,
        },
        "train_seconds": seconds,
    }


def test_a_record_reads_what_the_table_shows():
    record = record_from_meta("mine", meta_for("tutorial", [0.9, 0.95, 0.97], seconds=6.0))
    assert record.preset == "tutorial" and record.epochs == 3.0
    assert record.val_accuracy == 0.97 and record.test_accuracy == pytest.approx(0.969)
    assert record.curve.epoch == (1.0, 2.0, 3.0)
    assert record.curve.seconds == pytest.approx((2.0, 4.0, 6.0))
    assert record.saved and record.key == "session:mine"


def test_presets_are_recognised_whatever_the_seed_and_custom_is_none():
    assert preset_of(PRESETS["best"].replace(seed=7).to_dict()) == "best"
    assert preset_of(PRESETS["tutorial"].replace(epochs=3).to_dict()) is None
    assert preset_of({"hidden": [10], "no such setting": 1}) is None


def test_differing_settings_are_the_ones_not_equal_everywhere():
    records = [
        record_from_meta("a", meta_for("tutorial", [0.9])),
        record_from_meta("b", meta_for("sgd", [0.8])),
        record_from_meta("c", meta_for("tutorial", [0.9], epochs=3)),
    ]
    assert differing_settings(records) == [
        "hidden",
        "optimizer",
        "learning_rate",
        "epochs",
    ]
    assert differing_settings(records[:1]) == []


def test_a_damaged_description_gives_an_empty_record_not_an_error():
    record = record_from_meta("odd", {"history": {"val_epoch": "x"}, "config": [1], "metrics": 3})
    assert record.curve.epoch == () and record.test_accuracy is None and record.preset is None
    assert setting_text([800, 800]) == "800-800" and setting_text(0.001) == "0.001"


def test_only_a_diverged_run_no_better_than_guessing_is_not_worth_saving():
    assert untrained_reason("diverged", 0.077) is not None
    assert untrained_reason("diverged", 0.90) is None  # its last good weights learned a lot
    assert untrained_reason("cancelled", 0.41) is None  # partial, but a model
    assert untrained_reason("completed", 0.11) is None  # a bad run is still the user's choice
    assert "no weights" in untrained_reason("cancelled", None)


def test_a_run_label_says_name_accuracy_and_whether_it_is_partial():
    done = RunLabel("02:48", "completed", 0.9793)
    assert done.text() == "unsaved run 02:48 · 97.93%" and not done.partial
    stopped = RunLabel("02:49", "cancelled", 0.4082, 40, 5500)
    assert stopped.partial
    assert stopped.text() == "unsaved run 02:49 · 40.82% · partial: stopped at step 40 of 5,500"
    assert "partial: diverged" in RunLabel("02:50", "diverged", 0.5).text()


def test_plural():
    assert [plural(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]
