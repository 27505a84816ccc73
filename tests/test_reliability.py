"""Faults and bad input in the core: killed saves, random bytes, vanished folders."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitpad.data import read_idx, read_npz
from digitpad.errors import DataError, DigitpadError, StoreError
from digitpad.inference import predictor_from_folder
from digitpad.store import ModelStore, check_model_folder

SAVER = textwrap.dedent(
    """
    import sys
    from digitpad.config import TrainConfig
    from digitpad.model import build_model
    from digitpad.store import ModelStore

    store = ModelStore(sys.argv[1])
    model = build_model(TrainConfig(hidden=(300, 300)))
    generation = 0
    while True:
        generation += 1
        store.save("m", model, {"generation": generation}, overwrite=True)
        print(generation, flush=True)
    """
)


@pytest.mark.slow  # ~34 s: many saves, each killed at a different moment
def test_sigkill_mid_save_never_leaves_a_half_written_model(tmp_path):
    """Kill a process that saves over and over: the model is always the old or the new one."""
    root = tmp_path / "store"
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(root)], stdout=subprocess.PIPE, text=True
        )
        saver.stdout.readline()  # the first save has completed: TensorFlow is warm
        time.sleep(delay)  # not a wait for a result: a random moment to kill it
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=30)
        saver.stdout.close()
        store = ModelStore(root)
        infos = store.list()
        assert [info.name for info in infos] == ["m"], infos
        assert infos[0].ok, infos[0].problem
        check_model_folder(root / "m")
        assert predictor_from_folder(root / "m").layers


def test_interrupted_overwrite_is_recovered(tmp_path):
    """The one moment with no NAME/ folder: the old model aside is put back."""
    from digitpad.config import TrainConfig
    from digitpad.model import build_model

    store = ModelStore(tmp_path)
    store.save("m", build_model(TrainConfig(hidden=(8,))), {})
    os.replace(tmp_path / "m", tmp_path / ".m.old-12345")
    assert [info.name for info in store.list()] == ["m"]
    assert store.list()[0].ok


def test_store_folder_that_cannot_be_created(tmp_path):
    from digitpad.config import TrainConfig
    from digitpad.model import build_model

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot write here"):
        ModelStore(blocker / "store").save("m", build_model(TrainConfig(hidden=(8,))), {})


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_store_folder(tmp_path):
    from digitpad.config import TrainConfig
    from digitpad.model import build_model

    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError):
            ModelStore(tmp_path / "store").save("m", build_model(TrainConfig(hidden=(8,))), {})
    finally:
        tmp_path.chmod(0o700)


def test_store_folder_removed_mid_save(tmp_path, monkeypatch):
    """The store disappears while the model is being written: a clear error, nothing left."""
    import shutil

    from digitpad import store as store_module
    from digitpad.config import TrainConfig
    from digitpad.model import build_model

    root = tmp_path / "store"
    real = store_module._write_weights

    def write_then_vanish(path, pairs):
        real(path, pairs)
        shutil.rmtree(root)

    monkeypatch.setattr(store_module, "_write_weights", write_then_vanish)
    with pytest.raises(StoreError, match="could not save"):
        ModelStore(root).save("m", build_model(TrainConfig(hidden=(8,))), {})
    assert not root.exists() or ModelStore(root).list() == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600))
def test_idx_reader_on_random_bytes(tmp_path, payload):
    path = tmp_path / "random-idx"
    path.write_bytes(payload)
    try:
        array = read_idx(path)
    except DataError as exc:
        assert str(path) in str(exc)
    else:
        assert array.dtype == np.uint8


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600), st.booleans())
def test_npz_reader_on_random_bytes(tmp_path, payload, as_zip):
    path = tmp_path / "random.npz"
    if as_zip:  # random bytes inside a valid zip: the .npy members themselves are garbage
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for key in ("x_train", "y_train", "x_test", "y_test"):
                archive.writestr(f"{key}.npy", payload)
        payload = buffer.getvalue()
    path.write_bytes(payload)
    with pytest.raises(DataError) as info:
        read_npz(path)
    assert str(path) in str(info.value)


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header claims ``width`` x ``height`` but holds no pixels (a 1.6 GB image
    is not needed to test that one is refused before it is decoded)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\x00" * 64))  # far too few rows: never decoded
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + pixels + chunk(b"IEND", b""))


def test_a_huge_image_is_refused_before_decoding(tmp_path):
    from digitpad.image_files import read_grayscale

    huge = tmp_path / "huge.png"
    _png_header_only(huge, 20_000, 20_000)
    with pytest.raises(DigitpadError, match="too large"):
        read_grayscale(huge)


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.png", b""), ("text.png", b"hello, not an image"), ("cut.png", b"\x89PNG\r\n")],
)
def test_files_that_are_not_images(tmp_path, name, content):
    from digitpad.image_files import read_grayscale

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DigitpadError, match="not a readable image"):
        read_grayscale(path)
