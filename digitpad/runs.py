"""Runs side by side: one record per trained model, and what sets them apart.

A :class:`RunRecord` is built from a model's ``meta.json`` (a stored model, or a run made since
the app opened that is not saved yet): its settings, final validation and test accuracy,
training time and curves. :func:`differing_settings` names the settings that are not the same
in every record, so a table can highlight what actually changed between runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitpad.config import PRESETS, TrainConfig
from digitpad.store import ModelInfo


@dataclass(frozen=True)
class Curve:
    """Validation points of a run: epoch, seconds of training at that point, loss, accuracy."""

    epoch: tuple[float, ...] = ()
    seconds: tuple[float, ...] = ()
    loss: tuple[float, ...] = ()
    accuracy: tuple[float, ...] = ()


@dataclass(frozen=True)
class RunRecord:
    """One run in the comparison table."""

    name: str
    created: str | None
    config: dict[str, Any]
    preset: str | None
    epochs: float | None
    val_accuracy: float | None
    test_accuracy: float | None
    train_seconds: float | None
    curve: Curve = field(default_factory=Curve)
    status: str = "completed"
    path: Path | None = None
    bundled: bool = False
    saved: bool = True

    @property
    def key(self) -> str:
        """Tells runs apart in a view: the folder of a stored model, the name of a session run."""
        return str(self.path) if self.path else f"session:{self.name}"


def record_from_meta(
    name: str,
    meta: dict[str, Any],
    *,
    path: Path | None = None,
    bundled: bool = False,
    saved: bool = True,
) -> RunRecord:
    """A record from a model's ``meta.json`` content; missing parts stay ``None`` or empty."""
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    history = meta.get("history") if isinstance(meta.get("history"), dict) else {}
    metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
    seconds = _number(meta.get("train_seconds"))
    val_epoch = _floats(history.get("val_epoch"))
    val_loss = _floats(history.get("val_loss"))
    val_accuracy = _floats(history.get("val_accuracy"))
    n = min(len(val_epoch), len(val_loss), len(val_accuracy))
    last_epoch = max(_floats(history.get("epoch")) + val_epoch[:n], default=None)
    curve = Curve(
        val_epoch[:n],
        _training_seconds(val_epoch[:n], last_epoch, seconds),
        val_loss[:n],
        val_accuracy[:n],
    )
    return RunRecord(
        name=name,
        created=meta.get("created") if isinstance(meta.get("created"), str) else None,
        config=config,
        preset=preset_of(config),
        epochs=last_epoch,
        val_accuracy=val_accuracy[n - 1] if n else None,
        test_accuracy=_number(metrics.get("test_accuracy")),
        train_seconds=seconds,
        curve=curve,
        status=str(meta.get("status") or "completed"),
        path=path,
        bundled=bundled,
        saved=saved,
    )


def record_from_info(info: ModelInfo) -> RunRecord | None:
    """The record of a stored model, or None for a broken one (it has no usable description)."""
    if not info.ok or info.meta is None:
        return None
    return record_from_meta(info.name, info.meta, path=info.path, bundled=info.bundled)


def records_from_infos(infos: Iterable[ModelInfo]) -> list[RunRecord]:
    return [record for info in infos if (record := record_from_info(info)) is not None]


def preset_of(config: dict[str, Any]) -> str | None:
    """The preset whose settings ``config`` has exactly (ignoring the seed), if any."""
    if not config:
        return None  # nothing recorded: claiming the defaults' preset would be a guess
    try:
        values = TrainConfig.from_dict(config).to_dict()
    except Exception:  # a config from another version: no preset claimed
        return None
    values.pop("seed", None)
    for name, preset in PRESETS.items():
        candidate = preset.to_dict()
        candidate.pop("seed", None)
        if candidate == values:
            return name
    return None


def differing_settings(records: Sequence[RunRecord]) -> list[str]:
    """The settings whose values are not the same in every record, in the config's order."""
    if len(records) < 2:
        return []
    keys: list[str] = []
    for record in records:
        keys += [key for key in record.config if key not in keys]
    return [
        key for key in keys if len({_comparable(record.config.get(key)) for record in records}) > 1
    ]


def setting_text(value: Any) -> str:
    """A setting as a table shows it: ``800-800`` for widths, ``0.001`` for numbers."""
    if isinstance(value, list | tuple):
        return "-".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "–" if value is None else str(value)


def _training_seconds(
    epochs: tuple[float, ...], last_epoch: float | None, seconds: float | None
) -> tuple[float, ...]:
    # meta.json keeps the run's total training time, not a clock per point: spread it evenly
    # over the epochs (each epoch of one run costs about the same), which the chart says.
    if not epochs or not seconds or not last_epoch:
        return ()
    return tuple(epoch / last_epoch * seconds for epoch in epochs)


def _comparable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _floats(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(float(v) for v in values if _number(v) is not None)
