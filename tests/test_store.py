import json
import os

import numpy as np
import pytest

from digitpad import store as store_module
from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.errors import StoreError
from digitpad.inference import load_predictor, predictor_from_folder, predictor_from_model
from digitpad.store import ModelStore, find_model, list_models, load_keras_model, run_meta
from digitpad.training import train_to_end


@pytest.fixture(scope="module")
def trained():
    data = load_mnist().subset(train=3_000, val=500)
    config = TrainConfig(hidden=(64, 32), epochs=1, dropout=0.1, seed=1)
    finished = train_to_end(config, data)
    return finished, run_meta(finished, data.sha256)


def test_round_trip_gives_the_same_predictions(tmp_path, trained):
    finished, meta = trained
    store = ModelStore(tmp_path)
    folder = store.save("small", finished.model, meta)
    images = load_mnist().test.images[:200]
    expected = predictor_from_model(finished.model).predict_proba(images)
    # The NumPy predictor (no TensorFlow) and Keras agree to float32 rounding.
    predictor = predictor_from_folder(folder)
    np.testing.assert_allclose(predictor.predict_proba(images), expected, atol=1e-5)
    keras_model = load_keras_model(folder)
    from digitpad.evaluation import softmax

    keras_probs = softmax(np.asarray(keras_model(images.reshape(-1, 784), training=False)))
    np.testing.assert_allclose(keras_probs, expected, atol=1e-5)
    saved = json.loads((folder / "meta.json").read_text())
    assert saved["config"]["hidden"] == [64, 32]
    assert saved["metrics"]["test_accuracy"] == finished.evaluation.accuracy
    assert saved["data_sha256"] == meta["data_sha256"]
    assert saved["history"]["val_accuracy"] and saved["versions"]["tensorflow"]
    assert [info.name for info in store.list()] == ["small"]


def test_plain_keras_opens_the_saved_file(tmp_path, trained):
    import keras

    folder = ModelStore(tmp_path).save("plain", trained[0].model, trained[1])
    model = keras.models.load_model(folder / "model.keras")
    assert model.output_shape == (None, 10)


def test_numpy_parity_with_keras_for_each_activation(tmp_path):
    from digitpad.model import build_model

    images = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    for activation in ("relu", "tanh", "sigmoid"):
        config = TrainConfig(hidden=(40, 20), activation=activation, init="glorot")
        model = build_model(config)
        predictor = predictor_from_model(model, meta={"config": config.to_dict()})
        from digitpad.evaluation import softmax

        expected = softmax(np.asarray(model(images, training=False)))
        np.testing.assert_allclose(predictor.predict_proba(images), expected, atol=1e-5)


def test_failed_save_leaves_the_store_as_it_was(tmp_path, trained, monkeypatch):
    store = ModelStore(tmp_path)
    store.save("keep", trained[0].model, trained[1])
    before = sorted(p.name for p in tmp_path.rglob("*"))

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "_write_weights", explode)
    with pytest.raises(StoreError, match="No space left"):
        store.save("new", trained[0].model, trained[1])
    with pytest.raises(StoreError, match="No space left"):
        store.save("keep", trained[0].model, trained[1], overwrite=True)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert predictor_from_folder(tmp_path / "keep").layers


def test_overwrite_and_duplicate_names(tmp_path, trained):
    store = ModelStore(tmp_path)
    store.save("m", trained[0].model, trained[1])
    with pytest.raises(StoreError, match="already exists"):
        store.save("m", trained[0].model, trained[1])
    store.save("m", trained[0].model, {**trained[1], "note": "second"}, overwrite=True)
    assert json.loads((tmp_path / "m" / "meta.json").read_text())["note"] == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "x" * 65, "spaces here", "../up"])
def test_bad_names(tmp_path, trained, name):
    with pytest.raises(StoreError, match="not a valid model name"):
        ModelStore(tmp_path).save(name, trained[0].model, trained[1])


def test_broken_models_are_listed_as_broken(tmp_path, trained):
    store = ModelStore(tmp_path)
    for name in ("good", "no-meta", "bad-json", "future", "no-weights", "cut-weights"):
        store.save(name, trained[0].model, trained[1])
    (tmp_path / "no-meta" / "meta.json").unlink()
    (tmp_path / "bad-json" / "meta.json").write_text("{not json")
    meta = json.loads((tmp_path / "future" / "meta.json").read_text())
    (tmp_path / "future" / "meta.json").write_text(json.dumps({**meta, "version": 99}))
    (tmp_path / "no-weights" / "weights.npz").unlink()
    weights = tmp_path / "cut-weights" / "weights.npz"
    weights.write_bytes(weights.read_bytes()[:1000])
    infos = {info.name: info for info in store.list()}
    assert infos["good"].ok
    assert "no meta.json" in infos["no-meta"].problem
    assert "unreadable" in infos["bad-json"].problem
    assert "version 99" in infos["future"].problem
    assert "weights.npz is missing" in infos["no-weights"].problem
    with pytest.raises(StoreError, match="unreadable weights"):
        predictor_from_folder(tmp_path / "cut-weights")


def test_read_only_store_refuses_to_write(tmp_path, trained):
    with pytest.raises(StoreError, match="read-only"):
        ModelStore(tmp_path, writable=False).save("x", trained[0].model, trained[1])


def test_delete(tmp_path, trained):
    store = ModelStore(tmp_path)
    store.save("gone", trained[0].model, trained[1])
    store.delete("gone")
    assert store.list() == []
    with pytest.raises(StoreError, match="no model named"):
        store.delete("gone")


def test_bundled_default_model_loads_without_a_user_store(user_store):
    predictor = load_predictor()
    assert predictor.name == "default"
    assert predictor.test_accuracy >= 0.97
    assert any(info.name == "default" and info.bundled for info in list_models())
    with pytest.raises(StoreError, match="no model named 'missing'"):
        find_model("missing")


def test_user_model_is_found_by_name(user_store, trained):
    ModelStore(user_store).save("mine", trained[0].model, trained[1])
    assert find_model("mine") == user_store / "mine"
    assert load_predictor("mine").name == "mine"
    assert load_predictor(str(user_store / "mine")).name == "mine"


def test_the_bundled_names_are_reserved_in_a_user_store(user_store, trained):
    store = ModelStore(user_store)
    for name in ("default", "Default"):
        with pytest.raises(StoreError, match="comes with digitpad"):
            store.save(name, trained[0].model, trained[1])
    assert not (user_store / "default").exists()
    with pytest.raises(StoreError, match="comes with digitpad"):
        store_module.check_save_name("default")
    assert store_module.check_save_name("default-2") == "default-2"


def test_an_old_user_default_neither_hides_the_bundled_one_nor_disappears(user_store, trained):
    # An older digitpad let the user save as "default": that folder exists in real stores.
    ModelStore(user_store).save("mine", trained[0].model, trained[1])
    (user_store / "mine").rename(user_store / "default")

    assert find_model("default") != user_store / "default"
    assert find_model(None) == find_model("default")
    assert load_predictor().test_accuracy >= 0.97  # the bundled model, not the 1-epoch one
    infos = [(info.name, info.bundled, info.shadowed) for info in list_models()]
    assert ("default", False, True) in infos and ("default", True, False) in infos
    assert load_predictor(str(user_store / "default")).test_accuracy < 0.97
    assert (user_store / "default" / "model.keras").is_file()


def test_a_file_is_not_a_store(tmp_path):
    not_a_store = tmp_path / "file.txt"
    not_a_store.write_text("x")
    with pytest.raises(StoreError, match="not a model store"):
        list_models(not_a_store)
    with pytest.raises(StoreError, match="not a model store"):
        ModelStore(not_a_store).check_writable()


def test_check_writable_creates_the_store_and_leaves_nothing(tmp_path):
    store = ModelStore(tmp_path / "new" / "store")
    store.check_writable()
    assert store.root.is_dir() and list(store.root.iterdir()) == []


def test_check_writable_refuses_a_place_under_a_file(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(StoreError, match="cannot save models here"):
        ModelStore(tmp_path / "file.txt" / "store").check_writable()


def test_check_writable_refuses_a_folder_it_cannot_write(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions do not stop writes")
        with pytest.raises(StoreError, match="cannot save models here"):
            ModelStore(locked).check_writable()
    finally:
        locked.chmod(0o700)


def test_a_folder_with_an_unusable_name_is_listed_with_the_reason(user_store, trained):
    ModelStore(user_store).save("mine", trained[0].model, trained[1])
    (user_store / "mine").rename(user_store / "my model")
    infos = {info.name: info for info in list_models()}
    assert "my model" in infos and not infos["my model"].ok
    assert "rename the folder" in infos["my model"].problem
