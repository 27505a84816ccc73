"""The engine cache: a free engine of the right shape is reused, never shared by two runs."""

from __future__ import annotations

import threading
import time

from digitpad.config import TrainConfig
from digitpad.training import engine as engine_module


class _FakeEngine:
    """Stands in for the TensorFlow engine: only what engine_for touches."""

    key_of = staticmethod(engine_module.Engine.key_of)

    def __init__(self, config: TrainConfig) -> None:
        self.key = self.key_of(config)
        self.in_use = False

    def prepare(self, config: TrainConfig, data: object) -> None:
        pass

    def release(self) -> None:
        with engine_module._engine_lock:
            self.in_use = False


class _YieldingLock:
    """A lock that lets the other thread run right after each release: it opens the window
    between a check made under the lock and an action taken after it, as bad luck would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        time.sleep(0.01)


def test_two_runs_starting_at_once_never_share_an_engine(monkeypatch):
    monkeypatch.setattr(engine_module, "Engine", _FakeEngine)
    monkeypatch.setattr(engine_module, "_last_engine", None)
    monkeypatch.setattr(engine_module, "_engine_lock", _YieldingLock())
    config = TrainConfig()
    free = engine_module.engine_for(config, None)
    free.release()
    got: list[object] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        barrier.wait()
        got.append(engine_module.engine_for(config, None))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got[0] is not got[1], "two concurrent runs were given the same engine"
    assert free in got and all(engine.in_use for engine in got)


def test_a_free_engine_of_the_same_shape_is_reused(monkeypatch):
    monkeypatch.setattr(engine_module, "Engine", _FakeEngine)
    monkeypatch.setattr(engine_module, "_last_engine", None)
    first = engine_module.engine_for(TrainConfig(), None)
    first.release()
    assert engine_module.engine_for(TrainConfig(seed=4, epochs=2), None) is first
    first.release()
    assert engine_module.engine_for(TrainConfig(hidden=(50,)), None) is not first
