"""Fault drills at full length (not a test; not in CI; CI runs a few rounds of each):

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_reliability.py

1. Close the window at 20 random moments of training, each in its own process: aborts, "Destroyed
   while thread is still running" messages, and the time the close took.
2. 50 start/stop cycles of training in one window: Python thread count and resident memory before
   and after, and how long each Stop took to give the model back.
3. Kill a process 20 times while it keeps re-saving a model, and 20 times while it keeps re-saving
   a session: does the folder still load, does the session file still open?
"""
from __future__ import annotations

import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from tests.explorer.conftest import planted_corpus  # noqa: E402
from tests.explorer.reliability import (close_during_training, kill_during_save,  # noqa: E402
                                        kill_during_session_save)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drill_close(tmp: Path, rng, rounds: int = 20) -> None:
    corpus = planted_corpus(tmp / "close.txt", lines=3000)
    ends = [close_during_training(corpus, float(d)) for d in rng.uniform(0.0, 4.0, size=rounds)]
    aborts = sum(e["code"] != 0 for e in ends)
    bad = sum(bool(e["bad"]) for e in ends)
    slowest = max(e["close_seconds"] for e in ends)
    during = sum(e["trained_before_close"] for e in ends)
    print(f"close at {rounds} random moments ({during} during training): {aborts} aborts, "
          f"{bad} with thread warnings or tracebacks, slowest close {slowest:.2f} s")


def drill_cycles(tmp: Path, cycles: int = 50) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from explorer import workers
    from explorer.main_window import MainWindow
    from explorer.tuning import tune_window

    tune_window()                   # the window's start-up settings, as the app makes them
    app = QApplication.instance() or QApplication([])

    def wait(signal, timeout_s=60.0):
        loop, got = QEventLoop(), []
        signal.connect(lambda *a: (got.append(a), loop.quit()))
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        return got

    w = MainWindow(corpus_path=planted_corpus(tmp / "cycles.txt", lines=3000), warm_up=False)
    w.show()
    wait(w.corpus_loaded)
    w.panel.form.set_value("min_count", 1)
    w.panel.form.set_value("epochs", 1000)
    stops = []

    def cycle():
        w.panel.train_button.click()
        wait(w.jobs["train"].progress)
        t0 = time.perf_counter()
        w.panel.stop_button.click()
        wait(w.model_ready)
        stops.append(time.perf_counter() - t0)
        w.jobs.get("projection") and wait(w.jobs["projection"].ended)

    cycle()                                      # the first cycle loads and compiles what the rest reuse
    threads0, rss0 = threading.active_count(), rss_mb()
    for _ in range(cycles - 1):
        cycle()
    workers.shutdown(2000)
    app.processEvents()
    print(f"{cycles} start/stop cycles: Python threads {threads0} -> {threading.active_count()}, "
          f"resident memory {rss0:.0f} -> {rss_mb():.0f} MB ({rss_mb() - rss0:+.0f} MB), "
          f"Stop to model: median {np.median(stops) * 1000:.0f} ms, slowest {max(stops) * 1000:.0f} ms")
    w.close()


def drill_kill(tmp: Path, rng, rounds: int = 20) -> None:
    ok = sum(kill_during_save(tmp / "model", float(d)) for d in rng.uniform(0.2, 3.0, size=rounds))
    print(f"killed during saves {rounds} times: the model folder loaded {ok}/{rounds} times")
    ok = sum(kill_during_session_save(tmp / "s.eesession", float(d)) for d in rng.uniform(0.2, 3.0, size=rounds))
    print(f"killed during session saves {rounds} times: the session file opened {ok}/{rounds} times")


def main() -> int:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        drill_close(tmp, rng)
        drill_cycles(tmp)
        drill_kill(tmp, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
