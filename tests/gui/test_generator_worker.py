"""The one background helper: newest job wins, errors as one line, no thread left behind."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QThread

from digitpad.errors import DataError
from digitpad.gui.errors import error_message
from digitpad.gui.generator_worker import JobSlot, wait_for_jobs


def test_the_work_runs_off_the_gui_thread_and_its_last_item_is_the_result(qtbot):
    slot = JobSlot("test")
    threads = []

    def work():
        threads.append(QThread.currentThread())
        yield 1
        yield 2

    items = []
    slot.item.connect(items.append)
    with qtbot.waitSignal(slot.result, timeout=5000) as result:
        slot.start(work)
    assert result.args == [2]
    assert threads and threads[0] is not QThread.currentThread()
    qtbot.waitUntil(lambda: not slot.running, timeout=5000)
    assert items == [1, 2]
    assert slot.shutdown()


def test_a_newer_job_wins_and_the_older_result_never_arrives(qtbot):
    slot = JobSlot("test")
    release = threading.Event()
    results = []
    slot.result.connect(results.append)

    def slow():
        release.wait(5)
        return iter(["old"])

    slot.start(slow)
    with qtbot.waitSignal(slot.result, timeout=5000):
        slot.start(lambda: iter(["new"]))
    release.set()
    assert slot.wait(5000)
    qtbot.waitUntil(lambda: not slot.running, timeout=5000)
    qtbot.wait(50)  # time for a stale result to be (wrongly) delivered
    assert results == ["new"]
    assert slot.shutdown()


def test_wait_lets_the_job_finish_without_aborting_it(qtbot):
    slot = JobSlot("test")
    release = threading.Event()

    def work():
        release.wait(5)
        return iter(["done"])

    results = []
    slot.result.connect(results.append)
    slot.start(work)
    assert not slot.wait(0)  # still running: a zero wait says so
    release.set()
    assert slot.wait(5000)
    qtbot.waitUntil(lambda: results == ["done"], timeout=5000)
    assert not slot.running


def test_errors_come_as_one_readable_line(qtbot, capsys):
    slot = JobSlot("test")

    def user_error():
        raise DataError("mnist.npz: file not found")

    def bug():
        raise ValueError("bad shape")

    with qtbot.waitSignal(slot.failed, timeout=5000) as failed:
        slot.start(user_error)
    assert failed.args == ["mnist.npz: file not found"]
    assert "Traceback" not in capsys.readouterr().err  # the user's problem, not a bug
    with qtbot.waitSignal(slot.failed, timeout=5000) as failed:
        slot.start(bug)
    assert failed.args == ["ValueError: bad shape"] == [error_message(ValueError("bad shape"))]
    assert slot.wait(5000)
    assert "ValueError: bad shape" in capsys.readouterr().err  # a bug keeps its traceback
    assert slot.shutdown()


def test_a_job_outlives_its_deleted_slot_until_wait_for_jobs(qtbot):
    # The window closing mid-evaluation deletes the view and its slot while the thread runs:
    # the worker must stay alive (Qt aborts on destroying a running QThread) until waited for.
    slot = JobSlot("test")
    release = threading.Event()

    def work():
        release.wait(5)
        return iter([1])

    worker = slot.start(work)
    worker_ref = weakref.ref(worker)
    del worker, slot
    gc.collect()
    assert worker_ref() is not None and worker_ref().isRunning()
    release.set()
    assert wait_for_jobs(5000)
    worker = worker_ref()
    assert worker is None or worker.isFinished()  # released once it has ended
