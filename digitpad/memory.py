"""Keep the window's process small: big freed blocks go back to the system at once.

glibc serves an allocation of 128 KB or more with its own mmap and unmaps it when freed, but
after the first such free it raises that threshold (up to 32 MB) and serves later big blocks
from its heaps, where freed memory mostly stays with the process. The window allocates many
such blocks that live briefly (each chart image, the weight snapshots of a run, the batches of
the evaluations), in several threads, each with its own heap: measured with
benchmarks/start_latency.py, the app grew to 420-450 MB after a ``best`` run with the moving
threshold and stayed at 310 MB with it fixed. The training process lives as long and frees the
epochs, snapshots and evaluations of each run: it does the same.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def return_big_blocks_to_the_system(
    threshold: int = MMAP_THRESHOLD, trim_threshold: int | None = None
) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (and, if given, the free memory at the
    top of a heap that is kept rather than given back: fixing the first sets the second to
    128 KB, which makes a process that frees and reallocates many medium blocks fault their
    pages in again and again); whether it could be done (False off Linux or without glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if trim_threshold is not None and not mallopt(M_TRIM_THRESHOLD, trim_threshold):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
