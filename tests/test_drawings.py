"""My drawings on disk: round trip, delete, relabel, bad files, and the held-out split."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digitpad.drawings import (
    DrawingFolder,
    drawings_dir,
    holdout_split,
    is_held_out,
)
from digitpad.errors import DigitpadError
from digitpad.image_files import read_grayscale as read_image
from digitpad.preprocess import to_mnist


def canvas(seed: int, side: int = 120) -> np.ndarray:
    """A white-on-black stroke drawing, different for each seed."""
    rng = np.random.default_rng(seed)
    image = np.zeros((side, side), np.uint8)
    y, x = rng.integers(20, side - 20, 2)
    for _ in range(60):
        y = int(np.clip(y + rng.integers(-3, 4), 5, side - 10))
        x = int(np.clip(x + rng.integers(-3, 4), 5, side - 10))
        image[y : y + 6, x : x + 6] = 255
    return image


def test_round_trip_keeps_image_and_label(tmp_path):
    folder = DrawingFolder(tmp_path / "mine")
    drawn = canvas(1)
    drawing = folder.add(drawn, 7)
    assert drawing.path.parent == tmp_path / "mine" / "7"
    assert drawing.path.suffix == ".png"
    np.testing.assert_array_equal(read_image(drawing.path), drawn)
    loaded = folder.load()
    assert loaded.labels.tolist() == [7]
    assert loaded.keys == (drawing.key,)
    np.testing.assert_allclose(loaded.images[0], to_mnist(drawn), atol=1e-6)
    assert loaded.counts() == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert not loaded.skipped


def test_float_and_bool_canvases_are_saved_as_grey_levels(tmp_path):
    folder = DrawingFolder(tmp_path)
    ink = canvas(2).astype(np.float32) / 255
    assert read_image(folder.add(ink, 3).path).max() == 255
    assert read_image(folder.add(ink > 0.5, 4).path).max() == 255
    assert folder.list().counts() == [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_bad_labels_and_canvases_are_refused(tmp_path):
    folder = DrawingFolder(tmp_path)
    for label in (-1, 10, "3", True, 2.0):
        with pytest.raises(DigitpadError, match="label"):
            folder.add(canvas(1), label)
    with pytest.raises(DigitpadError):
        folder.add(np.zeros((3, 3, 3), np.uint8), 1)
    with pytest.raises(DigitpadError):
        folder.add(np.full((9, 9), 2.0), 1)
    assert folder.list().drawings == ()


def test_undo_of_a_labelling_deletes_the_drawing(tmp_path):
    folder = DrawingFolder(tmp_path)
    kept = folder.add(canvas(1), 2)
    undone = folder.add(canvas(2), 5)
    folder.delete(undone)
    assert [d.key for d in folder.list().drawings] == [kept.key]
    with pytest.raises(DigitpadError, match="no such drawing"):
        folder.delete(undone)


def test_relabel_moves_the_file_and_keeps_its_key(tmp_path):
    folder = DrawingFolder(tmp_path)
    drawing = folder.add(canvas(1), 1)
    moved = folder.relabel(drawing, 7)
    assert moved.key == drawing.key and moved.label == 7
    assert not drawing.path.exists() and moved.path.exists()
    assert folder.load().labels.tolist() == [7]
    assert folder.relabel(moved, 7) == moved


def test_saving_leaves_no_temporary_files(tmp_path):
    folder = DrawingFolder(tmp_path)
    for i in range(5):
        folder.add(canvas(i), i)
    assert not [p for p in tmp_path.rglob(".*")]


def test_scanned_images_of_any_size_and_polarity_are_read(tmp_path):
    folder = DrawingFolder(tmp_path)
    (tmp_path / "3").mkdir()
    dark_on_light = 255 - canvas(5, side=300)
    Image.fromarray(dark_on_light).convert("RGB").save(tmp_path / "3" / "scan.jpg", quality=95)
    transparent = np.zeros((80, 60, 4), np.uint8)
    transparent[..., 3] = canvas(6, side=80)[:, :60]  # black ink on a transparent layer
    Image.fromarray(transparent, "RGBA").save(tmp_path / "3" / "layer.png")
    loaded = folder.load()
    assert loaded.labels.tolist() == [3, 3] and not loaded.skipped
    for image in loaded.images:
        # White digit on black, MNIST's way, whatever the file's polarity.
        assert image[0, 0] == 0 and image.max() > 0.9


def test_bad_folders_and_files_are_reported_and_skipped(tmp_path):
    folder = DrawingFolder(tmp_path)
    good = folder.add(canvas(1), 4)
    (tmp_path / "cats").mkdir()
    (tmp_path / "5").mkdir()  # empty
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "4" / "readme.txt").write_text("hello")
    whole = good.path.read_bytes()
    (tmp_path / "4" / "broken.png").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "4" / "fake.png").write_bytes(b"not a png at all")
    Image.fromarray(np.full((50, 50), 200, np.uint8)).save(tmp_path / "4" / "blank.png")
    loaded = folder.load()
    assert loaded.keys == (good.key,)
    reasons = {p.path.name: p.reason for p in loaded.skipped}
    assert set(reasons) == {
        "cats",
        "5",
        "notes.txt",
        "readme.txt",
        "broken.png",
        "fake.png",
        "blank.png",
    }
    assert "not a digit folder" in reasons["cats"]
    assert "empty" in reasons["5"]
    assert "not an image" in reasons["readme.txt"]
    assert "damaged" in reasons["broken.png"]
    assert "not a readable image" in reasons["fake.png"]
    assert "blank" in reasons["blank.png"]


def test_a_missing_folder_is_empty_and_a_file_is_an_error(tmp_path):
    assert len(DrawingFolder(tmp_path / "none").load()) == 0
    (tmp_path / "file").write_text("x")
    with pytest.raises(DigitpadError, match="not a folder"):
        DrawingFolder(tmp_path / "file").list()


def test_default_folder_is_in_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITPAD_DRAWINGS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert drawings_dir() == tmp_path / "digitpad" / "drawings"
    monkeypatch.setenv("DIGITPAD_DRAWINGS", str(tmp_path / "elsewhere"))
    assert DrawingFolder().root == tmp_path / "elsewhere"


def keys_for(count: int, prefix: str = "k") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def test_holdout_is_about_a_fifth_and_never_in_training():
    keys = keys_for(1000)
    labels = np.arange(1000) % 10
    train, held = holdout_split(labels, keys, 0.2)
    assert not set(train) & set(held)
    assert len(train) + len(held) == 1000
    assert 150 <= len(held) <= 250
    assert all(is_held_out(keys[i], 0.2) for i in held)


def test_holdout_depends_on_each_digits_own_drawings_not_their_order():
    keys = keys_for(200)
    labels = np.arange(200) % 10
    _, held = holdout_split(labels, keys, 0.2)
    before = {keys[i] for i in held}
    order = np.random.default_rng(0).permutation(200)
    _, shuffled = holdout_split(labels[order], [keys[i] for i in order], 0.2)
    assert {keys[order[i]] for i in shuffled} == before
    # Drawings of other digits added or removed: the 3s held out stay the same.
    more_keys = keys + keys_for(300, prefix="new")
    more_labels = np.concatenate([labels, np.where(np.arange(300) % 10 == 3, 4, 5)])
    _, held_more = holdout_split(more_labels, more_keys, 0.2)
    threes = {k for k in before if labels[keys.index(k)] == 3}
    assert {more_keys[i] for i in held_more if more_labels[i] == 3} == threes
    fewer = [k for i, k in enumerate(keys) if labels[i] != 7]
    _, held_fewer = holdout_split(labels[labels != 7], fewer, 0.2)
    assert {fewer[i] for i in held_fewer} == {k for k in before if not k.endswith("7")}


def test_a_digit_holds_out_at_most_its_share_the_lowest_scores_first():
    from digitpad.drawings import held_out_score

    # Ten drawings of a 4 whose keys happen to put four under 0.2: only two are held out.
    keys = [k for k in keys_for(400) if held_out_score(k) < 0.2][:4]
    keys += [k for k in keys_for(400) if held_out_score(k) >= 0.2][:6]
    train, held = holdout_split(np.full(10, 4), keys, 0.2)
    assert len(held) == 2 and len(train) == 8
    lowest = sorted(keys, key=held_out_score)[:2]
    assert {keys[i] for i in held} == set(lowest)


def test_drawings_the_model_has_learnt_are_never_held_out():
    keys = keys_for(200)
    labels = np.arange(200) % 10
    _, held = holdout_split(labels, keys, 0.2)
    learnt = {keys[i] for i in held[:7]}
    train, held_now = holdout_split(labels, keys, 0.2, trained=learnt)
    assert not learnt & {keys[i] for i in held_now}
    assert learnt <= {keys[i] for i in train}


def test_every_taught_digit_keeps_a_training_drawing():
    # Whatever the keys, a digit with one drawing, or whose drawings would all be held out,
    # still has one to train on.
    for seed in range(50):
        keys = keys_for(6, prefix=f"s{seed}-")
        labels = np.array([0, 1, 1, 2, 2, 2])
        train, held = holdout_split(labels, keys, 0.9)
        assert set(labels[train]) == {0, 1, 2}
        assert 0 not in labels[held]
    assert len(holdout_split(np.arange(10), keys_for(10), 0.0)[1]) == 0
    with pytest.raises(DigitpadError):
        holdout_split(np.arange(10), keys_for(10), 1.0)
