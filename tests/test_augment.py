"""Tests for digitpad.augment: random distortions of MNIST training images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitpad import augment
from digitpad.augment import augment_batch

MNIST_PATH = Path(__file__).resolve().parents[1] / "assets" / "mnist.npz"


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """500 MNIST training images as float32 (500, 28, 28) in [0, 1]."""
    if not MNIST_PATH.exists():
        pytest.skip(f"{MNIST_PATH} not available")
    with np.load(MNIST_PATH) as data:
        return data["x_train"][:500].astype(np.float32) / 255


def centres_of_mass(images: np.ndarray) -> np.ndarray:
    """(N, 2) row/col centres of mass of (N, 28, 28) images."""
    rows, cols = np.indices((28, 28))
    mass = images.sum(axis=(1, 2))
    row = (images * rows).sum(axis=(1, 2)) / mass
    col = (images * cols).sum(axis=(1, 2)) / mass
    return np.stack([row, col], axis=1)


@pytest.mark.parametrize("shape", [(500, 28, 28), (500, 784)])
def test_shape_dtype_and_range_are_preserved(digits, shape):
    images = digits.reshape(shape)
    out = augment_batch(images, np.random.default_rng(0))
    assert out.shape == shape
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_float64_input_stays_float64(digits):
    out = augment_batch(digits[:10].astype(np.float64), np.random.default_rng(0))
    assert out.dtype == np.float64 and out.shape == (10, 28, 28)


def test_both_layouts_give_the_same_images(digits):
    square = augment_batch(digits, np.random.default_rng(3))
    flat = augment_batch(digits.reshape(-1, 784), np.random.default_rng(3))
    np.testing.assert_array_equal(square.reshape(-1, 784), flat)


def test_same_seed_same_output_different_seed_different_output(digits):
    first = augment_batch(digits, np.random.default_rng(42))
    again = augment_batch(digits, np.random.default_rng(42))
    other = augment_batch(digits, np.random.default_rng(43))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_input_is_not_modified(digits):
    before = digits.copy()
    augment_batch(digits, np.random.default_rng(0))
    np.testing.assert_array_equal(digits, before)


def test_strength_zero_is_identity(digits):
    out = augment_batch(digits, np.random.default_rng(0), strength=0.0)
    np.testing.assert_allclose(out, digits, atol=1e-6)


def test_images_change_but_keep_their_mass(digits):
    out = augment_batch(digits, np.random.default_rng(1))
    changed = np.abs(out - digits).mean(axis=(1, 2))
    assert np.mean(changed > 0.01) > 0.95
    ratio = out.sum(axis=(1, 2)) / digits.sum(axis=(1, 2))
    assert 0.85 < np.median(ratio) < 1.2
    assert ratio.min() > 0.25 and ratio.max() < 4.0


def test_centre_of_mass_stays_near(digits):
    out = augment_batch(digits, np.random.default_rng(2))
    moved = np.linalg.norm(centres_of_mass(out) - centres_of_mass(digits), axis=1)
    assert moved.mean() < 3.0
    assert np.percentile(moved, 99) < 5.0


def test_lower_strength_changes_less(digits):
    rng_seed = 5
    mild = augment_batch(digits, np.random.default_rng(rng_seed), strength=0.25)
    full = augment_batch(digits, np.random.default_rng(rng_seed), strength=1.0)
    assert np.abs(mild - digits).mean() < np.abs(full - digits).mean()


def test_pure_shift_moves_the_digit_by_at_most_max_shift(digits, monkeypatch):
    for name in ("MAX_ROTATION_DEG", "MAX_SCALE_CHANGE", "MAX_SHEAR", "ELASTIC_STD_PX"):
        monkeypatch.setattr(augment, name, 0.0)
    monkeypatch.setattr(augment, "THICKEN_FRACTION", 0.0)
    monkeypatch.setattr(augment, "THIN_FRACTION", 0.0)
    out = augment_batch(digits, np.random.default_rng(6))
    moved = np.abs(centres_of_mass(out) - centres_of_mass(digits))
    # Ink pushed past the edge is lost, which can only pull the centre back.
    assert moved.max() <= augment.MAX_SHIFT_PX + 1e-3
    assert moved.mean() > augment.MAX_SHIFT_PX / 4  # uniform shifts average half the maximum


@pytest.mark.parametrize("fraction, bolder", [("THICKEN_FRACTION", True), ("THIN_FRACTION", False)])
def test_stroke_thickness_variation(digits, monkeypatch, fraction, bolder):
    for name in ("MAX_SHIFT_PX", "MAX_ROTATION_DEG", "MAX_SCALE_CHANGE", "MAX_SHEAR"):
        monkeypatch.setattr(augment, name, 0.0)
    monkeypatch.setattr(augment, "ELASTIC_STD_PX", 0.0)
    monkeypatch.setattr(augment, "THICKEN_FRACTION", 0.0)
    monkeypatch.setattr(augment, "THIN_FRACTION", 0.0)
    monkeypatch.setattr(augment, fraction, 1.0)
    out = augment_batch(digits, np.random.default_rng(7))
    ratio = out.sum(axis=(1, 2)) / digits.sum(axis=(1, 2))
    if bolder:
        assert np.all(ratio >= 1.0) and np.median(ratio) > 1.2
    else:
        assert np.all(ratio <= 1.0) and np.median(ratio) < 0.9


def test_ink_never_comes_from_outside_the_frame(monkeypatch):
    """Samples that land outside the image read zeros, even after strokes were thickened."""
    for name in ("MAX_ROTATION_DEG", "MAX_SCALE_CHANGE", "MAX_SHEAR", "ELASTIC_STD_PX"):
        monkeypatch.setattr(augment, name, 0.0)
    monkeypatch.setattr(augment, "MAX_SHIFT_PX", 5.0)
    monkeypatch.setattr(augment, "THICKEN_FRACTION", 1.0)
    full = np.ones((200, 28, 28), np.float32)
    out = augment_batch(full, np.random.default_rng(9), strength=2.0)
    # A shift of over 1 px along either axis leaves at least one whole row or column empty.
    empty_edge = [
        min(image[0].max(), image[-1].max(), image[:, 0].max(), image[:, -1].max()) == 0.0
        for image in out
    ]
    assert np.mean(empty_edge) > 0.9


def test_empty_batch():
    out = augment_batch(np.zeros((0, 784), np.float32), np.random.default_rng(0))
    assert out.shape == (0, 784) and out.dtype == np.float32


def test_batch_larger_than_one_chunk_is_processed_throughout(digits):
    images = np.concatenate([digits] * 3)  # 1500 images: several chunks plus a partial one
    out = augment_batch(images, np.random.default_rng(8))
    changed = np.abs(out - images).mean(axis=(1, 2))
    assert np.all(changed > 0.0)


@pytest.mark.parametrize("shape", [(28, 28), (10, 27, 28), (10, 783), (10, 28, 28, 1)])
def test_bad_shapes_raise(shape):
    with pytest.raises(ValueError, match="shape"):
        augment_batch(np.zeros(shape, np.float32), np.random.default_rng(0))


def test_integer_images_raise():
    with pytest.raises(ValueError, match="float"):
        augment_batch(np.zeros((3, 28, 28), np.uint8), np.random.default_rng(0))


@pytest.mark.parametrize("strength", [-0.5, float("nan"), 2.5])
def test_bad_strength_raises(strength):
    with pytest.raises(ValueError, match="strength"):
        augment_batch(np.zeros((3, 784), np.float32), np.random.default_rng(0), strength=strength)


def box_side(images: np.ndarray, level: float = 0.3) -> np.ndarray:
    """(N,) longer side of the box of pixels above `level`."""
    rows = (images > level).any(axis=2)
    cols = (images > level).any(axis=1)

    def extent(mask: np.ndarray) -> np.ndarray:
        first = mask.argmax(axis=1)
        last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
        return last - first + 1

    return np.maximum(extent(rows), extent(cols))


def test_bold_digits_keep_their_size(digits, monkeypatch):
    """Thickened strokes widen the box; the digit shrinks so that the box stays about 20 px."""
    for name in ("MAX_SHIFT_PX", "MAX_ROTATION_DEG", "MAX_SCALE_CHANGE", "MAX_SHEAR"):
        monkeypatch.setattr(augment, name, 0.0)
    monkeypatch.setattr(augment, "ELASTIC_STD_PX", 0.0)
    monkeypatch.setattr(augment, "THIN_FRACTION", 0.0)
    monkeypatch.setattr(augment, "THICKEN_FRACTION", 1.0)
    out = augment_batch(digits, np.random.default_rng(10))
    ratio = out.sum(axis=(1, 2)) / digits.sum(axis=(1, 2))
    assert np.median(ratio) > 1.3  # clearly bolder
    growth = box_side(out) - box_side(digits)
    assert np.abs(np.median(growth)) <= 1 and np.percentile(np.abs(growth), 90) <= 2


def test_augmented_digits_keep_their_labels(digits):
    """The bundled model, which never saw these exact distortions, still reads the digits."""
    from digitpad.inference import load_predictor

    with np.load(MNIST_PATH) as data:
        labels = data["y_train"][: len(digits)]
    out = augment_batch(digits, np.random.default_rng(11))
    predicted = load_predictor().predict_proba(out).argmax(axis=1)
    assert np.mean(predicted == labels) > 0.95


_DIGEST_SCRIPT = """
import hashlib, sys
import numpy as np
from digitpad.augment import augment_batch
with np.load(sys.argv[1]) as data:
    images = data["x_train"][:2000].astype(np.float32) / 255
out = augment_batch(images, np.random.default_rng(7))
print(hashlib.sha256(out.tobytes()).hexdigest())
"""


def test_output_does_not_depend_on_the_blas_thread_count():
    """The app runs NumPy with one OpenBLAS thread, the command line with all cores: the same
    seed must give the same images in both (a matrix product's rounding would not)."""
    import subprocess
    import sys

    if not MNIST_PATH.exists():
        pytest.skip(f"{MNIST_PATH} not available")
    digests = set()
    for threads in ("1", "2", "3"):
        env = {**__import__("os").environ, "OPENBLAS_NUM_THREADS": threads}
        env["OMP_NUM_THREADS"] = threads
        command = [sys.executable, "-c", _DIGEST_SCRIPT, str(MNIST_PATH)]
        digests.add(subprocess.run(command, env=env, capture_output=True, text=True).stdout)
    assert len(digests) == 1 and "" not in digests, digests
