"""My drawings: the user's labelled drawings, kept on disk as a real image dataset.

The layout is the one ``keras.utils.image_dataset_from_directory`` reads: a folder per digit
(``0`` … ``9``), one image file per drawing. The app saves each drawing as the canvas rasterised
(an 8-bit grey PNG, not only its 28x28), so the folder can be backed up, inspected, or extended
with scanned images of any size and either polarity; everything goes through
``digitpad.preprocess.to_mnist`` when it is loaded.

Writes are atomic (a hidden temporary file renamed into place), and a damaged, blank or foreign
file is reported and skipped when the folder is read, never fatal.

Images are read and written with Pillow (which matplotlib already depends on), imported only
when a file is touched: ``digitpad.image_files`` reads through Qt, which the core must not load.

A drawing's *key* is its file name without the suffix; it survives a relabel (a move to another
digit's folder), and decides, through a hash, whether the drawing is held out for testing (see
:func:`is_held_out`), so that decision never changes as drawings are added or removed.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.data import CLASSES
from digitpad.errors import DigitpadError
from digitpad.paths import user_data_dir

DIGITS = tuple(str(d) for d in range(CLASSES))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""File types read as drawings (what Pillow reads and image_dataset_from_directory accepts,
plus TIFF for scans)."""

"""Larger images are refused before decoding, as digitpad.image_files does."""

DEFAULT_HOLDOUT = 0.2
"""Share of each digit's drawings held out: about every fifth."""

DRAWINGS_ENV = "DIGITPAD_DRAWINGS"


def drawings_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the user's drawings: ``override``, else ``$DIGITPAD_DRAWINGS``, else
    ``drawings`` in the user's data folder (nothing is created by this call)."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(DRAWINGS_ENV):
        return Path(os.environ[DRAWINGS_ENV]).expanduser()
    return user_data_dir() / "drawings"


@dataclass(frozen=True)
class Drawing:
    """One drawing on disk: its file and the digit its folder says it is."""

    path: Path
    label: int

    @property
    def key(self) -> str:
        """The stable identity of the drawing: its file name without the suffix."""
        return self.path.stem


@dataclass(frozen=True)
class Skipped:
    """A file or folder that is not a usable drawing, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Listing:
    """What a drawings folder holds: the drawings (by label, then key) and what was skipped."""

    drawings: tuple[Drawing, ...]
    skipped: tuple[Skipped, ...]

    def counts(self) -> list[int]:
        """Drawings per digit, 0 to 9."""
        return _counts(d.label for d in self.drawings)


@dataclass(frozen=True)
class DrawingSet:
    """Drawings read and converted: (N, 28, 28) float32 images made by ``to_mnist``, their
    (N,) int64 labels, the drawings they came from, and every file that could not be used."""

    images: np.ndarray
    labels: np.ndarray
    drawings: tuple[Drawing, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.drawings)

    def counts(self) -> list[int]:
        """Drawings per digit, 0 to 9."""
        return _counts(int(label) for label in self.labels)

    def subset(self, indices: np.ndarray | list[int]) -> DrawingSet:
        """The drawings at ``indices`` (same order), with no skipped files."""
        indices = np.asarray(indices, dtype=np.int64)
        return DrawingSet(
            self.images[indices], self.labels[indices], tuple(self.drawings[i] for i in indices)
        )


class DrawingFolder:
    """The drawings in one folder (default :func:`drawings_dir`), a subfolder per digit."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = drawings_dir(root)

    def __repr__(self) -> str:
        return f"DrawingFolder({str(self.root)!r})"

    def add(self, canvas: np.ndarray, label: int) -> Drawing:
        """Save ``canvas`` (a 2-D uint8, bool or [0, 1] float array: the drawing rasterised) as
        a new drawing of ``label``; atomic. Returns it. DigitpadError if it cannot be written."""
        digit = _checked_label(label)
        pixels = _as_uint8(canvas)
        folder = self.root / DIGITS[digit]
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_png_atomically(folder / name, pixels)
        except OSError as exc:
            raise DigitpadError(f"{folder}: cannot save the drawing ({_why(exc)})") from None
        return Drawing(folder / name, digit)

    def list(self) -> Listing:
        """The drawings, by digit then key, and the files and folders that are not drawings.

        Hidden files (a save in progress, the system's own) are ignored. A missing folder is an
        empty one.
        """
        drawings: list[Drawing] = []
        skipped: list[Skipped] = []
        if not self.root.exists():
            return Listing((), ())
        if not self.root.is_dir():
            raise DigitpadError(f"{self.root}: not a folder")
        try:
            entries = sorted(self.root.iterdir())
        except OSError as exc:
            raise DigitpadError(f"{self.root}: cannot be read ({_why(exc)})") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if not entry.is_dir():
                skipped.append(Skipped(entry, "not in a digit folder (0 … 9)"))
            elif entry.name not in DIGITS:
                skipped.append(Skipped(entry, "not a digit folder (expected 0 … 9)"))
            else:
                _list_digit(entry, int(entry.name), drawings, skipped)
        drawings.sort(key=lambda d: (d.label, d.key, d.path.name))
        return Listing(tuple(drawings), tuple(skipped))

    def load(self) -> DrawingSet:
        """Every drawing read and converted by ``to_mnist``; unreadable or blank files are
        skipped and listed in ``skipped``, never fatal."""
        listing = self.list()
        return load_drawings(listing.drawings, listing.skipped)

    def delete(self, drawing: Drawing) -> None:
        """Remove a drawing's file (DigitpadError if it cannot be removed)."""
        try:
            drawing.path.unlink()
        except FileNotFoundError:
            raise DigitpadError(f"{drawing.path}: no such drawing") from None
        except OSError as exc:
            raise DigitpadError(f"{drawing.path}: cannot delete ({_why(exc)})") from None

    def relabel(self, drawing: Drawing, label: int) -> Drawing:
        """Move a drawing to ``label``'s folder (an atomic rename; its key is kept, and with it
        whether it is held out). Returns the moved drawing."""
        digit = _checked_label(label)
        if digit == drawing.label:
            return drawing
        folder = self.root / DIGITS[digit]
        target = folder / drawing.path.name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise DigitpadError(f"{target}: a drawing of that name is already there")
            os.replace(drawing.path, target)
        except FileNotFoundError:
            raise DigitpadError(f"{drawing.path}: no such drawing") from None
        except OSError as exc:
            raise DigitpadError(f"{drawing.path}: cannot move ({_why(exc)})") from None
        return Drawing(target, digit)


def load_drawings(
    drawings: tuple[Drawing, ...] | list[Drawing], skipped: tuple[Skipped, ...] = ()
) -> DrawingSet:
    """Read and convert ``drawings``; the ones that fail join ``skipped`` with the reason."""
    from digitpad.image_files import read_grayscale
    from digitpad.preprocess import EmptyCanvasError, to_mnist

    images, kept, problems = [], [], list(skipped)
    for drawing in drawings:
        try:
            images.append(to_mnist(read_grayscale(drawing.path)))
        except EmptyCanvasError:
            problems.append(Skipped(drawing.path, "blank: no drawing on it"))
            continue
        except (DigitpadError, ValueError) as exc:
            problems.append(Skipped(drawing.path, str(exc)))
            continue
        kept.append(drawing)
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    labels = np.array([d.label for d in kept], dtype=np.int64)
    return DrawingSet(stacked, labels, tuple(kept), tuple(problems))


def held_out_score(key: str) -> float:
    """A drawing's fixed place in [0, 1), from its key alone."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(key: str, fraction: float) -> bool:
    """Whether the drawing with ``key`` belongs to the held-out share ``fraction``.

    It depends on the key only; :func:`holdout_split` then limits each digit's held-out drawings
    to its share, and never holds out one the model has learnt.
    """
    return held_out_score(key) < fraction


def holdout_split(
    labels: np.ndarray,
    keys: tuple[str, ...] | list[str],
    fraction: float = DEFAULT_HOLDOUT,
    trained: frozenset[str] | set[str] = frozenset(),
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the drawings to train on and of those held out, each sorted.

    A drawing is held out when :func:`is_held_out` says so, with two limits per digit: at most
    ``ceil(fraction × its drawings)`` of a digit are held out (those with the lowest scores), so
    that no digit trains on fewer than its share, whatever the hashes; and a digit with a
    single drawing is never held out, and one whose drawings would all be held out keeps the
    one with the highest score for training: a digit the user taught is always learnt.
    Drawings whose keys are in ``trained`` (the model to be taught has learnt them already) are
    never held out: they would not test it honestly.
    """
    if not 0.0 <= fraction < 1.0:
        raise DigitpadError(f"the held-out share must be in [0, 1), not {fraction}")
    labels = np.asarray(labels)
    if len(labels) != len(keys):
        raise ValueError("labels and keys differ in length")
    held = np.zeros(len(labels), dtype=bool)
    # A score of 1 is never under the fraction: a drawing already learnt stays in training.
    scores = np.array([1.0 if k in trained else held_out_score(k) for k in keys])
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        if len(members) < 2:
            continue
        chosen = scores[members] < fraction
        limit = math.ceil(fraction * len(members))
        if chosen.sum() > limit:
            # Ten drawings of a digit hold out two, not four of them by the luck of the hashes.
            chosen[np.argsort(scores[members])[limit:]] = False
        if chosen.all():
            chosen[np.argmax(scores[members])] = False
        held[members[chosen]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def _list_digit(folder: Path, digit: int, drawings: list[Drawing], skipped: list[Skipped]) -> None:
    try:
        files = sorted(folder.iterdir())
    except OSError as exc:
        skipped.append(Skipped(folder, f"cannot be read ({_why(exc)})"))
        return
    files = [path for path in files if not path.name.startswith(".")]
    if not files:
        skipped.append(Skipped(folder, "empty folder"))
    for path in files:
        if path.is_dir():
            skipped.append(Skipped(path, "a folder inside a digit folder"))
        elif path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(Skipped(path, f"not an image file ({path.suffix or 'no suffix'})"))
        else:
            drawings.append(Drawing(path, digit))


def _as_uint8(canvas: np.ndarray) -> np.ndarray:
    pixels = np.asarray(canvas)
    if pixels.ndim != 2 or pixels.size == 0:
        raise DigitpadError(f"a drawing must be a 2-D grey image, got shape {pixels.shape}")
    if pixels.dtype == np.bool_:
        return pixels.astype(np.uint8) * 255
    if np.issubdtype(pixels.dtype, np.floating):
        if not np.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 1:
            raise DigitpadError("a float drawing must hold values in [0, 1]")
        return np.round(pixels * 255).astype(np.uint8)
    if np.issubdtype(pixels.dtype, np.integer):
        if pixels.min() < 0 or pixels.max() > 255:
            raise DigitpadError("an integer drawing must hold values 0-255")
        return pixels.astype(np.uint8)
    raise DigitpadError(f"unsupported drawing dtype {pixels.dtype}")


def _write_png_atomically(path: Path, pixels: np.ndarray) -> None:
    from PIL import Image

    temporary = path.with_name(f".{path.stem}.saving-{os.getpid()}.png")
    try:
        with temporary.open("wb") as handle:
            Image.fromarray(pixels).save(handle, format="PNG")  # 2-D uint8: grey, mode "L"
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _checked_label(label: int) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label <= 9:
        raise DigitpadError(f"a drawing's label must be a digit 0-9, not {label!r}")
    return int(label)


def _counts(labels) -> list[int]:
    counts = [0] * 10
    for label in labels:
        counts[label] += 1
    return counts


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
