"""Same seed, same model through the app's training worker and through ``digitpad train``.

Each side runs in its own process, as for a user: the app's side with one OpenBLAS thread (what
``digitpad app`` sets before NumPy loads) through the GUI's :class:`TrainWorker`, the command
line's with two, on the same small MNIST file, with augmentation and dropout. The weights must
be bit-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.data import load_mnist

SETTINGS = {"hidden": "32", "epochs": "2", "augment": "true", "dropout": "0.2", "seed": "11"}

_APP_SIDE = """
import hashlib, sys
from PySide6.QtWidgets import QApplication
from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.gui.train_worker import TrainWorker

app = QApplication([])
config = TrainConfig(hidden=(32,), epochs=2, augment=True, dropout=0.2, seed=11)
worker = TrainWorker(config, lambda: load_mnist(sys.argv[1], verify=False))
results = []
worker.result.connect(results.append)
worker.failed.connect(lambda message: print("FAILED", message))
worker.done.connect(app.quit)
worker.start()
app.exec()
worker.wait()
digest = hashlib.sha256()
for kernel, bias in results[0].predictor.layers:
    digest.update(kernel.astype("float32").tobytes())
    digest.update(bias.astype("float32").tobytes())
print("WEIGHTS", digest.hexdigest())
"""


def _env(blas_threads: str) -> dict[str, str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": blas_threads, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


@pytest.fixture(scope="module")
def small_mnist(tmp_path_factory) -> Path:
    mnist = load_mnist()
    path = tmp_path_factory.mktemp("data") / "small.npz"
    as_bytes = {
        name: (split.x[:count] * 255).round().astype(np.uint8).reshape(-1, 28, 28)
        for name, split, count in (("train", mnist.train, 4_000), ("test", mnist.test, 1_000))
    }
    np.savez(
        path,
        x_train=as_bytes["train"],
        y_train=mnist.train.y[:4_000],
        x_test=as_bytes["test"],
        y_test=mnist.test.y[:1_000],
    )
    return path


def test_the_app_worker_and_the_cli_train_the_same_weights(small_mnist, tmp_path):
    from digitpad.inference import load_predictor

    app = subprocess.run(
        [sys.executable, "-c", _APP_SIDE, str(small_mnist)],
        env=_env("1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in app.stdout.splitlines() if line.startswith("WEIGHTS")]
    assert app.returncode == 0 and lines, app.stdout[-1000:] + app.stderr[-2000:]

    # On/off settings are switches on the command line (--augment), the others take a value.
    flags = [
        item
        for name, value in SETTINGS.items()
        for item in ((f"--{name}",) if value == "true" else (f"--{name}", value))
    ]
    command = [sys.executable, "-m", "digitpad", "train", "--data", str(small_mnist)]
    command += ["--no-verify", "--store", str(tmp_path / "store"), "--name", "cli", "--json"]
    cli = subprocess.run(
        command + flags, env=_env("2"), capture_output=True, text=True, timeout=600
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    folder = json.loads(cli.stdout.strip().splitlines()[-1])["path"]
    digest = hashlib.sha256()
    for kernel, bias in load_predictor(folder).layers:
        digest.update(kernel.astype("float32").tobytes())
        digest.update(bias.astype("float32").tobytes())
    assert lines[0] == f"WEIGHTS {digest.hexdigest()}"
