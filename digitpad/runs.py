"""Training runs: what one is worth keeping, what it is called, and how runs compare.

A run is described by what survives it whatever ran it (this process or the training
process): its status (``completed``, ``cancelled``, ``diverged``), its test accuracy, its step
counts, and its ``meta.json`` (settings, curves, time). No Keras objects and no Qt here, so the
window and the command line judge runs the same way.

- :func:`untrained_reason` and :class:`RunLabel`: whether a run's weights are worth saving, and
  the name an unsaved run is shown under (``unsaved run 02:48 · 97.93%``).
- :class:`RunRecord` and :func:`differing_settings`: runs side by side, built from
  ``meta.json``, and the settings that are not the same in every run, so that a table can
  highlight what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitpad.config import PRESETS, TrainConfig
from digitpad.store import ModelInfo

UNTRAINED_ACCURACY = 0.2
"""Ten digits: guessing scores 10%. A diverged run no better than twice that never learned."""


def untrained_reason(status: str, test_accuracy: float | None) -> str | None:
    """Why a run's weights are not a model worth saving, or None if they are.

    A run that diverged keeps its last finite weights; when those read digits no better than
    guessing, saving them would only put a useless model among the good ones.
    """
    if test_accuracy is None:
        return "the run stopped before its first step: there are no weights"
    if status == "diverged" and test_accuracy <= UNTRAINED_ACCURACY:
        return (
            f"the run diverged before it learned anything (test accuracy {test_accuracy:.2%}); "
            "lower the learning rate and train again"
        )
    return None


@dataclass(frozen=True)
class RunLabel:
    """How an unsaved run is called in the window: ``unsaved run 02:48 · 97.93%``."""

    started: str
    """The wall-clock time the run started, ``HH:MM`` (``HH:MM:SS`` when minutes collide)."""
    status: str
    test_accuracy: float | None
    steps: int = 0
    total_steps: int = 0

    @property
    def partial(self) -> bool:
        return self.status != "completed"

    @property
    def name(self) -> str:
        return f"unsaved run {self.started}"

    def text(self) -> str:
        """The name, accuracy and, for a run that did not complete, what it is."""
        parts = [self.name]
        if self.test_accuracy is not None:
            parts.append(f"{self.test_accuracy:.2%}")
        if self.status == "cancelled":
            where = f" at step {self.steps:,} of {self.total_steps:,}" if self.total_steps else ""
            parts.append(f"partial: stopped{where}")
        elif self.status == "diverged":
            parts.append("partial: diverged (last good weights)")
        return " · ".join(parts)


def plural(count: int, word: str) -> str:
    """``1 step``, ``2 steps``, ``1,000 steps``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


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
    config = _dict(meta.get("config"))
    history = _dict(meta.get("history"))
    metrics = _dict(meta.get("metrics"))
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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _floats(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(float(v) for v in values if _number(v) is not None)
