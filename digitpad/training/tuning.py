"""Process-wide TensorFlow settings for the training process, set before TensorFlow loads.

Kept apart from the engine: these are choices about the process (logs, XLA's compilation
cache, threads), not about the model. Measured on the 2-core machine (benchmarks/README.md,
"Training process"); the environment variables below let a benchmark compare the choices.
"""

from __future__ import annotations

import os
from pathlib import Path

XLA_CACHE_ENV = "DIGITPAD_XLA_CACHE"
"""``0`` turns the persistent XLA compilation cache off (for measuring it)."""
THREADS_ENV = "DIGITPAD_TRAIN_THREADS"
"""A number of intra-op threads for the training process (default: TensorFlow's choice)."""


def xla_cache_dir() -> Path:
    """Where compiled training steps are kept between sessions: the user's cache folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "digitpad" / "xla"


def configure_tensorflow() -> None:
    """Quiet TensorFlow's info logs and apply the cache and thread choices; call before import."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get(XLA_CACHE_ENV, "1") != "0":
        _enable_xla_cache(xla_cache_dir())
    threads = os.environ.get(THREADS_ENV)
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(int(threads))


def _enable_xla_cache(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # no cache is slower, not wrong
    # Keyed by the compiled program (so by shape): a new network compiles once, ever.
    flag = f"--tf_xla_persistent_cache_directory={folder}"
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" not in flags:
        os.environ["TF_XLA_FLAGS"] = f"{flags} {flag}".strip()
