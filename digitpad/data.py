"""MNIST: read it (Keras-style ``.npz`` or the original IDX files), verify it, split it.

The split is the tutorial's: the first 55,000 training images train, the last 5,000 validate,
and the 10,000 test images are kept for the end. Pixels become float32 in [0, 1], each image a
row of 784 values, which is what the MLP eats.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import DataError
from digitpad.paths import bundled_mnist_path

MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
KEYS = ("x_train", "y_train", "x_test", "y_test")
VALIDATION_SIZE = 5000
IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
CLASSES = 10
"""The ten digits, 0-9: one output of the network each."""

_IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
_IDX_UBYTE = 0x08


class Split:
    """Images as rows of 784 pixels and their labels (int64, 0-9).

    MNIST's pixels are kept as the file's uint8 (a quarter of float32's memory: the app holds
    the data set for its tabs, the training process for its runs); :attr:`x` gives them as the
    float32 in [0, 1] the model eats. A split made from float rows keeps and returns those.
    """

    __slots__ = ("_pixels", "y")

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self._pixels = x
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    @property
    def pixels(self) -> np.ndarray:
        """The rows as stored: uint8 0-255 for MNIST, or the float32 the split was made from."""
        return self._pixels

    @property
    def x(self) -> np.ndarray:
        """Float32 rows in [0, 1]. For uint8 storage each call makes a new array: keep it
        while it is needed rather than asking again, and use :meth:`rows` for a few."""
        return _as_float_rows(self._pixels)

    def rows(self, index: np.ndarray | slice | list[int]) -> np.ndarray:
        """Float32 rows of a selection, converting only those."""
        return _as_float_rows(self._pixels[index])

    def float_rows_into(self, out: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """:attr:`x` written into ``out`` (float32, (N, 784)) a chunk at a time: no whole-set
        temporary. The values are exactly :attr:`x`'s."""
        for start in range(0, len(self._pixels), chunk):
            stop = min(start + chunk, len(self._pixels))
            out[start:stop] = _as_float_rows(self._pixels[start:stop])
        return out

    @property
    def images(self) -> np.ndarray:
        """The float32 pixels as (N, 28, 28) (a view of :attr:`x`)."""
        return self.x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)

    def __repr__(self) -> str:
        return f"Split({len(self)} images, {self._pixels.dtype})"


@dataclass(frozen=True)
class Mnist:
    train: Split
    val: Split
    test: Split
    source: Path
    sha256: str

    def subset(self, train: int | None = None, val: int | None = None) -> Mnist:
        """The first ``train`` training and ``val`` validation images (for quick runs and tests)."""
        return Mnist(
            Split(self.train.pixels[:train], self.train.y[:train]),
            Split(self.val.pixels[:val], self.val.y[:val]),
            self.test,
            self.source,
            self.sha256,
        )


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the raw bytes of x_train, y_train, x_test, y_test, in that order."""
    digest = hashlib.sha256()
    for key in KEYS:
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of a Keras-style ``mnist.npz``."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{path}: not an MNIST .npz file (missing {', '.join(missing)})")
            arrays = {key: archive[key] for key in KEYS}
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(
            f"{path}: unreadable .npz file ({_reason(exc)}); is it truncated?"
        ) from None
    # np.load hands back raw bytes for a member that is not a .npy array.
    broken = [key for key, value in arrays.items() if not isinstance(value, np.ndarray)]
    if broken:
        raise DataError(f"{path}: {', '.join(broken)} is not a NumPy array")
    return arrays


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (raw or gzipped) of unsigned bytes, as an array of its declared shape."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: unreadable ({_reason(exc)}); is it truncated?") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE or not 1 <= raw[3] <= 3:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad header)")
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header_size + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(
            f"{path}: IDX size mismatch ({len(raw)} bytes, header says {expected}); truncated?"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def read_idx_dir(folder: Path) -> dict[str, np.ndarray]:
    """The four original MNIST IDX files found in ``folder`` (raw or ``.gz``)."""
    arrays = {}
    for key, names in _IDX_NAMES.items():
        candidates = [folder / f"{name}{ext}" for name in names for ext in ("", ".gz")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{folder}: no {names[0]}[.gz] file in this folder")
        arrays[key] = read_idx(found)
    return arrays


def _check_shapes(source: Path, arrays: dict[str, np.ndarray]) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(
                f"{source}: x_{part} must be uint8 of shape (N, 28, 28), not {x.dtype} {x.shape}"
            )
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(
                f"{source}: y_{part} must hold one label per image ({len(x)}), not {y.shape}"
            )
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{source}: y_{part} has labels outside 0-9")


def read_raw(path: Path | str | None = None, *, verify: bool = True) -> dict[str, np.ndarray]:
    """The four uint8 arrays from an ``.npz`` file or a folder of IDX files.

    With ``verify`` the content must be the standard MNIST (checked by :data:`MNIST_SHA256`).
    Raises :class:`DataError` naming the file and what is wrong.
    """
    return _read_checked(path, verify)[0]


def _read_checked(path: Path | str | None, verify: bool) -> tuple[dict[str, np.ndarray], str]:
    source = Path(path) if path is not None else bundled_mnist_path()
    if not source.exists():
        hint = " (the bundled copy: reinstall digitpad)" if path is None else ""
        raise DataError(f"{source}: MNIST data not found{hint}")
    arrays = read_idx_dir(source) if source.is_dir() else read_npz(source)
    arrays = {key: arrays[key].astype(np.uint8, copy=False) for key in KEYS}
    _check_shapes(source, arrays)
    actual = content_sha256(arrays)
    if verify and actual != MNIST_SHA256:
        raise DataError(
            f"{source}: content checksum {actual[:12]}… is not MNIST's "
            f"{MNIST_SHA256[:12]}…: the file is damaged or altered"
        )
    return arrays, actual


def split(
    arrays: dict[str, np.ndarray],
    source: Path,
    sha256: str,
    validation_size: int | None = None,
) -> Mnist:
    """The tutorial's split of raw uint8 arrays into train, validation and test (kept as uint8
    rows: :attr:`Split.x` gives the float32).

    The last ``validation_size`` training images validate: 5,000 for MNIST, a tenth for a
    small data set of the user's.
    """
    x_train, y_train = _uint8_rows(arrays["x_train"]), arrays["y_train"].astype(np.int64)
    if validation_size is None:
        few = len(y_train) < 2 * VALIDATION_SIZE
        validation_size = len(y_train) // 10 if few else VALIDATION_SIZE
    if not 0 <= validation_size < len(y_train):
        raise DataError(f"{source}: cannot keep {validation_size} of {len(y_train)} for validation")
    cut = len(y_train) - validation_size
    return Mnist(
        train=Split(x_train[:cut], y_train[:cut]),
        val=Split(x_train[cut:], y_train[cut:]),
        test=Split(_uint8_rows(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
        source=source,
        sha256=sha256,
    )


_cache: dict[tuple, Mnist] = {}
_cache_lock = threading.Lock()


def load_mnist(path: Path | str | None = None, *, verify: bool = True) -> Mnist:
    """MNIST split 55,000 / 5,000 / 10,000, from ``path`` or the bundled copy.

    The result is cached per file (path, size and modification time), since the GUI's tabs and
    repeated training runs all want the same arrays; treat them as read-only.
    """
    source = Path(path) if path is not None else bundled_mnist_path()
    try:
        stat = source.stat()
        key = (str(source.resolve()), stat.st_size, stat.st_mtime_ns, verify)
    except OSError:
        key = None
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        arrays, sha256 = _read_checked(source, verify)
        data = split(arrays, source, sha256)
        if key is not None:
            _cache[key] = data
        return data


def _uint8_rows(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), PIXELS)


def _as_float_rows(rows: np.ndarray) -> np.ndarray:
    """uint8 0-255 -> new float32 in [0, 1] (the same values as ever); float rows as they are."""
    if rows.dtype != np.uint8:
        return rows
    floats = rows.astype(np.float32)
    floats *= np.float32(1 / 255)
    return floats


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
