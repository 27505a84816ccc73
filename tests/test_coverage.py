"""The confidence threshold and the coverage curve,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitpad.coverage import coverage_curve, meets_threshold


def test_coverage_at_a_threshold_counts_answered_and_right():
    confidence = np.array([0.3, 0.6, 0.9, 0.95, 0.99, 0.5])
    correct = np.array([False, True, False, True, True, False])
    curve = coverage_curve(confidence, correct)
    everything = curve.at(0.0)
    assert (everything.answered, everything.right, everything.total) == (6, 3, 6)
    at_90 = curve.at(0.9)  # "at least": 0.9 itself is answered
    assert (at_90.answered, at_90.right) == (3, 2)
    assert at_90.coverage == 0.5 and at_90.accuracy == pytest.approx(2 / 3)
    assert at_90.withheld_mistakes == 2  # the 0.3 and 0.5 mistakes became "not sure"
    nothing = curve.at(1.0)
    assert nothing.answered == 0 and np.isnan(nothing.accuracy)
    # The sampled curve agrees with the exact one.
    assert curve.answered[90] == 3 and curve.right[90] == 2 and curve.answered[0] == 6
    assert curve.coverage[0] == 1.0 and curve.accuracy[0] == 0.5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.125, 1.0, allow_nan=False, width=32), st.booleans()), max_size=40
    ),
    st.floats(0.0, 1.0, allow_nan=False),
)
def test_coverage_matches_a_direct_count(pairs, threshold):
    confidence = np.array([c for c, _ in pairs], dtype=np.float32)
    correct = np.array([ok for _, ok in pairs], dtype=bool)
    result = coverage_curve(confidence, correct).at(threshold)
    # The rule the grid greys by, image by image.
    answered = np.array([meets_threshold(float(c), threshold) for c in confidence], bool)
    assert result.answered == int(answered.sum())
    assert result.right == int((answered & correct).sum())
    # Raising the threshold never answers more images.
    curve = coverage_curve(confidence, correct)
    assert (np.diff(curve.answered) <= 0).all()


def test_a_probability_shown_as_the_threshold_meets_it():
    # 0.94996 is shown as "95.0 %": at a 95.0 % threshold it is answered, not "?".
    assert meets_threshold(0.94996, 0.95)
    assert meets_threshold(0.95, 0.95)
    assert not meets_threshold(0.9494, 0.95)  # shown as "94.9 %"
    assert meets_threshold(0.0, 0.0)
    confidence = np.array([0.9494, 0.94996, 0.95, 0.97], dtype=np.float32)
    curve = coverage_curve(confidence, np.array([True, False, True, True]))
    # The counts agree with the per-image rule.
    at = curve.at(0.95)
    assert at.answered == sum(meets_threshold(float(c), 0.95) for c in confidence) == 3
    assert curve.at(0.0).answered == 4
