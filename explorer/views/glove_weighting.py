"""GloVe's weighting f(x) = min(1, (x / x_max)^alpha) drawn over the counts of the pairs it weighs.

Above, f on a log axis of counts with x_max marked; below, how many word pairs of the corpus have
each count (GloVe's own counting, :func:`models.text.glove.pair_counts`): most pairs are rare and
weigh little, a few frequent ones are capped at 1.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QPushButton, QHBoxLayout, QVBoxLayout, QWidget

from explorer import workers
from explorer.views.plain import plain_label
from models.text.glove import GloVeConfig, pair_counts, weighting

BINS = 40


class WeightingView(QWidget):
    title = "GloVe f(x)"

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.config = GloVeConfig()
        self.counts: np.ndarray | None = None
        self.histogram: tuple[np.ndarray, np.ndarray] | None = None    # bin edges, pairs in each bin
        self.button = QPushButton("Count the corpus's pairs")
        self.button.clicked.connect(lambda: self.count(self.config))
        self.note = plain_label(wordWrap=True)
        self.f_plot = pg.PlotWidget(background="w")
        self.f_plot.setLogMode(x=True, y=False)
        self.f_plot.setLabel("left", "weight f(x)")
        self.f_plot.setYRange(0, 1.05)
        self.f_curve = self.f_plot.plot(pen=pg.mkPen("#1f77b4", width=2.5))
        self.cap_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888", style=pg.QtCore.Qt.DashLine))
        self.f_plot.addItem(self.cap_line)
        self.hist_plot = pg.PlotWidget(background="w")
        self.hist_plot.setLogMode(x=True, y=True)
        self.hist_plot.setLabel("left", "word pairs")
        self.hist_plot.setLabel("bottom", "co-occurrence count x (pairs d words apart count 1/d)")
        self.hist_plot.setXLink(self.f_plot)
        self.hist = self.hist_plot.plot(stepMode="center", fillLevel=0, brush="#9ecae1", pen=pg.mkPen("#3182bd"))
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.note)
        lay.addWidget(self.f_plot, 1)
        lay.addWidget(self.hist_plot, 1)
        self.show_weighting(self.config)

    def show_weighting(self, config: GloVeConfig) -> None:
        """Draw f for ``config``'s x_max and alpha (the counts, when there are any, stay)."""
        self.config = config
        lo = float(self.counts.min()) if self.counts is not None and self.counts.size else 0.01
        hi = max(float(self.counts.max()) if self.counts is not None and self.counts.size else 0, 10 * config.x_max)
        x = np.geomspace(lo, hi, 200)
        self.f_curve.setData(x, weighting(x, config.x_max, config.alpha))
        self.cap_line.setValue(np.log10(config.x_max))      # the plot's x is log10 in log mode
        self.f_plot.setTitle(f"f(x) = min(1, (x / {config.x_max:g})^{config.alpha:g})", color="#333", size="10pt")

    def count(self, config: GloVeConfig) -> workers.Job | None:
        if self.app.corpus is None:
            self.note.setText("Open a corpus first.")
            return None
        self.show_weighting(config)
        self.button.setEnabled(False)
        job = self.app.jobs.run("glove-pairs", pair_counts, config, self.app.corpus,
                                on_progress=lambda ev: self.note.setText(ev.message + "…"),
                                on_done=self.show_counts)
        job.failed.connect(lambda err: self.note.setText(err.message))
        job.ended.connect(lambda: self.button.setEnabled(True))
        return job

    def show_counts(self, counts: np.ndarray) -> None:
        self.counts = counts
        self.show_weighting(self.config)
        if not counts.size:
            self.note.setText("No word pairs: the corpus has no two known words within the window.")
            return
        edges = np.geomspace(counts.min(), counts.max() * 1.0001, BINS + 1)
        n, _ = np.histogram(counts, edges)
        self.histogram = (edges, n)
        self.hist.setData(edges, np.maximum(n, 0.5))     # 0.5: an empty bin stays drawable on a log axis
        f = weighting(counts, self.config.x_max, self.config.alpha)
        self.note.setText(
            f"{counts.size:,} word pairs co-occur; {np.mean(counts < self.config.x_max):.1%} of them have x < "
            f"x_max = {self.config.x_max:g} and weigh less than 1 (median weight {np.median(f):.3f}), so the many "
            f"rare, noisy pairs count little and the {np.sum(counts >= self.config.x_max):,} frequent ones are "
            "capped instead of dominating the loss.")
