import gzip
import shutil
import struct

import numpy as np
import pytest

from digitpad.data import (
    MNIST_SHA256,
    content_sha256,
    load_mnist,
    read_idx,
    read_idx_dir,
    read_raw,
)
from digitpad.errors import DataError
from digitpad.paths import bundled_mnist_path


def test_bundled_copy_is_mnist_split_like_the_tutorial():
    data = load_mnist()
    assert data.sha256 == MNIST_SHA256
    assert (len(data.train), len(data.val), len(data.test)) == (55_000, 5_000, 10_000)
    assert data.train.x.shape == (55_000, 784) and data.train.x.dtype == np.float32
    assert data.train.x.min() == 0.0 and data.train.x.max() == 1.0
    assert data.train.y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test.y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The validation set is the last 5,000 training images, as in the tutorial.
    raw = read_raw()
    np.testing.assert_array_equal(np.round(data.val.images[-1] * 255), raw["x_train"][-1])
    assert np.bincount(raw["y_test"]).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        load_mnist(tmp_path / "nope.npz")
    assert "nope.npz" in str(info.value)


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.npz"):
        load_mnist(empty)


def test_truncated_file(tmp_path):
    cut = tmp_path / "cut.npz"
    cut.write_bytes(bundled_mnist_path().read_bytes()[:3_000_000])
    with pytest.raises(DataError, match="cut.npz"):
        load_mnist(cut)


def test_wrong_format(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("this is not MNIST")
    with pytest.raises(DataError, match="notes.npz"):
        load_mnist(text)


def test_missing_key(tmp_path):
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DataError, match="missing y_train"):
        load_mnist(partial)


def test_altered_pixel_fails_the_checksum(tmp_path):
    arrays = read_raw()
    arrays["x_test"] = arrays["x_test"].copy()
    arrays["x_test"][123, 14, 14] ^= 1
    altered = tmp_path / "altered.npz"
    np.savez_compressed(altered, **arrays)
    with pytest.raises(DataError, match="checksum.*altered"):
        load_mnist(altered)
    # The same file loads when the user says it is not meant to be the standard MNIST.
    assert load_mnist(altered, verify=False).sha256 != MNIST_SHA256


def _write_idx(path, array, compress=False):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(
        struct.pack(">I", n) for n in array.shape
    )
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_files_raw_and_gz(tmp_path, compress):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 30, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 7, dtype=np.uint8),
    }
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    suffix = ".gz" if compress else ""
    for key, name in names.items():
        _write_idx(tmp_path / (name + suffix), arrays[key], compress)
    loaded = read_idx_dir(tmp_path)
    for key in arrays:
        np.testing.assert_array_equal(loaded[key], arrays[key])
    with pytest.raises(DataError, match="checksum"):
        load_mnist(tmp_path)
    data = load_mnist(tmp_path, verify=False)
    assert data.sha256 == content_sha256(arrays)


def test_idx_folder_with_a_missing_file(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_real_mnist_as_idx_verifies(tmp_path):
    arrays = read_raw()
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    for key, name in names.items():
        _write_idx(tmp_path / name, arrays[key])
    assert load_mnist(tmp_path).sha256 == MNIST_SHA256


def test_truncated_and_bad_idx(tmp_path):
    good = tmp_path / "labels"
    _write_idx(good, np.arange(10, dtype=np.uint8))
    cut = tmp_path / "cut"
    cut.write_bytes(good.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(cut)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x56\x78" + bytes(20))
    with pytest.raises(DataError, match="bad header"):
        read_idx(bad)
    broken_gz = tmp_path / "broken.gz"
    shutil.copy(good, broken_gz)
    broken_gz.write_bytes(gzip.compress(good.read_bytes())[:-8])
    with pytest.raises(DataError, match="broken.gz"):
        read_idx(broken_gz)


def test_wrong_shapes_are_rejected(tmp_path):
    weird = tmp_path / "weird.npz"
    np.savez(
        weird,
        x_train=np.zeros((2, 32, 32), np.uint8),
        y_train=np.zeros(2, np.uint8),
        x_test=np.zeros((1, 28, 28), np.uint8),
        y_test=np.zeros(1, np.uint8),
    )
    with pytest.raises(DataError, match=r"x_train must be uint8 of shape \(N, 28, 28\)"):
        load_mnist(weird, verify=False)
    labels = tmp_path / "labels.npz"
    np.savez(
        labels,
        x_train=np.zeros((2, 28, 28), np.uint8),
        y_train=np.array([0, 12], np.uint8),
        x_test=np.zeros((1, 28, 28), np.uint8),
        y_test=np.zeros(1, np.uint8),
    )
    with pytest.raises(DataError, match="outside 0-9"):
        load_mnist(labels, verify=False)
