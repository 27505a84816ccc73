"""Weight histograms,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np

from digitpad.weight_stats import weight_histogram


def test_weight_histograms_share_symmetric_bins_and_keep_every_weight():
    rng = np.random.default_rng(2)
    initial = rng.normal(0, 0.01, 5000).astype(np.float32)
    now = rng.normal(0, 0.1, 5000).astype(np.float32)
    now[0] = 99.0  # an outlier lands in the last bin rather than stretching the range
    histogram = weight_histogram(now, initial, bins=41)
    edges = histogram.edges
    assert len(edges) == 42 and edges[0] == -edges[-1] and edges[-1] < 1.0
    assert histogram.now.sum() == 5000 and histogram.initial.sum() == 5000
    assert histogram.now[-1] >= 1
    # The initial weights are narrow: nearly all in the middle few bins.
    assert histogram.initial[17:24].sum() > 0.95 * 5000
    np.testing.assert_array_equal(histogram.now[1:-1], np.histogram(now, edges)[0][1:-1])
    assert weight_histogram(now).initial is None
