"""Background work: results, progress, errors and cancelling arrive as signals on the GUI
thread, and no thread outlives its view."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from digitpad.errors import DigitpadError
from digitpad.gui.background import BackgroundTasks


@pytest.fixture
def tasks(qtbot):
    pool = BackgroundTasks()
    yield pool
    assert pool.wait(5000)


def test_a_function_returns_its_result_on_the_gui_thread(qtbot, tasks):
    seen = []
    gui = QThread.currentThread()
    task = tasks.start(lambda a, b: (threading.current_thread().name, a + b), 2, b=3)
    task.returned.connect(lambda value: seen.append((QThread.currentThread() is gui, value)))
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    ((on_gui, (worker, total)),) = seen
    assert on_gui and total == 5 and worker != threading.current_thread().name


def test_a_generator_reports_each_yield_then_its_return_value(qtbot, tasks):
    def work():
        yield from range(3)
        return "done"

    progress, results = [], []
    task = tasks.start(work)
    task.progressed.connect(progress.append)
    task.returned.connect(results.append)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert progress == [0, 1, 2] and results == ["done"]


def test_cancel_stops_a_generator_between_yields_and_runs_its_clean_up(qtbot, tasks):
    release = threading.Event()
    cleaned = threading.Event()

    def work():
        try:
            for i in range(1000):
                yield i
                release.wait(5)
        finally:
            cleaned.set()

    outcome = []
    task = tasks.start(work)
    task.returned.connect(lambda v: outcome.append("returned"))
    task.cancelled.connect(lambda: outcome.append("cancelled"))
    with qtbot.waitSignal(task.progressed, timeout=5000):
        pass  # the generator is running, held before its second yield
    task.cancel()
    release.set()
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert outcome == ["cancelled"] and cleaned.is_set()


def test_errors_arrive_as_messages_bugs_with_their_type(qtbot, tasks, caplog):
    def user_mistake():
        raise DigitpadError("mnist.npz: file not found")

    def bug():
        raise KeyError("x")

    messages = []
    for work in (user_mistake, bug):
        task = tasks.start(work)
        task.errored.connect(messages.append)
        with qtbot.waitSignal(task.finished, timeout=5000):
            pass
    assert messages == ["mnist.npz: file not found", "KeyError: 'x'"]
    assert "background work bug failed" in caplog.text  # the bug's traceback is kept


def test_wait_and_cancel_all_leave_no_thread_running(qtbot):
    pool = BackgroundTasks(max_threads=2)

    def work():
        while True:
            yield None

    running = [pool.start(work) for _ in range(2)]
    qtbot.waitUntil(lambda: all(task.started for task in running), timeout=5000)
    assert pool.busy
    pool.cancel_all()
    assert pool.wait(5000) and not pool.busy
    assert all(task.is_cancelled for task in running)


def test_work_not_started_when_the_view_closes_never_runs(qtbot):
    pool = BackgroundTasks()
    ran = threading.Event()
    task = pool.start(ran.set)
    assert pool.wait(5000)  # before the event loop turned: the task is dropped, not run
    qtbot.wait(50)
    assert task.is_cancelled and not ran.is_set()
