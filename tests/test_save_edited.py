"""Save as… for an edited network: a real stored model, written by a child process."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from digitpad.errors import StoreError
from digitpad.inference import load_predictor
from digitpad.save_edited import edited_meta, save_in_child_process
from digitpad.surgery import Edits, edited


def test_edited_meta_says_what_changed_and_drops_the_original_scores():
    model = load_predictor()
    edits = Edits(units_off=frozenset({(1, 7), (0, 3)}), prune_percent=40, noise=0.1, seed=2)
    meta = edited_meta(edited(model, edits), edits, {"test_accuracy": 0.9})
    assert meta["edited_from"] == "default"
    assert meta["edits"]["units_off"] == [[0, 3], [1, 7]]
    assert meta["edits"]["prune_percent"] == 40.0 and meta["edits"]["seed"] == 2
    assert meta["metrics"] == {"test_accuracy": 0.9}
    assert meta["config"]["hidden"] == [800, 800]
    assert "history" not in meta and meta["status"] == "edited"


def test_save_as_writes_a_model_that_loads_with_the_edited_weights(user_store):
    model = load_predictor()
    edits = Edits(prune_percent=70, biases_off=frozenset({0}))
    broken = edited(model, edits)
    tensorflow_before = "tensorflow" in sys.modules  # other tests may have loaded it
    folder = save_in_child_process(broken, "pruned", edited_meta(broken, edits), str(user_store))
    assert folder.parent == user_store
    loaded = load_predictor("pruned", str(user_store))
    for (k, b), (k0, b0) in zip(loaded.layers, broken.layers, strict=True):
        np.testing.assert_array_equal(k, k0)
        np.testing.assert_array_equal(b, b0)
    assert loaded.meta["edits"]["prune_percent"] == 70.0
    # The child process did the Keras work: this one loaded no TensorFlow for it.
    assert ("tensorflow" in sys.modules) == tensorflow_before
    with pytest.raises(StoreError, match="already exists"):
        save_in_child_process(broken, "pruned", edited_meta(broken, edits), str(user_store))
