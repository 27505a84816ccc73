"""`digitpad predict IMAGE...` on image files that the tests draw with Qt's QPainter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from digitpad.cli import main

BLACK, WHITE = QColor(0, 0, 0), QColor(255, 255, 255)

Shape = Callable[[QPainter, float, float], None]


def one(painter: QPainter, width: float, height: float) -> None:
    """A '1': one vertical stroke through the middle, 70% of the height."""
    painter.drawLine(QPointF(width / 2, 0.15 * height), QPointF(width / 2, 0.85 * height))


def zero(painter: QPainter, width: float, height: float) -> None:
    """A '0': an upright ellipse, 70% of the height and half as wide."""
    painter.drawEllipse(
        QRectF(width / 2 - 0.175 * height, 0.15 * height, 0.35 * height, 0.7 * height)
    )


def seven(painter: QPainter, width: float, height: float) -> None:
    """A '7': a bar across the top and a long stroke down to the lower left."""
    left, top, size = width / 2 - 0.3 * height, 0.15 * height, 0.7 * height
    painter.drawPolyline(
        [
            QPointF(left, top),
            QPointF(left + 0.75 * size, top),
            QPointF(left + 0.35 * size, top + size),
        ]
    )


def draw_png(
    path: Path,
    shape: Shape | None,
    *,
    size: tuple[int, int] = (240, 240),
    ink: QColor = BLACK,
    paper: QColor = WHITE,
    pen: float | None = None,
    fmt: str | None = None,
    image_format: QImage.Format = QImage.Format.Format_RGB32,
) -> Path:
    """Paint `shape` with a round pen (default width: a tenth of the height) and save it."""
    width, height = size
    image = QImage(width, height, image_format)
    image.fill(paper)
    if shape is not None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        stroke = QPen(ink)
        stroke.setWidthF(pen if pen is not None else height / 10)
        stroke.setCapStyle(Qt.PenCapStyle.RoundCap)
        stroke.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(stroke)
        shape(painter, width, height)
        painter.end()
    assert image.save(str(path), fmt), f"could not save {path}"
    return path


def predict(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main(["predict", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def predicted_digits(out: str) -> list[int]:
    """The digit each text line reports: `PATH: D  (D p%, ...)`."""
    return [int(line.rsplit(": ", 1)[1].split()[0]) for line in out.strip().splitlines()]


@pytest.mark.parametrize(
    ("shape", "digit"), [(one, 1), (zero, 0), (seven, 7)], ids=["one", "zero", "seven"]
)
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_drawn_digit_is_read(tmp_path, capsys, shape, digit, polarity):
    ink, paper = (BLACK, WHITE) if polarity == "dark-on-light" else (WHITE, BLACK)
    path = draw_png(tmp_path / "digit.png", shape, ink=ink, paper=paper)
    code, out, err = predict(capsys, path)
    assert (code, err) == (0, "")
    assert predicted_digits(out) == [digit]
    # The top three, each with its probability.
    assert out.startswith(f"{path}: {digit}  ({digit} ") and out.count("%") == 3


@pytest.mark.parametrize(
    ("size", "pen"),
    [((28, 28), 2.5), ((600, 200), 30.0), ((400, 900), 6.0), ((2000, 1500), 120.0)],
    ids=["mnist-size", "wide", "tall-thin-pen", "large"],
)
def test_any_canvas_size_and_pen(tmp_path, capsys, size, pen):
    path = draw_png(tmp_path / "zero.png", zero, size=size, pen=pen)
    code, out, _ = predict(capsys, path)
    assert code == 0 and predicted_digits(out) == [0]


def test_colour_image(tmp_path, capsys):
    """Blue ink on yellow paper: light paper, dark ink, once made grey."""
    path = draw_png(tmp_path / "c.png", seven, ink=QColor(30, 60, 200), paper=QColor(250, 230, 80))
    code, out, _ = predict(capsys, path)
    assert code == 0 and predicted_digits(out) == [7]


def test_jpeg_and_bmp(tmp_path, capsys):
    jpeg = draw_png(tmp_path / "one.jpg", one, fmt="JPEG")
    bmp = draw_png(tmp_path / "zero.bmp", zero, ink=WHITE, paper=BLACK, fmt="BMP")
    code, out, _ = predict(capsys, jpeg, bmp)
    assert code == 0 and predicted_digits(out) == [1, 0]


@pytest.mark.parametrize("ink", [BLACK, WHITE], ids=["black-ink", "white-ink"])
def test_transparent_background(tmp_path, capsys, ink):
    """A drawing on transparent paper reads whatever the colour of its ink."""
    path = draw_png(
        tmp_path / "t.png",
        one,
        ink=ink,
        paper=QColor(0, 0, 0, 0),
        image_format=QImage.Format.Format_ARGB32,
    )
    code, out, err = predict(capsys, path)
    assert (code, err) == (0, "") and predicted_digits(out) == [1]


def test_json_one_object_per_image(tmp_path, capsys):
    paths = [draw_png(tmp_path / "1.png", one), draw_png(tmp_path / "0.png", zero)]
    code, out, _ = predict(capsys, *paths, "--json")
    assert code == 0
    results = [json.loads(line) for line in out.strip().splitlines()]
    assert [r["digit"] for r in results] == [1, 0]
    for result, path in zip(results, paths, strict=True):
        assert result["file"] == str(path)
        probabilities = result["probabilities"]
        assert len(probabilities) == 10 and all(isinstance(p, float) for p in probabilities)
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
        assert max(range(10), key=probabilities.__getitem__) == result["digit"]


def test_bad_files_get_one_line_each_and_the_rest_are_still_read(tmp_path, capsys):
    unreadable = tmp_path / "notes.png"
    unreadable.write_text("these are not the pixels you are looking for\n")
    blank = draw_png(tmp_path / "blank.png", None)
    tiny = draw_png(tmp_path / "tiny.png", None, size=(1, 1), paper=BLACK)
    missing = tmp_path / "missing.png"
    good_one, good_zero = draw_png(tmp_path / "1.png", one), draw_png(tmp_path / "0.png", zero)

    code, out, err = predict(capsys, good_one, unreadable, blank, tiny, missing, good_zero)

    assert code == 2
    assert predicted_digits(out) == [1, 0]
    lines = err.strip().splitlines()
    assert len(lines) == 4 and "Traceback" not in err
    for line, path, words in zip(
        lines,
        [unreadable, blank, tiny, missing],
        ["not a readable image", "blank", "blank", "no such file"],
        strict=True,
    ):
        assert line.startswith(f"digitpad predict: error: {path}: ") and words in line


def test_bad_files_in_json_mode_still_go_to_stderr(tmp_path, capsys):
    blank = draw_png(tmp_path / "blank.png", None)
    code, out, err = predict(capsys, blank, draw_png(tmp_path / "1.png", one), "--json")
    assert code == 2
    assert [json.loads(line)["digit"] for line in out.strip().splitlines()] == [1]
    assert len(err.strip().splitlines()) == 1 and "blank" in err


def test_unknown_model_is_one_line(tmp_path, capsys, user_store):
    code, out, err = predict(capsys, draw_png(tmp_path / "1.png", one), "--model", "nope")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no model named" in err


# --- numbers: several digits in one image -----------------------------------------------------


def number_png(
    path: Path, text: str, *, ink: QColor = BLACK, paper: QColor = WHITE, scale: float = 1.0
) -> Path:
    """`text` written with a round pen as a person writes it (see tests/drawn_numbers.py)."""
    from drawn_numbers import number_strokes, paint_strokes

    strokes = number_strokes(text, height=120.0, width=75.0, gap=28.0, top=40.0, left=30.0)
    right = max(x for stroke in strokes for x, _ in stroke) + 30.0

    def shape(painter: QPainter, width: float, height: float) -> None:
        paint_strokes(painter, strokes, scale)

    size = (round(right * scale), round(200 * scale))
    return draw_png(path, shape, size=size, ink=ink, paper=paper, pen=12.0 * scale)


@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_a_number_is_read_with_each_digit(tmp_path, capsys, polarity):
    ink, paper = (BLACK, WHITE) if polarity == "dark-on-light" else (WHITE, BLACK)
    path = number_png(tmp_path / "year.png", "2026", ink=ink, paper=paper)
    code, out, err = predict(capsys, path)
    assert (code, err) == (0, "")
    assert predicted_digits(out) == [2026]
    # Each digit's top answer, left to right, with its probability.
    each = out.split("  (", 1)[1].rstrip().rstrip(")").split(", ")
    assert [item.split()[0] for item in each] == ["2", "0", "2", "6"]
    assert all(item.endswith("%") for item in each)


def test_json_for_a_number_has_the_number_and_each_digit_with_its_box(tmp_path, capsys):
    paths = [number_png(tmp_path / "n.png", "1947", scale=1.5), draw_png(tmp_path / "7.png", seven)]
    code, out, _ = predict(capsys, *paths, "--json")
    assert code == 0
    number, single = (json.loads(line) for line in out.strip().splitlines())
    assert number["number"] == "1947" and "digit" not in number
    assert [d["digit"] for d in number["digits"]] == [1, 9, 4, 7]
    boxes = [d["box"] for d in number["digits"]]
    assert all(len(box) == 4 and all(isinstance(v, int) for v in box) for box in boxes)
    # Left to right, each box to the right of the one before, inside the image (300 px tall).
    assert all(a[0] + a[2] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))
    assert all(y >= 0 and y + h <= 300 for _, y, _, h in boxes)
    for digit in number["digits"]:
        assert len(digit["probabilities"]) == 10
        assert max(range(10), key=digit["probabilities"].__getitem__) == digit["digit"]
    # A single digit keeps the keys scripts already read, and gains the new ones.
    assert single["digit"] == 7 and len(single["probabilities"]) == 10
    assert single["number"] == "7" and single["digits"][0]["digit"] == 7


def test_a_number_typed_in_a_font_is_read(tmp_path, capsys, qapp):
    from PySide6.QtGui import QFont

    def typed(painter: QPainter, width: float, height: float) -> None:
        font = QFont("DejaVu Sans")
        font.setPixelSize(round(height * 0.6))
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "3580")

    path = draw_png(tmp_path / "typed.png", typed, size=(600, 200))
    code, out, _ = predict(capsys, path)
    assert code == 0 and predicted_digits(out) == [3580]


def test_a_dot_is_no_digit(tmp_path, capsys):
    def dot(painter: QPainter, width: float, height: float) -> None:
        painter.drawPoint(QPointF(width / 2, height / 2))

    path = draw_png(tmp_path / "dot.png", dot, pen=30.0)
    code, out, err = predict(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith(f"digitpad predict: error: {path}: no digit: a dot")
