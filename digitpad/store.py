"""The model store: named models on disk, saved atomically.

A model is a folder ``NAME/`` holding ``model.keras`` (opens with plain
``keras.models.load_model``), ``weights.npz`` (the Dense layers' kernels and biases, for the
NumPy predictor that needs no TensorFlow) and ``meta.json`` (config, metrics, curves, data
checksum, date, versions). A save writes everything into a hidden temporary folder and renames
it into place, so a crash mid-save never leaves a half-written model that looks valid.

The names of the bundled models (``default``) are reserved: a user's store cannot save a model
under them, and looking a model up by such a name always finds the bundled one. A user model
of that name made by an older digitpad is still listed, as the user's, and opens by its path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitpad.errors import StoreError
from digitpad.paths import bundled_store_dir, user_store_dir

if TYPE_CHECKING:
    from digitpad.training.events import Finished

FORMAT = "digitpad-model"
FORMAT_VERSION = 1
KERAS_FILE = "model.keras"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
DEFAULT_MODEL = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelInfo:
    """One entry of a store listing; ``problem`` says why a model cannot be used, if it can't."""

    name: str
    path: Path
    meta: dict[str, Any] | None
    problem: str | None = None
    bundled: bool = False
    shadowed: bool = False
    """A user model whose name is a bundled model's: that name means the bundled one."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def test_accuracy(self) -> float | None:
        return (self.meta or {}).get("metrics", {}).get("test_accuracy")

    @property
    def created(self) -> str | None:
        return (self.meta or {}).get("created")


def check_name(name: str) -> str:
    """``name`` if it is a valid model name, else :class:`StoreError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise StoreError(
            f"{name!r} is not a valid model name: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def bundled_names() -> set[str]:
    """The names of the models that come with digitpad (reserved in the user's store)."""
    return set(ModelStore(bundled_store_dir(), writable=False).names())


def check_save_name(name: str) -> str:
    """``name`` if a user model may be saved under it, else :class:`StoreError` saying why."""
    check_name(name)
    taken = {bundled.casefold(): bundled for bundled in bundled_names()}
    if name.casefold() in taken:
        raise StoreError(
            f"{name!r} is the name of the model that comes with digitpad "
            f"({taken[name.casefold()]!r}); choose another name"
        )
    return name


def check_store_root(root: Path | str) -> Path:
    """``root`` as a Path if it can be a model store (a folder, or nothing yet), else
    :class:`StoreError`."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root} is not a model store (it is a file, not a folder)")
    return root


def read_meta(folder: Path) -> dict[str, Any]:
    """The validated ``meta.json`` of a model folder; :class:`StoreError` says what is wrong."""
    path = folder / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{folder}: no {META_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(f"{path}: not a digitpad model description")
    version = meta.get("version")
    if version != FORMAT_VERSION:
        raise StoreError(
            f"{path}: format version {version!r} is not supported (this digitpad reads "
            f"version {FORMAT_VERSION})"
        )
    return meta


def check_model_folder(folder: Path) -> dict[str, Any]:
    """The meta of a complete model folder, or :class:`StoreError` naming what is missing."""
    meta = read_meta(folder)
    for name in (KERAS_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise StoreError(f"{folder}: {name} is missing")
    return meta


def run_meta(finished: Finished, data_sha256: str) -> dict[str, Any]:
    """What ``meta.json`` says of a finished run: config, metrics, curves, checksum, versions.

    Imports TensorFlow (for its version): call it where training ran, not on the GUI thread.
    """
    from datetime import UTC, datetime

    metrics = finished.evaluation.metrics() if finished.evaluation else {}
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": str(finished.status),
        "config": finished.config.to_dict(),
        "metrics": metrics,
        "history": finished.history.to_dict(),
        "train_seconds": round(finished.seconds, 3),
        "steps": finished.steps,
        "data_sha256": data_sha256,
        "output": "logits",
        "versions": software_versions(),
    }


def software_versions() -> dict[str, str]:
    """The versions ``meta.json`` records (imports TensorFlow: call it where training ran)."""
    import platform

    import keras
    import tensorflow as tf

    from digitpad import __version__

    return {
        "digitpad": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


class ModelStore:
    """Models in one folder. ``writable=False`` for the bundled store."""

    def __init__(self, root: Path | str, *, writable: bool = True) -> None:
        self.root = Path(root)
        self.writable = writable

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    def folder(self, name: str) -> Path:
        return self.root / check_name(name)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        if self.writable:
            _recover_interrupted_overwrites(self.root)
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def list(self) -> list[ModelInfo]:
        """Every model folder, broken ones included (with ``problem`` set), by name."""
        infos = []
        for name in self.names():
            folder = self.root / name
            try:
                infos.append(
                    ModelInfo(name, folder, check_model_folder(folder), bundled=not self.writable)
                )
            except StoreError as exc:
                infos.append(ModelInfo(name, folder, None, str(exc), bundled=not self.writable))
        # A folder copied in by hand under a name the store cannot use ("my model") is shown,
        # not silently left out, so the user learns why it is not offered.
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                if (
                    folder.is_dir()
                    and not folder.name.startswith(".")
                    and not _NAME.match(folder.name)
                ):
                    problem = (
                        f"{folder.name!r} is not a valid model name: rename the folder "
                        "(1-64 letters, digits, '.', '_' or '-')"
                    )
                    infos.append(
                        ModelInfo(folder.name, folder, None, problem, bundled=not self.writable)
                    )
        return infos

    def __contains__(self, name: str) -> bool:
        return name in self.names()

    def check_writable(self) -> None:
        """Raise :class:`StoreError` unless a model could be saved here now.

        Creates the store's folder if need be and writes and removes a probe file, so that a
        long training run does not find out only at its end that it cannot be kept.
        """
        if not self.writable:
            raise StoreError(f"{self.root}: this store is read-only")
        check_store_root(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=".probe-", dir=self.root)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise StoreError(
                f"{self.root}: cannot save models here ({exc.strerror or exc})"
            ) from None

    def _is_bundled_root(self) -> bool:
        try:
            return self.root.resolve() == bundled_store_dir().resolve()
        except OSError:
            return False

    def save(self, name: str, model: Any, meta: dict[str, Any], *, overwrite: bool = False) -> Path:
        """Write ``model`` (a Keras model) under ``name``, atomically; returns its folder."""
        from digitpad.model import dense_weights

        folder = self.folder(name)
        if not self.writable:
            raise StoreError(f"{self.root}: this store is read-only")
        if not self._is_bundled_root():
            check_save_name(name)  # a user model must never hide a bundled one
        check_store_root(self.root)
        if folder.exists() and not overwrite:
            raise StoreError(f"a model named {name!r} already exists in {self.root}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.saving-", dir=self.root))
            staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a model is not
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write here ({exc.strerror or exc})") from None
        try:
            model.save(staging / KERAS_FILE)
            _write_weights(staging / WEIGHTS_FILE, dense_weights(model))
            full_meta = {"format": FORMAT, "version": FORMAT_VERSION, "name": name, **meta}
            (staging / META_FILE).write_text(json.dumps(full_meta, indent=1), encoding="utf-8")
            _fsync_tree(staging)
            _swap_into_place(staging, folder)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise StoreError(f"{folder}: could not save ({exc.strerror or exc})") from None
            raise
        return folder

    def delete(self, name: str) -> None:
        folder = self.folder(name)
        if not self.writable:
            raise StoreError(f"{self.root}: this store is read-only")
        if not folder.is_dir():
            raise StoreError(f"no model named {name!r} in {self.root}")
        trash = self.root / f".{name}.deleting-{os.getpid()}"
        os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def rename(self, name: str, new_name: str) -> Path:
        """Give model ``name`` the name ``new_name`` (never over another model); its new folder.

        The folder is renamed in one step, so the model is always whole under one of its two
        names; ``meta.json``'s own ``name`` then follows, atomically.
        """
        folder, target = self.folder(name), self.folder(new_name)
        if not self.writable:
            raise StoreError(f"{self.root}: this store is read-only")
        if not folder.is_dir():
            raise StoreError(f"no model named {name!r} in {self.root}")
        if target.exists():
            raise StoreError(f"a model named {new_name!r} already exists in {self.root}")
        try:
            os.rename(folder, target)
        except OSError as exc:
            raise StoreError(f"{folder}: could not rename ({exc.strerror or exc})") from None
        with contextlib.suppress(OSError, StoreError):
            meta = read_meta(target)
            meta["name"] = new_name
            temporary = target / f".{META_FILE}.{os.getpid()}.tmp"
            temporary.write_text(json.dumps(meta, indent=1), encoding="utf-8")
            os.replace(temporary, target / META_FILE)
        return target


def stores(user_store: str | os.PathLike[str] | None = None) -> list[ModelStore]:
    """The user's store, then the bundled one: a name is looked up in that order."""
    return [
        ModelStore(user_store_dir(user_store)),
        ModelStore(bundled_store_dir(), writable=False),
    ]


def list_models(user_store: Path | str | None = None) -> list[ModelInfo]:
    """The user's models, then the bundled ones; nothing is left out.

    A user model named like a bundled one (saved by an older digitpad) is listed with
    ``shadowed`` set: its name means the bundled model, its path still opens it. Raises
    :class:`StoreError` if the user store is a file.
    """
    user, bundled = stores(user_store)
    check_store_root(user.root)
    reserved = set(bundled.names())
    infos = [replace(info, shadowed=info.name in reserved) for info in user.list()]
    return infos + bundled.list()


def find_model(
    name_or_path: str | os.PathLike[str] | None = None,
    user_store: str | os.PathLike[str] | None = None,
) -> Path:
    """The folder of a model given by name (user store, then bundled) or by path.

    ``None`` means the bundled default model; so does its name, even if an older digitpad
    saved a user model under it (that one opens by its path). Raises :class:`StoreError` if
    there is none.
    """
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    text = os.fspath(name_or_path)
    candidate = Path(text).expanduser()
    if os.sep in text or (os.altsep and os.altsep in text) or candidate.is_dir():
        if candidate.is_file() and candidate.name in (KERAS_FILE, META_FILE, WEIGHTS_FILE):
            candidate = candidate.parent
        if not candidate.is_dir():
            raise StoreError(f"{candidate}: no such model folder")
        return candidate
    check_name(text)
    # The bundled store first: its names are reserved, so they always mean the bundled model.
    for store in reversed(stores(user_store)):
        if text in store:
            return store.root / text
    names = {name for store in stores(user_store) for name in store.names()}
    known = ", ".join(sorted(names)) or "none"
    raise StoreError(f"no model named {text!r} (models: {known})")


def load_keras_model(folder: Path) -> Any:
    """The Keras model saved in ``folder``; :class:`StoreError` if it cannot be read."""
    import keras

    check_model_folder(folder)
    try:
        return keras.models.load_model(folder / KERAS_FILE, compile=False)
    except Exception as exc:  # Keras raises many types for a damaged zip or config.
        raise StoreError(f"{folder / KERAS_FILE}: cannot be loaded ({exc})") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_weights(path: Path, pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
    arrays = {}
    for i, (kernel, bias) in enumerate(pairs):
        arrays[f"kernel{i}"] = kernel.astype(np.float32)
        arrays[f"bias{i}"] = bias.astype(np.float32)
    with path.open("wb") as handle:
        # NumPy's stub types **kwds as if a name could be allow_pickle (a bool).
        np.savez(handle, **arrays)  # type: ignore[arg-type]


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def _recover_interrupted_overwrites(root: Path) -> None:
    """Put back a model whose overwrite died between moving it aside and renaming the new one in.

    That is the one moment of a save when ``NAME/`` does not exist; the old model is then whole
    in ``.NAME.old-PID``, and the store shows it again as if the save had never started.
    """
    for aside in root.glob(".*.old-*"):
        name = aside.name[1:].rsplit(".old-", 1)[0]
        target = root / name
        if _NAME.match(name) and not target.exists() and aside.is_dir():
            # Another process may get there first, or the folder is read-only: list it as is.
            with contextlib.suppress(OSError):
                os.replace(aside, target)


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Rename ``staging`` to ``folder``; an old ``folder`` is moved aside first, then removed."""
    if not folder.exists():
        os.replace(staging, folder)
        return
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    os.replace(folder, old)
    try:
        os.replace(staging, folder)
    except OSError:
        os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
