"""Same seed, same model: in the app (one OpenBLAS thread) and on the command line (all cores).

The app sets OPENBLAS_NUM_THREADS=1 before NumPy loads (digitpad.cli._cmd_app); the command
line leaves OpenBLAS its default. Each side runs in its own process here, as they do for a user,
and trains the same short augmented, dropout run through ``train_to_end``, the function both
front ends drive; the two must end with bit-identical weights.
"""

from __future__ import annotations

import os
import subprocess
import sys

_RUN = """
import hashlib
from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.training import train_to_end

data = load_mnist().subset(train=3_000, val=300)
config = TrainConfig(hidden=(32,), epochs=2, augment=True, dropout=0.2, seed=11)
finished = train_to_end(config, data)
digest = hashlib.sha256()
for weights in finished.model.get_weights():
    digest.update(weights.tobytes())
print("WEIGHTS", digest.hexdigest(), finished.history.val_accuracy[-1])
"""


def _weights_digest(blas_threads: str) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": blas_threads, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUN], env=env, capture_output=True, text=True, timeout=600
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("WEIGHTS")]
    assert proc.returncode == 0 and lines, proc.stderr[-2000:]
    return lines[0]


def test_one_blas_thread_and_two_train_the_same_weights():
    assert _weights_digest("1") == _weights_digest("2")
