"""digitpad export: each format is loaded back and checked against the stored model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitpad import export
from digitpad.cli import main
from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.export import ExportError, export_model
from digitpad.inference import predictor_from_folder
from digitpad.model import build_model
from digitpad.store import ModelStore


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A small untrained-but-random 784-24-10 tanh model in a store of its own."""
    root = tmp_path_factory.mktemp("store")
    config = TrainConfig(hidden=(24,), activation="tanh", init="glorot", seed=2)
    model = build_model(config)
    folder = ModelStore(root).save("small", model, {"config": config.to_dict()})
    return folder


@pytest.fixture(scope="module")
def test_images():
    return load_mnist().test.x[:300]


@pytest.mark.parametrize("fmt", ["npz", "savedmodel", "tflite"])
def test_each_format_round_trips(small_model, test_images, tmp_path, fmt):
    target = tmp_path / f"out{export.SUFFIX[fmt]}"
    report = export_model(small_model, fmt, target, test_images)
    assert report.path == target and target.exists()
    assert report.images_checked == 300 and report.same_answers == 300
    assert report.max_difference <= export.TOLERANCE[fmt]
    # Nothing but the export (and the npz's layout page) is left beside it.
    expected = {target.name} | ({"out.md"} if fmt == "npz" else set())
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_npz_is_plain_numpy_with_a_layout_page(small_model, test_images, tmp_path):
    target = tmp_path / "w.npz"
    export_model(small_model, "npz", target, test_images)
    weights = np.load(target, allow_pickle=False)
    assert sorted(weights.files) == ["activation", "bias0", "bias1", "kernel0", "kernel1"]
    assert weights["kernel0"].shape == (784, 24) and str(weights["activation"]) == "tanh"
    # The page's own recipe, run as written, gives the stored model's answers.
    page = (tmp_path / "w.md").read_text()
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    x = test_images[:50].reshape(50, -1)
    scope = {"x": x}
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(code, scope)  # noqa: S102 - the page's example is the thing under test
    finally:
        os.chdir(cwd)
    expected = predictor_from_folder(small_model).predict_proba(test_images[:50])
    np.testing.assert_allclose(scope["probabilities"], expected, atol=1e-5)


def test_a_mismatch_writes_nothing(small_model, test_images, tmp_path, monkeypatch):
    def broken_read(path, images):
        return np.full((len(images), 10), 0.1)

    monkeypatch.setitem(export._WRITERS, "npz", (export._write_npz, broken_read))
    with pytest.raises(ExportError, match="does not match"):
        export_model(small_model, "npz", tmp_path / "bad.npz", test_images)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_target_is_kept_unless_overwrite(small_model, test_images, tmp_path):
    target = tmp_path / "keep.npz"
    target.write_bytes(b"mine")
    with pytest.raises(ExportError, match="already exists"):
        export_model(small_model, "npz", target, test_images)
    assert target.read_bytes() == b"mine"
    export_model(small_model, "npz", target, test_images, overwrite=True)
    assert np.load(target)["kernel0"].shape == (784, 24)


def test_cli_export_json_and_bad_input(capsys, small_model, tmp_path):
    target = tmp_path / "m.npz"
    code = main(["export", str(small_model), "--format", "npz", "--to", str(target), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["path"] == str(target) and out["same_answers"] == 1000
    assert out["max_difference"] <= 1e-5
    for args, words in [
        (["export", "no-such-model", "--format", "npz"], "no model named"),
        (["export", str(small_model), "--format", "npz", "--to", "/no/such/dir/m.npz"], "no such"),
        (["export", str(small_model), "--format", "npz", "--to", str(target)], "already exists"),
    ]:
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err
