"""Save an edited network (a NumPy :class:`Predictor`) as a stored model: "Save as…".

A stored model holds a ``model.keras`` file, so saving builds the Keras network of the same
shape and copies the weights into it, which needs TensorFlow. The window must not load
TensorFlow for this, so :func:`save_in_child_process` does the work in a fresh process (the
``spawn`` start method: nothing of the window's state is inherited) and only the result comes
back. The store's own atomic save (temporary folder, then rename) is used as is: a crash
mid-save never leaves a half-written model.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digitpad.config import TrainConfig
from digitpad.errors import ConfigError, DigitpadError, StoreError
from digitpad.inference import Predictor
from digitpad.surgery import Edits

SAVE_TIMEOUT_SECONDS = 300.0
"""Importing TensorFlow in a fresh process takes seconds, much longer on a busy machine."""


def edited_meta(
    predictor: Predictor, edits: Edits, metrics: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The description of an edited network: the original's config and data checksum, what
    was changed, and ``metrics`` (its own test figures, e.g. ``Evaluation.metrics()``); not
    the original's metrics or curves, which belong to another network."""
    original = predictor.meta
    config = (
        original.get("config")
        or TrainConfig(
            hidden=tuple(int(k.shape[1]) for k, _ in predictor.layers[:-1]),
            activation=predictor.activation,
        ).to_dict()
    )
    meta: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "edited",
        "config": config,
        "metrics": dict(metrics or {}),
        "output": "logits",
        "edited_from": original.get("name") or predictor.name,
        "edits": {
            "units_off": sorted([int(layer), int(unit)] for layer, unit in edits.units_off),
            "biases_off": sorted(int(layer) for layer in edits.biases_off),
            "prune_percent": float(edits.prune_percent),
            "noise": float(edits.noise),
            "seed": int(edits.seed),
            "summary": edits.describe(),
        },
    }
    if "data_sha256" in original:
        meta["data_sha256"] = original["data_sha256"]
    return meta


def save_predictor(
    predictor: Predictor,
    name: str,
    meta: dict[str, Any],
    store: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Save ``predictor``'s weights under ``name`` in the user's store; returns the folder.

    Imports TensorFlow: call it from :func:`save_in_child_process` (the window) or a command
    line tool, never on a GUI thread. Raises :class:`StoreError` for a bad name, an existing
    model (without ``overwrite``) or an unwritable store.
    """
    from digitpad.model import build_model
    from digitpad.paths import user_store_dir
    from digitpad.store import ModelStore, check_name

    check_name(name)
    target = ModelStore(user_store_dir(store))
    if name in target and not overwrite:
        raise StoreError(f"a model named {name!r} already exists (choose another name)")
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (ConfigError, KeyError, TypeError) as exc:
        raise StoreError(f"cannot rebuild the network to save it: {exc}") from None
    widths = tuple(int(k.shape[1]) for k, _ in predictor.layers[:-1])
    if config.hidden != widths or config.activation != predictor.activation:
        config = config.replace(hidden=widths, activation=predictor.activation)
    model = build_model(config)
    dense = [layer for layer in model.layers if hasattr(layer, "kernel")]
    for layer, (kernel, bias) in zip(dense, predictor.layers, strict=True):
        layer.set_weights([kernel, bias])
    return target.save(name, model, {**meta, "config": config.to_dict()}, overwrite=overwrite)


def _save_in_child(predictor: Predictor, name: str, meta: dict, store: str | None, overwrite: bool):
    # Runs in the child: hand back plain values, since an exception with a custom constructor
    # may not survive the trip back.
    try:
        return "ok", str(save_predictor(predictor, name, meta, store, overwrite=overwrite))
    except DigitpadError as exc:
        return "error", str(exc)


def save_in_child_process(
    predictor: Predictor,
    name: str,
    meta: dict[str, Any],
    store: str | None = None,
    *,
    overwrite: bool = False,
    timeout: float = SAVE_TIMEOUT_SECONDS,
) -> Path:
    """:func:`save_predictor` in a fresh process, so TensorFlow never loads in this one.

    Blocks until saved (call it from a worker thread); raises :class:`StoreError` with the
    child's message, or if it takes longer than ``timeout`` seconds.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pending = pool.apply_async(_save_in_child, (predictor, name, meta, store, overwrite))
        try:
            status, value = pending.get(timeout)
        except multiprocessing.TimeoutError:
            raise StoreError(f"saving {name!r} took longer than {timeout:.0f} s") from None
    if status != "ok":
        raise StoreError(value)
    return Path(value)
