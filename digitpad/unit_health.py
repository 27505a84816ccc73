"""Hidden units that stopped learning: dead ReLU units and tanh or sigmoid units pinned at a limit.

Counted from a layer's activations on a batch of images; the training engine reports the
shares with each evaluation and the Inside view shows them.
"""

from __future__ import annotations

import numpy as np


def dead_unit_share(activations: np.ndarray) -> float:
    """The share of units (columns of (N, units) activations) that never fire (> 0) on any of
    the N inputs: a ReLU unit like that gets no gradient and has stopped learning."""
    activations = np.asarray(activations)
    if activations.ndim != 2 or activations.shape[1] == 0:
        raise ValueError(f"activations must be (N, units), not {activations.shape}")
    return float(np.mean(~(activations > 0).any(axis=0)))


SATURATION_MARGIN = 0.05
"""A tanh or sigmoid output within this share of its range from a limit is saturated: its
slope there is under a tenth of its largest, so it passes back almost no gradient."""

PINNED_SHARE = 0.95
"""A unit saturated on at least this share of the images counts as pinned."""

_LIMITS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def saturated(activations: np.ndarray, activation: str) -> np.ndarray:
    """Boolean, where a tanh or sigmoid output is within SATURATION_MARGIN of either limit."""
    if activation not in _LIMITS:
        raise ValueError(f"saturation applies to tanh and sigmoid, not {activation!r}")
    low, high = _LIMITS[activation]
    margin = SATURATION_MARGIN * (high - low)
    activations = np.asarray(activations)
    return (activations <= low + margin) | (activations >= high - margin)


def pinned_unit_share(saturated_fraction: np.ndarray) -> float:
    """The share of units whose output is saturated on at least PINNED_SHARE of the inputs,
    from each unit's fraction of saturated outputs (shape (units,)): units like these barely
    learn, as a dead ReLU unit does not at all."""
    saturated_fraction = np.asarray(saturated_fraction)
    if saturated_fraction.ndim != 1 or saturated_fraction.size == 0:
        raise ValueError(f"need one fraction per unit, not shape {saturated_fraction.shape}")
    return float(np.mean(saturated_fraction >= PINNED_SHARE))
