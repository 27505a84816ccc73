"""Tests for digitpad.preprocess: canvas -> MNIST-style 28x28 image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from digitpad.preprocess import (
    STROKE_RANGE,
    EmptyCanvasError,
    _stroke_width,
    naive_resize,
    to_mnist,
    to_mnist_batch,
)

MNIST_PATH = Path(__file__).resolve().parents[1] / "assets" / "mnist.npz"


@pytest.fixture(scope="module")
def mnist_test() -> np.ndarray:
    """The first 1000 MNIST test images, uint8 (1000, 28, 28)."""
    if not MNIST_PATH.exists():
        pytest.skip(f"{MNIST_PATH} not available")
    with np.load(MNIST_PATH) as data:
        return data["x_test"][:1000]


def draw(shape: tuple[int, int], segments, width: float, *, dark_on_light: bool = False):
    """A uint8 canvas with thick anti-aliased line segments ((y0, x0), (y1, x1)) drawn on it."""
    rows, cols = np.mgrid[: shape[0], : shape[1]] + 0.5
    coverage = np.zeros(shape)
    for (y0, x0), (y1, x1) in segments:
        dy, dx = y1 - y0, x1 - x0
        along = ((rows - y0) * dy + (cols - x0) * dx) / max(dy * dy + dx * dx, 1e-9)
        t = np.clip(along, 0.0, 1.0)
        distance = np.hypot(rows - (y0 + t * dy), cols - (x0 + t * dx))
        coverage = np.maximum(coverage, np.clip(width / 2 + 0.5 - distance, 0.0, 1.0))
    canvas = np.round(coverage * 255).astype(np.uint8)
    return 255 - canvas if dark_on_light else canvas


def seven(shape=(280, 280), top=40, left=60, size=200, width=18.0, **kwargs):
    """A '7' drawn inside the square [top, top + size) x [left, left + size)."""
    segments = [
        ((top, left), (top, left + 0.7 * size)),
        ((top, left + 0.7 * size), (top + size, left + 0.25 * size)),
    ]
    return draw(shape, segments, width, **kwargs)


def ink_box(image: np.ndarray, level: float = 0.05) -> tuple[int, int]:
    """(height, width) of the bounding box of pixels above `level`."""
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    """(row, col) centre of mass in pixel-index coordinates."""
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


def assert_mnist_like(image: np.ndarray) -> None:
    assert image.shape == (28, 28)
    assert image.dtype == np.float32
    assert np.isfinite(image).all()
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image.max() > 0.0


def assert_centred(image: np.ndarray) -> None:
    assert np.all(np.abs(centre_of_mass(image) - 14.0) <= 0.5 + 1e-3)


# --- contract -------------------------------------------------------------------------------


def test_output_is_28x28_float32_in_unit_range_and_centred():
    image = to_mnist(seven())
    assert_mnist_like(image)
    assert_centred(image)
    assert max(ink_box(image)) == 20


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280), 255, np.uint8),
        np.full((100, 50), 128, np.uint8),
        np.full((10, 10), 0.3),
        np.zeros((5, 5), bool),
        np.zeros((1, 1), np.float32),
    ],
    ids=["zeros", "all-255", "uniform-grey", "uniform-float", "bool-false", "single-pixel"],
)
def test_blank_canvas_raises_empty_canvas_error(canvas):
    with pytest.raises(EmptyCanvasError, match="blank"):
        to_mnist(canvas)
    with pytest.raises(EmptyCanvasError):
        naive_resize(canvas)


def test_empty_canvas_error_is_a_value_error():
    assert issubclass(EmptyCanvasError, ValueError)


def test_zero_sized_canvas_raises():
    with pytest.raises(EmptyCanvasError):
        to_mnist(np.zeros((0, 10), np.uint8))


def test_nan_raises_value_error():
    canvas = seven().astype(np.float32) / 255
    canvas[5, 5] = np.nan
    with pytest.raises(ValueError, match="NaN") as caught:
        to_mnist(canvas)
    assert not isinstance(caught.value, EmptyCanvasError)


def test_infinity_raises_value_error():
    canvas = np.zeros((20, 20))
    canvas[3, 3] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        to_mnist(canvas)


@pytest.mark.parametrize("shape", [(28, 28, 3), (784,), (2, 28, 28), ()])
def test_non_2d_input_raises_value_error(shape):
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros(shape, np.uint8))


def test_float_outside_unit_range_raises_value_error():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_mnist(seven().astype(np.float64))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_mnist(seven() / 255.0 - 0.01)


def test_float_rounding_just_past_one_is_accepted():
    canvas = seven() / 255.0
    canvas[canvas == 1.0] = np.nextafter(1.0, 2.0)
    np.testing.assert_allclose(to_mnist(canvas), to_mnist(seven()), atol=1e-6)


def test_negative_integers_raise_value_error():
    with pytest.raises(ValueError, match="negative"):
        to_mnist(seven().astype(np.int16) - 1)


def test_unsupported_dtype_raises_value_error():
    with pytest.raises(ValueError, match="dtype"):
        to_mnist(seven().astype(np.complex64))


# --- input types and polarity ---------------------------------------------------------------


def test_uint8_and_float_input_agree():
    canvas = seven()
    expected = to_mnist(canvas)
    for converted in (canvas / 255.0, (canvas / 255.0).astype(np.float32)):
        np.testing.assert_allclose(to_mnist(converted), expected, atol=1e-5)


def test_other_integer_dtypes_and_lists_are_read_as_8_bit():
    canvas = seven(shape=(60, 60), top=10, left=10, size=40, width=5.0)
    expected = to_mnist(canvas)
    np.testing.assert_allclose(to_mnist(canvas.astype(np.int64)), expected, atol=1e-6)
    np.testing.assert_allclose(to_mnist(canvas.tolist()), expected, atol=1e-6)
    sixteen_bit = canvas.astype(np.uint16) * 257  # 255 -> 65535
    np.testing.assert_allclose(to_mnist(sixteen_bit), expected, atol=1e-5)


def test_bool_canvas():
    canvas = seven() > 127
    image = to_mnist(canvas)
    assert_mnist_like(image)
    np.testing.assert_allclose(to_mnist(~canvas), image, atol=1e-6)


def test_both_polarities_give_the_same_image():
    light_on_dark = seven()
    dark_on_light = seven(dark_on_light=True)
    np.testing.assert_array_equal(dark_on_light, 255 - light_on_dark)
    np.testing.assert_allclose(to_mnist(dark_on_light), to_mnist(light_on_dark), atol=1e-6)
    np.testing.assert_allclose(naive_resize(dark_on_light), naive_resize(light_on_dark), atol=1e-6)


def test_grey_pen_on_grey_paper_matches_black_on_white():
    ink = seven() / 255.0
    paper = 0.8 - 0.5 * ink  # background 0.8, ink 0.3
    np.testing.assert_allclose(to_mnist(paper), to_mnist(ink), atol=1e-5)


def test_light_noise_is_tolerated():
    clean = seven()
    noise = np.random.default_rng(0).integers(0, 10, clean.shape)  # up to 4% of full scale
    noisy = np.clip(clean.astype(int) + noise, 0, 255).astype(np.uint8)
    expected = to_mnist(clean)
    result = to_mnist(noisy)
    assert ink_box(result, 0.1) == ink_box(expected, 0.1)
    assert np.abs(result - expected).mean() < 0.02


# --- geometry -------------------------------------------------------------------------------


def test_single_dot_becomes_a_small_blob_in_the_middle():
    dot = draw((280, 280), [((70, 200), (70, 200))], width=20.0)
    image = to_mnist(dot)
    assert_mnist_like(image)
    assert_centred(image)
    height, width = ink_box(image, 0.1)
    assert 2 <= height <= 10 and 2 <= width <= 10
    assert image.max() > 0.9


def test_single_pixel_dot():
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100, 30] = 255
    image = to_mnist(canvas)
    assert_centred(image)
    assert max(ink_box(image, 0.1)) <= 10


def test_tall_thin_bar_keeps_its_aspect_ratio():
    bar = draw((280, 280), [((30, 140), (250, 140))], width=12.0)
    image = to_mnist(bar)
    height, width = ink_box(image)
    assert height == 20
    assert width <= 3
    assert_centred(image)


def test_wide_short_bar_keeps_its_aspect_ratio():
    bar = draw((280, 280), [((140, 20), (140, 260))], width=12.0)
    height, width = ink_box(to_mnist(bar))
    assert width == 20
    assert height <= 3


def test_stroke_touching_the_border():
    canvas = draw((280, 280), [((0, 0), (0, 200)), ((0, 0), (279, 0))], width=20.0)
    image = to_mnist(canvas)
    assert_mnist_like(image)
    assert_centred(image)
    assert max(ink_box(image)) == 20


def test_digit_running_off_every_edge():
    canvas = draw((200, 200), [((-20, 100), (220, 100)), ((100, -20), (100, 220))], width=25.0)
    image = to_mnist(canvas)
    assert_centred(image)
    assert ink_box(image) == (20, 20)


@pytest.mark.parametrize(
    "canvas",
    [
        seven(shape=(560, 560), top=0, left=0, size=559, width=40.0),  # huge, edge to edge
        seven(shape=(280, 280), top=100, left=150, size=14, width=1.5),  # tiny, thin pen
        seven(shape=(280, 280), top=200, left=20, size=40, width=6.0),  # small, in a corner
        seven(shape=(28, 28), top=9, left=9, size=10, width=1.0),  # tiny on a tiny canvas
    ],
    ids=["huge", "tiny", "small-corner", "tiny-canvas"],
)
def test_drawing_of_any_size_fills_the_20px_box(canvas):
    image = to_mnist(canvas)
    assert_mnist_like(image)
    assert_centred(image)
    assert max(ink_box(image)) in (20, 21)


def test_position_and_canvas_shape_do_not_matter():
    reference = to_mnist(seven())
    for shape, top, left in [((280, 280), 10, 15), ((280, 600), 70, 380), ((500, 240), 290, 30)]:
        image = to_mnist(seven(shape=shape, top=top, left=left))
        np.testing.assert_allclose(image, reference, atol=1e-4)


@pytest.mark.parametrize("shape", [(1, 60), (60, 1), (3, 200), (280, 120), (90, 400)])
def test_non_square_canvases(shape):
    rng = np.random.default_rng(sum(shape))
    canvas = np.zeros(shape, np.uint8)
    canvas[rng.integers(0, shape[0], 20), rng.integers(0, shape[1], 20)] = 255
    image = to_mnist(canvas)
    assert_mnist_like(image)
    assert_centred(image)


def test_longer_side_and_centre_on_many_drawings():
    rng = np.random.default_rng(1)
    for _ in range(20):
        height, width = rng.integers(120, 600, 2)
        size = int(rng.integers(30, min(height, width) - 10))
        top = int(rng.integers(0, height - size))
        left = int(rng.integers(0, width - size))
        pen = float(rng.uniform(2.0, size / 8))
        image = to_mnist(seven((height, width), top, left, size, pen))
        assert_centred(image)
        assert max(ink_box(image)) in (20, 21)


# --- MNIST itself ---------------------------------------------------------------------------


def ordinary(images: np.ndarray) -> np.ndarray:
    """Which images' strokes are in STROKE_RANGE, the widths that to_mnist leaves alone."""
    widths = np.array([_stroke_width(image) for image in images])
    return (widths >= STROKE_RANGE[0]) & (widths <= STROKE_RANGE[1])


def test_mnist_digits_are_a_fixed_point(mnist_test):
    original = mnist_test.astype(np.float32) / 255
    processed = to_mnist_batch(mnist_test)
    per_image = np.abs(processed - original).mean(axis=(1, 2))
    usual = ordinary(original)
    assert usual.mean() > 0.9
    assert per_image[usual].mean() < 0.001
    assert np.mean(per_image[usual] < 0.005) > 0.99
    # The few boldest and thinnest MNIST digits get their strokes moved into the range, which
    # changes a few edge pixels, not the digit.
    assert per_image.mean() < 0.005
    assert np.percentile(per_image, 99) < 0.08


def test_mnist_digits_come_out_centred_at_20px(mnist_test):
    images = mnist_test[:200].astype(np.float32) / 255
    usual = ordinary(images)
    for image, exact in zip(to_mnist_batch(images), usual, strict=True):
        assert_centred(image)
        assert max(ink_box(image, 0.0)) in ((19, 20) if exact else (19, 20, 21))


@pytest.mark.parametrize("factor", [3, 7, 10, 20])
def test_upscaled_mnist_digit_comes_back(mnist_test, factor):
    originals = mnist_test[:20]
    for index, digit in enumerate(originals):
        big = np.kron(digit, np.ones((factor, factor), np.uint8))
        canvas = np.zeros((big.shape[0] + 37 * index % 90, big.shape[1] + 130), np.uint8)
        top, left = 11 * index % (canvas.shape[0] - big.shape[0] + 1), 5 * index
        canvas[top : top + big.shape[0], left : left + big.shape[1]] = big
        image = to_mnist(255 - canvas if index % 2 else canvas)
        assert np.abs(image - digit / 255).mean() < 0.01


@pytest.mark.parametrize("side", [42, 73, 130])
def test_mnist_digit_at_other_sizes_stays_close(mnist_test, side):
    """A digit area-resampled to a non-integer size (not a whole-pixel kron) still matches."""
    digits = mnist_test[:20].astype(np.float32) / 255
    resample = area_matrix(28, side)
    errors = [np.abs(to_mnist(resample @ digit @ resample.T) - digit).mean() for digit in digits]
    # Resampling up and back down by a non-integer factor blurs edges a little, and a digit
    # whose centre of mass sits near a half pixel may land one whole pixel over.
    assert np.mean(errors) < 0.04


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) box-filter resampling matrix, written independently of the module."""
    step = n_in / n_out
    low = np.arange(n_out)[:, None] * step
    source = np.arange(n_in)[None, :]
    overlap = np.minimum(low + step, source + 1) - np.maximum(low, source)
    return np.maximum(overlap, 0.0) / step


# --- naive baseline and batch ---------------------------------------------------------------


def test_naive_resize_squashes_the_whole_canvas(mnist_test):
    digit = mnist_test[0]
    big = np.kron(digit, np.ones((10, 10), np.uint8))
    image = naive_resize(255 - big)
    assert image.shape == (28, 28) and image.dtype == np.float32
    np.testing.assert_allclose(image, digit / 255, atol=1e-5)


def test_naive_resize_does_not_centre():
    corner = seven(top=0, left=0, size=80, width=8.0)
    image = naive_resize(corner)
    assert_mnist_like(image)
    assert np.all(centre_of_mass(image) < 8)
    assert max(ink_box(image)) < 12


def test_naive_resize_distorts_non_square_canvases():
    square = np.zeros((280, 560), np.uint8)
    square[90:190, 230:330] = 255
    square[98:182, 238:322] = 0  # an outline, so it reads as strokes rather than a blob
    height, width = ink_box(naive_resize(square))
    assert height >= 1.5 * width
    assert ink_box(to_mnist(square)) == (20, 20)


def test_to_mnist_batch():
    canvases = [seven(), seven(dark_on_light=True), seven(shape=(100, 300), top=5, left=3, size=90)]
    batch = to_mnist_batch(canvases)
    assert batch.shape == (3, 28, 28) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[1], to_mnist(canvases[1]))
    assert to_mnist_batch([]).shape == (0, 28, 28)


# --- property -------------------------------------------------------------------------------


@st.composite
def canvases(draw_from):
    shape = draw_from(st.tuples(st.integers(1, 100), st.integers(1, 100)))
    dtype = draw_from(st.sampled_from([np.uint8, np.float32, np.float64]))
    if dtype == np.uint8:
        values = st.integers(0, 255)
        fill = st.sampled_from([0, 255])
    else:
        values = st.one_of(st.floats(0.0, 1.0, width=32), st.just(float("nan")))
        fill = st.sampled_from([0.0, 1.0, 0.5])
    kind = draw_from(st.sampled_from(["random", "constant"]))
    if kind == "constant":
        return np.full(shape, draw_from(values), dtype)
    return draw_from(hnp.arrays(dtype, shape, elements=values, fill=fill))


@settings(max_examples=200, deadline=None)
@given(canvases())
def test_any_canvas_gives_a_valid_image_or_a_value_error(canvas):
    has_nan = np.issubdtype(canvas.dtype, np.floating) and np.isnan(canvas).any()
    try:
        image = to_mnist(canvas)
    except EmptyCanvasError:
        event("blank canvas")
        assert not has_nan
        return
    except ValueError:
        event("rejected input")
        assert has_nan
        return
    event("image")
    assert not has_nan
    assert_mnist_like(image)


# --- the default model reads a drawing wherever and however big it is drawn ------------------


@pytest.fixture(scope="module")
def confident_digits() -> tuple[np.ndarray, np.ndarray]:
    """40 MNIST test digits (uint8) that the default model reads right with p > 0.9, and the
    digits they show."""
    from digitpad.inference import load_predictor

    if not MNIST_PATH.exists():
        pytest.skip(f"{MNIST_PATH} not available")
    with np.load(MNIST_PATH) as data:
        images, labels = data["x_test"][:200], data["y_test"][:200]
    probabilities = load_predictor().predict_proba(images / 255.0)
    sure = (probabilities.argmax(axis=1) == labels) & (probabilities.max(axis=1) > 0.9)
    return images[sure][:40], labels[sure][:40]


@pytest.mark.parametrize(
    ("shape", "side", "where"),
    [
        ((280, 280), 252, "centre"),
        ((280, 280), 70, "top-left"),
        ((280, 280), 130, "bottom-right"),
        ((280, 400), 200, "top-right"),
        ((400, 280), 111, "bottom-left"),
        ((600, 600), 47, "centre"),
    ],
)
def test_where_and_how_big_a_digit_is_drawn_does_not_change_the_reading(
    confident_digits, shape, side, where
):
    from digitpad.inference import load_predictor

    images, labels = confident_digits
    resample = area_matrix(28, side)
    rows = {"top": 0, "centre": (shape[0] - side) // 2, "bottom": shape[0] - side}
    cols = {"left": 0, "centre": (shape[1] - side) // 2, "right": shape[1] - side}
    top, left = rows[where.split("-")[0]], cols[where.split("-")[-1]]
    canvases = []
    for index, digit in enumerate(images):
        canvas = np.zeros(shape)
        canvas[top : top + side, left : left + side] = resample @ (digit / 255.0) @ resample.T
        canvas = np.clip(canvas, 0.0, 1.0)
        canvases.append(1.0 - canvas if index % 2 else canvas)  # both polarities
    predicted = load_predictor().predict_proba(to_mnist_batch(canvases)).argmax(axis=1)
    np.testing.assert_array_equal(predicted, labels)


# --- pen width --------------------------------------------------------------------------------


@pytest.mark.parametrize("pen", [1.0, 2.5, 6.0, 30.0, 45.0])
def test_any_pen_width_comes_out_with_mnist_like_strokes(pen):
    """A hairline pen and a marker both give strokes as wide as MNIST's usual ones."""
    image = to_mnist(seven(size=200, width=pen))
    assert_mnist_like(image)
    assert_centred(image)
    assert STROKE_RANGE[0] - 0.5 <= _stroke_width(image) <= STROKE_RANGE[1] + 0.5
    assert image.max() > 0.95  # a thin pen's faint strokes become full ink
    assert max(ink_box(image)) in (19, 20, 21)  # a bold digit is not mistaken for a dot


def test_pen_width_changes_the_image_only_a_little():
    reference = to_mnist(seven(size=200, width=18.0))
    for pen in (1.0, 4.0, 40.0):
        assert np.abs(to_mnist(seven(size=200, width=pen)) - reference).mean() < 0.08


def test_default_model_reads_a_drawing_whatever_the_pen():
    from digitpad.inference import load_predictor

    canvases = [seven(size=size, width=pen) for size in (60, 200) for pen in (1.0, 6.0, 18.0)]
    canvases += [seven(size=200, width=40.0), seven(size=100, width=25.0)]
    predicted = load_predictor().predict_proba(to_mnist_batch(canvases)).argmax(axis=1)
    assert list(predicted) == [7] * len(canvases)
