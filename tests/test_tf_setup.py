"""Training prints no TensorFlow chatter: no oneDNN banner, no info lines, no retracing."""

from __future__ import annotations

import os
import subprocess
import sys

_RUN = """
from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.training import train_to_end

data = load_mnist().subset(train=1_000, val=200)
# Different batch sizes and validation intervals retrace the compiled functions.
for batch, every in ((50, 7), (40, 3), (25, 0), (20, 11), (10, 13), (8, 0)):
    train_to_end(TrainConfig(hidden=(16,), epochs=1, batch_size=batch, validate_every=every), data)
print("done")
"""


def test_training_leaves_the_terminal_quiet():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    proc = subprocess.run(
        [sys.executable, "-c", _RUN], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr[-2000:]
    for chatter in ("oneDNN", "retracing", "cpu_feature_guard", "I0000"):
        assert chatter not in proc.stderr, proc.stderr[-2000:]
