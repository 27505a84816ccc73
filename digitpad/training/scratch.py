"""A temporary folder of the training process's own, removed by the app when the process ends.

TensorFlow's autograph writes each converted function to ``__autograph_generated_file*.py`` in
the temporary folder and removes it only at a normal exit. A training process that is ended
(a Stop while it is busy, a crash, the app killed) leaves them behind: a few per process,
hundreds in ``/tmp`` after a day of tests. So each process writes into a folder of its own,
which the app removes once the process is gone, and folders whose app is gone are swept
when the next training process starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "digitpad-trainer-"
OWNER = "owner"
"""The file in each folder that holds the pid of the app that made it."""


def make_scratch() -> Path | None:
    """A new, empty folder for one training process, marked with this process's pid (None
    if the temporary folder is not writable: training does not need one of its own)."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (folder / OWNER).write_text(str(os.getpid()), encoding="ascii")
    except OSError:
        return None
    return folder


def use_scratch(folder: Path | None) -> None:
    """In the training process, before TensorFlow loads: temporary files go to ``folder``."""
    if folder is None:
        return
    os.environ["TMPDIR"] = str(folder)  # TensorFlow's C++ side
    tempfile.tempdir = str(folder)  # already cached by Python: set it too


def remove_scratch(folder: Path | None) -> None:
    """Remove a training process's folder (it has ended); never raises."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_scratch(root: Path | None = None) -> int:
    """Remove the folders left by apps that are no longer running; how many were removed.
    POSIX only: elsewhere ``os.kill(pid, 0)`` is no question but an order to end."""
    if os.name != "posix":
        return 0
    root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = 0
    with contextlib.suppress(OSError):
        for folder in root.glob(PREFIX + "*"):
            if folder.is_dir() and not _owner_alive(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed += not folder.exists()
    return removed


def _owner_alive(folder: Path) -> bool:
    try:
        pid = int((folder / OWNER).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return True  # not ours to judge: leave it
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, another user's
    return True
