"""GUI responsiveness figures (not a test; not in CI).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py

1. Event-loop stalls while training skip-gram on the bundled corpus: a 10 ms QTimer probe records
   the longest gap between ticks (target: under 50 ms).
2. UMAP of the 10,000 most frequent words, from the request to the picture, in a fresh process
   with the start-up warm-up running in the background (as in the app).
3. Frame time of pan and zoom with 50,000 points (target: under 33 ms): each step changes the
   view range and repaints the plot synchronously.
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


def wait_for(signal, timeout_s: float) -> bool:
    loop, fired = QEventLoop(), []
    signal.connect(lambda *a: (fired.append(1), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return bool(fired)


def umap_click_to_picture(window, words: int) -> float:
    window.map.count_box.setValue(words)
    window.map.method_box.setCurrentText("UMAP")
    t0 = time.perf_counter()
    window.map.apply_button.click()
    wait_for(window.projection_done, 600)
    return time.perf_counter() - t0


def training_stalls(window, epochs: int) -> tuple[float, float, float]:
    window.panel.select_model("sgns")
    window.panel.form.set_value("epochs", epochs)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    t0 = time.perf_counter()
    window.panel.train_button.click()
    wait_for(window.model_ready, 1800)
    timer.stop()
    return max(gaps) * 1000, float(np.percentile(gaps, 99) * 1000), time.perf_counter() - t0


def pan_zoom_frames(window, n_points: int, steps: int = 60) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(n_points, 2)).astype(np.float32)
    words = [f"w{i}" for i in range(n_points)]
    window.map.set_points(words, coords, fit=True)
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


def main() -> int:
    from explorer.main_window import MainWindow

    app = QApplication(sys.argv)
    window = MainWindow()           # starts the UMAP warm-up in the background, as the app does
    window.resize(1400, 860)
    window.show()
    wait_for(window.corpus_loaded, 120)
    stall_max, stall_p99, train_s = training_stalls(window, epochs=1)
    umap_s = umap_click_to_picture(window, 10_000)
    frame_med, frame_max = pan_zoom_frames(window, 50_000)
    window.close()
    print(f"event loop while training sgns (1 epoch, {train_s:.0f} s): longest stall {stall_max:.0f} ms, "
          f"99th percentile {stall_p99:.0f} ms (target < 50 ms)")
    print(f"UMAP of 10,000 words, click to picture, warm-up included: {umap_s:.1f} s")
    print(f"pan/zoom with 50,000 points: median frame {frame_med:.1f} ms, worst {frame_max:.1f} ms (target < 33 ms)")
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
