"""Test hygiene shared by every test: offscreen Qt, and no thread, job or window left behind."""
from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail a test that leaves a Python thread, a pool task or a bridge job running."""
    before = set(threading.enumerate())
    yield
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    leaks = []
    if QApplication.instance() is not None:
        from explorer import workers

        pool = QThreadPool.globalInstance()
        if not pool.waitForDone(3000):
            leaks.append(f"{pool.activeThreadCount()} thread-pool task(s) still running")
        QApplication.processEvents()
        jobs = workers.active_jobs()
        if jobs:
            leaks.append(f"jobs still active: {[j.name for j in jobs]}")
            workers.shutdown(3000)
    # A _DummyThread stands for a thread Python did not start (an idle Qt pool thread that ran
    # Python code); the pool check above covers those.
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
             and not isinstance(t, threading._DummyThread)]
    if extra:
        leaks.append(f"threads left running: {[t.name for t in extra]}")
    assert not leaks, "; ".join(leaks)
