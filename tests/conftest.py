"""Shared test set-up: Qt runs offscreen, and no test may leave a thread running."""

from __future__ import annotations

import os
import tempfile
import threading

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never touch the real user's models or settings.
_sandbox = tempfile.mkdtemp(prefix="digitpad-tests-")
os.environ["DIGITPAD_STORE"] = os.path.join(_sandbox, "store")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_sandbox, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_sandbox, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_sandbox, "cache")  # the XLA compilation cache
os.environ["DIGITPAD_SETTINGS"] = os.path.join(_sandbox, "settings.ini")


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail a test that leaves one of its own threads running (TensorFlow's pool excepted)."""
    before = set(threading.enumerate())
    yield
    deadline = 5.0
    leftover = []
    for thread in set(threading.enumerate()) - before:
        if thread.daemon and not thread.name.startswith("digitpad"):
            continue
        thread.join(timeout=deadline)
        if thread.is_alive():
            leftover.append(thread.name)
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture(scope="session")
def mnist():
    """The bundled MNIST, loaded and verified once for the whole run (read-only: share it)."""
    from digitpad.data import load_mnist

    return load_mnist()


@pytest.fixture
def user_store(tmp_path, monkeypatch):
    """A fresh, empty user model store for the test (never the real one)."""
    path = tmp_path / "store"
    monkeypatch.setenv("DIGITPAD_STORE", str(path))
    return path
