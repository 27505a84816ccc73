"""Numbers: several digits on one canvas, split into digits and read left to right
(digitpad.segment, offered as digitpad.preprocess.split_digits)."""

from __future__ import annotations

import numpy as np
import pytest
from drawn_numbers import DIGITS, number_strokes, raster

from digitpad.data import load_mnist
from digitpad.inference import load_predictor
from digitpad.preprocess import measured_mnist, segment, split_digits, to_mnist
from digitpad.reading import number_text, read_digits
from digitpad.segment import group_pieces, mark_problem, segment_pieces

SHAPE = (200, 560)


@pytest.fixture(scope="module")
def predictor():
    return load_predictor()


@pytest.fixture(scope="module")
def mnist():
    return load_mnist().test


def read(canvas: np.ndarray, predictor) -> str:
    return number_text(read_digits(segment(canvas).digits, predictor))


def drawn(text: str, **placement) -> np.ndarray:
    """`text` written with the pen strokes of drawn_numbers, 120 px tall, on a 200 px canvas."""
    pen = placement.pop("pen", 12.0)
    shape = placement.pop("shape", SHAPE)
    dark = placement.pop("dark_on_light", False)
    options = {"height": 120.0, "width": 75.0, "gap": 28.0, "top": 40.0, "left": 20.0}
    return raster(number_strokes(text, **(options | placement)), shape, pen, dark)


def mnist_row(images: np.ndarray, gaps: list[int], top: list[int] | None = None) -> np.ndarray:
    """MNIST digits side by side, cropped to their ink, `gaps` pixels apart."""
    crops = []
    for image in images:
        cols = np.flatnonzero(image.max(axis=0) > 0)
        crops.append(image[:, cols[0] : cols[-1] + 1])
    width = sum(c.shape[1] for c in crops) + sum(gaps) + 8
    canvas = np.zeros((40, width), np.float32)
    x = 4
    for k, crop in enumerate(crops):
        y = 6 if top is None else top[k]
        canvas[y : y + 28, x : x + crop.shape[1]] = np.maximum(
            canvas[y : y + 28, x : x + crop.shape[1]], crop
        )
        x += crop.shape[1] + (gaps[k] if k < len(gaps) else 0)
    return canvas


# --- one digit, and none ----------------------------------------------------------------------


def test_a_single_digit_is_exactly_to_mnist(mnist):
    for image in mnist.images[:200]:
        digits = split_digits(image)
        assert len(digits) == 1
        np.testing.assert_array_equal(digits[0], to_mnist(image))


def test_a_single_drawn_digit_is_exactly_to_mnist():
    for digit in "0123456789":
        canvas = drawn(digit, left=200, dark_on_light=digit in "2468")
        (image,) = split_digits(canvas)
        np.testing.assert_array_equal(image, to_mnist(canvas))


def test_an_empty_canvas_gives_no_digits():
    assert split_digits(np.zeros((200, 400), np.uint8)) == []
    assert split_digits(np.full((50, 50), 255, np.uint8)) == []
    found = segment(np.zeros((200, 400), np.float32))
    assert found.digits == [] and found.problem is None


def test_unreadable_input_is_still_a_value_error():
    with pytest.raises(ValueError):
        split_digits(np.zeros((3, 4, 5)))


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026", "1947", "357", "8193", "60", "123456"])
@pytest.mark.parametrize("dark_on_light", [False, True], ids=["light-ink", "dark-ink"])
def test_a_drawn_number_is_read_left_to_right(text, dark_on_light, predictor):
    width = 52.0 if len(text) > 4 else 75.0
    canvas = drawn(text, width=width, gap=20.0, dark_on_light=dark_on_light)
    assert read(canvas, predictor) == text
    boxes = [digit.box for digit in segment(canvas).digits]
    lefts = [x for x, _, _, _ in boxes]
    assert lefts == sorted(lefts)
    # Boxes hold their own digit: they do not overlap.
    assert all(a[0] + a[2] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))


def test_mnist_digits_side_by_side_are_each_made_as_to_mnist_makes_them(mnist, predictor):
    images = mnist.images[:6]
    canvas = mnist_row(images, gaps=[3, 9, 2, 15, 4])
    digits = split_digits(canvas)
    assert len(digits) == 6
    for image, alone in zip(digits, images, strict=True):
        # The same digit, read alone: only the ink of its neighbours' edges may differ.
        assert np.abs(image - to_mnist(alone)).max() < 0.1
    expected = predictor.predict_proba(images).argmax(axis=1)
    assert read(canvas, predictor) == "".join(map(str, expected))


def test_tight_and_wide_gaps(predictor):
    for gap in (8.0, 20.0, 60.0):
        assert read(drawn("407", gap=gap), predictor) == "407", gap


def test_a_sloping_baseline(predictor):
    for slope in (0.25, -0.25):
        canvas = drawn("2468", slope=slope, top=40 if slope < 0 else 150, shape=(320, 560))
        assert read(canvas, predictor) == "2468"


def test_digits_of_different_sizes(predictor):
    canvas = drawn("5839", sizes=[1.2, 0.8, 1.0, 0.85], gap=22.0, shape=(220, 560))
    assert read(canvas, predictor) == "5839"


# --- digits in pieces, and noise ----------------------------------------------------------------


def test_pieces_that_do_not_touch_stay_one_digit(predictor):
    # A 5 with its flag lifted off the body, a 4 whose upright starts below the bar, a 7 whose
    # cross floats beside the stem: each piece is a separate blob of ink.
    pieces = {
        "5": [[(0.2, 0.12), (0.14, 0.45)] + DIGITS["5"][0][2:], [(0.3, 0.0), (0.95, 0.0)]],
        "4": [[(0.62, 0.0), (0.05, 0.62), (0.98, 0.62)], [(0.72, 0.78), (0.72, 1.05)]],
        "7": [DIGITS["7"][0], [(0.1, 0.55), (0.3, 0.55)]],
    }
    saved = {k: DIGITS[k] for k in pieces}
    DIGITS.update(pieces)
    try:
        canvas = drawn("547", gap=30.0)
        found = segment(canvas).digits
    finally:
        DIGITS.update(saved)
    assert len(found) == 3
    assert number_text(read_digits(found, predictor))[:2] == "54"


def test_a_dot_from_a_pen_lifted_early_belongs_to_its_digit(predictor):
    # "1.7": a tap just above the 1's top right, between the digits.
    canvas = drawn("1.7", gap=40.0)
    assert read(canvas, predictor) == "17"


def test_mnist_digits_broken_into_pieces_stay_whole(mnist):
    # MNIST digits whose ink is in two or more 8-connected pieces.
    from digitpad.preprocess import _polarity
    from digitpad.segment import _pieces

    broken = []
    for image in mnist.images[:3000]:
        gray = (image * 255).astype(np.uint8)
        background, gain = _polarity(gray, 255.0)
        _, boxes, mass = _pieces(gray, background, gain, 1)
        if len(boxes) > 1 and np.sort(mass)[-2] >= 5:
            broken.append(image)
    assert len(broken) >= 10
    for image in broken:
        assert len(split_digits(image)) == 1


def test_specks_of_noise_belong_to_no_digit(predictor):
    clean = drawn("2026")
    noisy = clean.copy()
    rng = np.random.default_rng(3)
    ink = clean > 0
    placed = 0
    while placed < 40:
        y, x = rng.integers(0, SHAPE[0] - 3), rng.integers(0, SHAPE[1] - 3)
        if not ink[max(y - 6, 0) : y + 9, max(x - 6, 0) : x + 9].any():
            noisy[y : y + rng.integers(1, 4), x : x + rng.integers(1, 4)] = 255
            placed += 1
    assert read(noisy, predictor) == "2026"
    # The specks do not widen any digit's box.
    clean_boxes = [d.box for d in segment(clean).digits]
    noisy_boxes = [d.box for d in segment(noisy).digits]
    assert noisy_boxes == clean_boxes


def test_a_canvas_of_500_specks_has_no_digits():
    rng = np.random.default_rng(0)
    canvas = np.zeros((280, 900), np.uint8)
    for y, x in zip(rng.integers(0, 278, 500), rng.integers(0, 898, 500), strict=True):
        canvas[y : y + 2, x : x + 2] = 255
    found = segment(canvas)
    assert found.digits == [] and "speck" in found.problem.lower()
    assert split_digits(canvas) == []


# --- marks that are not digits (issue 10, item 10) ----------------------------------------------


def test_a_dot_is_not_a_digit():
    canvas = raster([[(140.0, 140.0)]], (280, 280), pen=30.0)
    found = segment(canvas)
    assert found.digits == [] and "dot" in found.problem


def test_a_mark_too_small_for_the_canvas_is_not_a_digit():
    canvas = drawn("7", height=10.0, width=7.0, pen=2.0, shape=(280, 280), top=100, left=100)
    found = segment(canvas)
    assert found.digits == [] and "too small" in found.problem


def test_a_scribble_covering_the_canvas_is_not_a_digit():
    zigzag = [(10.0 + 12 * k, 10.0 if k % 2 == 0 else 270.0) for k in range(22)]
    across = [(10.0, 10.0 + 12 * k) if k % 2 == 0 else (270.0, 10.0 + 12 * k) for k in range(22)]
    canvas = raster([zigzag, across], (280, 280), pen=18.0)
    found = segment(canvas)
    assert found.digits == [] and found.problem


def test_drawn_and_mnist_digits_are_never_called_marks(mnist):
    for image in mnist.images[:500]:
        _, measures = measured_mnist(image)
        assert mark_problem(measures, 28) is None
    for digit in "0123456789":
        for pen in (4.0, 12.0, 30.0):
            _, measures = measured_mnist(drawn(digit, pen=pen))
            assert mark_problem(measures, SHAPE[0]) is None, (digit, pen)


# --- strokes and images agree -------------------------------------------------------------------


def stroke_segmentation(strokes, shape, pen):
    """The stroke path of digitpad.segment, as the canvas uses it, with NumPy rendering."""
    boxes, mass = [], []
    for stroke in strokes:
        points = np.array(stroke)
        low, high = points.min(axis=0) - pen / 2 - 1, points.max(axis=0) + pen / 2 + 1
        boxes.append([low[0], low[1], high[0], high[1]])
        length = np.hypot(*np.diff(points, axis=0).T).sum() if len(points) > 1 else 0.0
        mass.append((length + pen) * pen)

    def render(group, everything):
        return raster([strokes[i] for i in group], shape, pen)

    return segment_pieces(np.clip(boxes, 0, None), np.array(mass), shape, render)


@pytest.mark.parametrize("text", ["2026", "547", "1.7", "90", "31415"])
def test_stroke_and_image_grouping_agree(text, predictor):
    width = 60.0 if len(text) > 4 else 75.0
    strokes = number_strokes(text, height=120.0, width=width, gap=25.0, top=40.0, left=20.0)
    by_strokes = stroke_segmentation(strokes, SHAPE, 12.0)
    by_image = segment(raster(strokes, SHAPE, 12.0))
    assert len(by_strokes.digits) == len(by_image.digits) == len(text.replace(".", ""))
    for a, b in zip(by_strokes.digits, by_image.digits, strict=True):
        assert np.allclose(a.box, b.box, atol=4)
    assert number_text(read_digits(by_strokes.digits, predictor)) == text.replace(".", "")
    assert number_text(read_digits(by_image.digits, predictor)) == text.replace(".", "")


# --- grouping rules on boxes --------------------------------------------------------------------


def test_grouping_by_boxes():
    height = 100.0
    digit = lambda x: [x, 0.0, x + 60.0, height]  # noqa: E731
    # Two digits 8 apart stay two; a flag overlapping one digit joins it even when long.
    assert group_pieces(np.array([digit(0), digit(68)]), np.ones(2), 200) == [[0], [1]]
    flag = [40.0, 0.0, 150.0, 15.0]
    groups = group_pieces(np.array([digit(0), flag, digit(190)]), np.array([5, 1, 5]), 200)
    assert groups == [[0, 1], [2]]
    # A speck far below a digit belongs to nothing; a dot just above it belongs to it.
    speck, dot = [20.0, 180.0, 24.0, 184.0], [30.0, -15.0, 38.0, -7.0]
    groups = group_pieces(np.array([digit(0), speck, dot]), np.array([5, 0.1, 0.1]), 200)
    assert groups == [[0, 2]]


def test_a_decimal_point_in_a_gap_joins_no_digit(predictor):
    strokes = number_strokes("314", height=120.0, width=75.0, gap=40.0, top=40.0, left=20.0)
    point = [(20.0 + 75.0 + 14.0, 40.0 + 120.0 - 4.0)]  # on the baseline, after the 3
    canvas = raster([*strokes[:1], point, *strokes[1:]], SHAPE, 12.0)
    found = segment(canvas).digits
    assert read(canvas, predictor) == "314"
    # The 3's box ends before the point.
    x, _, width, _ = found[0].box
    assert x + width < point[0][0] - 3


@pytest.mark.parametrize("pen", [6.0, 12.0])
def test_slanted_ones_written_close_are_separate_digits(pen, predictor):
    # Each box overlaps the next by more than half, but at every height the strokes stand
    # apart: four digits, not one.
    strokes = [[(40.0 + 26 * k + 30, 40.0), (40.0 + 26 * k, 160.0)] for k in range(4)]
    canvas = raster(strokes, (200, 300), pen)
    assert read(canvas, predictor) == "1111"
