"""Drive the real app on an X display and capture the screen at each main view.

    xvfb-run -s "-screen 0 1400x860x24" env QT_QPA_PLATFORM=xcb .venv/bin/python tools/screenshots.py

Writes assets/screenshots/*.png with imagemagick's ``import -window root``: what a person sees,
window decorations and all. Training uses the default settings on the bundled corpus.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parents[1] / "assets" / "screenshots"


def wait_for(signal, timeout_s: float) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def pause(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def shot(name: str) -> None:
    pause(0.5)
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", str(OUT / f"{name}.png")], check=True)
    print("wrote", OUT / f"{name}.png")


def main() -> int:
    import pyqtgraph as pg

    from explorer.main_window import MainWindow
    from models.text.presets import WORD_GROUPS

    app = QApplication(sys.argv)
    pg.setConfigOptions(antialias=True)
    w = MainWindow()
    w.resize(1400, 860)
    w.move(0, 0)
    w.show()
    wait_for(w.corpus_loaded, 60)
    w.panel.train_button.click()
    pause(12)
    shot("training")
    wait_for(w.model_ready, 900)
    wait_for(w.projection_done, 60)
    w.select_word("monday")
    shot("map_pca")
    w.map.method_box.setCurrentText("UMAP")
    w.map.apply_button.click()
    wait_for(w.projection_done, 300)
    name = next(n for n in WORD_GROUPS if n.startswith("Countries"))
    w.highlight_group(name, WORD_GROUPS[name])
    w.select_word("france")
    shot("map_umap")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
