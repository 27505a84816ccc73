"""The leading-edge throttle behind the Train tab's progress line and the charts' redraws."""

from PySide6.QtCore import QObject

from digitpad.gui.throttle import Throttle

OWNER = QObject()  # the throttles' parent, alive for the whole module


def make(calls: list[int], interval_ms: int = 50) -> Throttle:
    return Throttle(interval_ms, lambda: calls.append(len(calls)), OWNER)


def test_the_first_request_runs_at_once_and_later_ones_fold_into_one(qtbot):
    calls: list[int] = []
    throttle = make(calls)
    throttle.request()
    assert calls == [0]  # no event loop needed: shown at once
    throttle.request()
    throttle.request()
    assert calls == [0] and throttle.pending  # no event loop ran: the interval has not ended
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
    assert not throttle.pending
    qtbot.wait(150)
    assert len(calls) == 2  # two requests in one interval: one call, not two


def test_flush_runs_a_waiting_request_now_and_cancel_forgets_it(qtbot):
    calls: list[int] = []
    throttle = make(calls, interval_ms=10_000)
    throttle.flush()
    assert calls == []  # nothing waiting: nothing to run
    throttle.request()
    throttle.request()
    throttle.flush()
    assert calls == [0, 1] and not throttle.pending
    throttle.request()
    throttle.cancel()
    assert not throttle.pending
    throttle.request()  # after cancel the next request is a first one again
    assert calls == [0, 1, 2]
