"""The shared confidence threshold compares as the app shows: "95.0 %" is sure at 95.0 %."""

from __future__ import annotations

from digitpad.gui.confidence import ConfidenceThreshold
from digitpad.gui.probability_bars import percent_text


def test_a_mistake_labelled_as_the_threshold_is_not_held_back(qtbot):
    threshold = ConfidenceThreshold(0.95)
    for probability in (0.94951, 0.94996, 0.95, 0.951):
        assert percent_text(probability) >= "95.0 %"
        assert threshold.is_sure(probability), probability
    assert percent_text(0.9494) == "94.9 %" and not threshold.is_sure(0.9494)
