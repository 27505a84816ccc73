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


def threads_for(config: TrainConfig) -> int:
    """The intra-op thread count to train ``config`` with (0: TensorFlow's default, one per
    core), unless ``DIGITPAD_TRAIN_THREADS`` says otherwise.

    Measured on the 2-core machine with nothing else running (tutorial's loop, 4 epochs, fresh
    processes in turn, three each; benchmarks/README.md "start_latency.py"): two threads beat
    one for every shape, 784-50-30-10 by ~35%, ``tutorial`` (784-200-10) by ~40% and ``best``
    (800-800) by ~75%. One thread won (+23% on ``tutorial``) only while other programs kept the
    cores busy; a user's machine is mostly idle, so every shape gets all cores, and a change of
    shape never has to replace a warm process for another thread count.
    """
    del config  # one answer for every shape today; the question stays per shape
    override = os.environ.get(THREADS_ENV)
    return int(override) if override else 0


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
