"""Process-wide TensorFlow settings for the training process, set before TensorFlow loads.

Kept apart from the engine: these are choices about the process (logs, XLA's compilation
cache, threads), not about the model. Measured on the 2-core machine (benchmarks/README.md,
"start_latency.py"); the environment variables below let a benchmark compare the choices.
"""

from __future__ import annotations

import os
from pathlib import Path

from digitpad.config import TrainConfig

XLA_CACHE_ENV = "DIGITPAD_XLA_CACHE"
"""``1`` turns XLA's persistent compilation cache on (off by default, see below)."""
THREADS_ENV = "DIGITPAD_TRAIN_THREADS"
"""A number of intra-op threads for every training process (default: chosen per shape)."""


def xla_cache_dir() -> Path:
    """Where compiled training steps are kept between sessions: the user's cache folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "digitpad" / "xla"


ONE_THREAD_BELOW = 400_000
"""Networks with fewer weights than this train faster on one intra-op thread: their products
are too small to split over two cores (``tutorial``, 159,010 weights: +23% steady speed), while
bigger ones (``best``, 1.28 million) are as fast or faster on two."""


def threads_for(config: TrainConfig) -> int:
    """The intra-op thread count to train ``config`` with (0: TensorFlow's default)."""
    override = os.environ.get(THREADS_ENV)
    if override:
        return int(override)
    widths = (784, *config.hidden, 10)
    weights = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    return 1 if weights < ONE_THREAD_BELOW else 0


def configure_tensorflow(threads: int = 0) -> None:
    """Quiet TensorFlow's info logs, enable XLA's cache, set ``threads`` (0: TensorFlow's
    choice). Call before TensorFlow is imported: threads are fixed once its runtime starts."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Off by default. It would save the warm-up ~0.5 s per shape (the compile, 0.81 -> 0.31 s
    # on a quiet machine), but the warm-up runs before anyone presses Start, so nobody waits
    # for it; and loading a cached entry logs two ERROR lines (TF 2.21: a text-format parse
    # error, and "machine feature +prefer-no-scatter not supported ... could lead to SIGILL"
    # even on the machine that wrote it), a real risk where a home folder is shared.
    if os.environ.get(XLA_CACHE_ENV) == "1":
        _enable_xla_cache(xla_cache_dir())
    from digitpad.tf_setup import quiet_tensorflow

    # Imported here, at start-up, quietly (no oneDNN banner in the user's terminal).
    tf = quiet_tensorflow()
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)


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
