"""GUI responsiveness figures (not a test; not in CI).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py

1. Event-loop stalls while training skip-gram on the bundled corpus: a 10 ms QTimer probe records
   the longest gap between ticks (target: under 50 ms). ``--stall-runs N`` trains N times: the
   first as soon as the corpus is loaded, with the start-up warm-up in flight, the others after it.
2. UMAP of the 10,000 most frequent words, from the request to the picture, in a fresh process
   with the start-up warm-up running in the background (as in the app).
3. Frame time of pan and zoom with 100,000 points (target: under 33 ms): each step changes the
   view range and repaints the plot synchronously; once in one colour, once coloured by eight
   groups (one item and one brush per group), beside per-point brushes for comparison.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py --frames-only
    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py --stall-runs 3

4. ``--load-corpus PATH [--stop-after S]``: the event loop while the window opens a large corpus
   (a file or a folder), as its Open button does; with ``--stop-after`` Stop is pressed S seconds in.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def wait_for(signal, timeout_s: float, arg=None) -> bool:
    """Wait for ``signal`` (carrying ``arg``, when given)."""
    loop, fired = QEventLoop(), []
    signal.connect(lambda *a: (fired.append(1), loop.quit()) if arg is None or a[:1] == (arg,) else None)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return bool(fired)


def umap_click_to_picture(window, words: int) -> float:
    while not window.map.apply_button.isEnabled():      # the PCA drawn after training: Project is off meanwhile
        QApplication.processEvents(QEventLoop.AllEvents, 50)
    window.map.count_box.setValue(words)
    window.map.method_box.setCurrentText("UMAP")
    t0 = time.perf_counter()
    window.map.apply_button.click()
    wait_for(window.projection_done, 600, "umap")
    return time.perf_counter() - t0


class StallProbe:
    """A 10 ms timer that records the gap between its ticks: how long the event loop was away."""

    def __init__(self):
        self.gaps, self.last = [], time.perf_counter()
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        self.gaps.append((now - self.last, now))
        self.last = now

    def __enter__(self):
        self.t0 = self.last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()
        self.seconds = time.perf_counter() - self.t0

    def figures(self) -> tuple[float, float, list[tuple[float, float]]]:
        """Longest gap and 99th percentile (ms), and (seconds in, ms) of every gap over 50 ms."""
        lengths = [g for g, _ in self.gaps] or [0.0]
        over = [(at - self.t0, g * 1000) for g, at in self.gaps if g > 0.050]
        return max(lengths) * 1000, float(np.percentile(lengths, 99) * 1000), over


def training_stalls(window, epochs: int) -> tuple[float, float, float, list[tuple[float, float]]]:
    """Longest gap, 99th percentile (ms), training seconds, and (seconds into training, ms) of every
    gap over 50 ms."""
    while not window.panel.train_button.isEnabled():   # the last run's job ends just after its model arrives
        QApplication.processEvents(QEventLoop.AllEvents, 50)
    window.panel.select_model("sgns")
    window.panel.form.set_value("epochs", epochs)
    with StallProbe() as probe:
        window.panel.train_button.click()
        wait_for(window.model_ready, 1800)
    stall_max, stall_p99, over = probe.figures()
    return stall_max, stall_p99, probe.seconds, over


def loading_stalls(window, path: str, stop_after: float | None) -> str:
    """Open ``path`` as the corpus as the Open button does, and report the event loop meanwhile;
    with ``stop_after`` seconds, press Stop then and report how long until the window is idle."""
    with StallProbe() as probe:
        window.open_corpus(path)
        if stop_after is None:
            wait_for(window.corpus_loaded, 7200)
        else:
            QTimer.singleShot(int(stop_after * 1000), window.panel.stop_button.click)
            while "corpus" in window.app.jobs:
                QApplication.processEvents(QEventLoop.AllEvents, 50)
    stall_max, stall_p99, over = probe.figures()
    corpus = window.corpus
    what = (f"{corpus.n_tokens:,} tokens loaded" if stop_after is None else
            f"Stop pressed at {stop_after:.0f} s, idle again at {probe.seconds:.1f} s; corpus still "
            f"{corpus.n_tokens:,} tokens")
    return (f"loading {path}: {probe.seconds:.1f} s, {what}; longest stall {stall_max:.0f} ms, "
            f"99th percentile {stall_p99:.0f} ms, {len(over)} tick(s) over 50 ms")


def pan_zoom_frames(window, n_points: int, steps: int = 60, keep: bool = False) -> tuple[float, float]:
    if not keep:
        rng = np.random.default_rng(0)
        coords = rng.normal(size=(n_points, 2)).astype(np.float32)
        words = [f"w{i}" for i in range(n_points)]
        window.map.set_points(words, coords, fit=True)
    else:
        window.map.plot.autoRange(padding=0.05)
    QApplication.processEvents()
    vb, view = window.map.plot.getViewBox(), window.map.plot.viewport()
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        if i % 2:
            vb.scaleBy((0.9, 0.9) if i % 4 == 1 else (1 / 0.9, 1 / 0.9))
        else:
            vb.translateBy((0.05, 0.03))
        view.repaint()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, max(times) * 1000


def colour_in_groups(window, groups: int = 8) -> None:
    labels = np.arange(len(window.map.words)) % groups
    colours = ["#e69f00", "#56b4e9", "#009e73", "#0072b2", "#d55e00", "#cc79a7", "#f0e442", "#000000"]
    window.map.colour_groups(labels, colours[:groups], [f"group {g}" for g in range(groups)])


def per_point_brushes(window) -> None:
    """What the map avoids: one brush object per point on the single base item."""
    import pyqtgraph as pg

    window.map.clear_colours()
    palette = [pg.mkBrush(c) for c in ("#e69f00", "#56b4e9", "#009e73", "#0072b2")]
    window.map.points.setBrush([palette[i % 4] for i in range(len(window.map.words))])


def frame_figures(window, n: int) -> None:
    med, worst = pan_zoom_frames(window, n)
    print(f"pan/zoom with {n:,} points, one colour: median frame {med:.1f} ms, worst {worst:.1f} ms (target < 33 ms)")
    colour_in_groups(window)
    med_g, worst_g = pan_zoom_frames(window, n, keep=True)
    print(f"pan/zoom with {n:,} points, 8 colour groups: median frame {med_g:.1f} ms, worst {worst_g:.1f} ms")
    per_point_brushes(window)
    med_p, worst_p = pan_zoom_frames(window, n, keep=True)
    print(f"pan/zoom with {n:,} points, per-point brushes: median frame {med_p:.1f} ms, worst {worst_p:.1f} ms "
          f"({med_p / med_g:.1f}x the grouped layers)")


def main() -> int:
    from explorer.window.main_window import MainWindow
    from explorer.tuning import tune_window

    tune_window()                   # the window's start-up settings, as the app makes them
    app = QApplication(sys.argv)
    if "--frames-only" in sys.argv:
        window = MainWindow(corpus_path=None, warm_up=False)
        window.resize(1400, 860)
        window.show()
        frame_figures(window, 100_000)
        window.close()
        return 0
    window = MainWindow()           # starts the UMAP warm-up in the background, as the app does
    window.resize(1400, 860)
    window.show()
    wait_for(window.corpus_loaded, 120)
    if "--load-corpus" in sys.argv:
        path = sys.argv[sys.argv.index("--load-corpus") + 1]
        stop = float(sys.argv[sys.argv.index("--stop-after") + 1]) if "--stop-after" in sys.argv else None
        print(loading_stalls(window, path, stop), flush=True)
        window.close()
        return 0
    runs = int(sys.argv[sys.argv.index("--stall-runs") + 1]) if "--stall-runs" in sys.argv else 1
    for run in range(runs):
        # The first run starts with the start-up warm-up in flight (it waits while a model trains);
        # later ones once it is over, so that its steps between runs do not land on their starts.
        while run and "warm-up" in window.jobs:
            QApplication.processEvents(QEventLoop.AllEvents, 50)
        stall_max, stall_p99, train_s, over = training_stalls(window, epochs=1)
        where = ", ".join(f"{ms:.0f} ms at {at:.2f} s" for at, ms in over)
        print(f"event loop while training sgns (1 epoch, {train_s:.0f} s): longest stall {stall_max:.0f} ms, "
              f"99th percentile {stall_p99:.0f} ms, {len(over)} tick(s) over 50 ms{': ' + where if over else ''} "
              "(target: none)", flush=True)
    umap_s = umap_click_to_picture(window, 10_000)
    print(f"UMAP of 10,000 words, click to picture, warm-up included: {umap_s:.1f} s")
    frame_figures(window, 100_000)
    window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
