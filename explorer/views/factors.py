"""X ~ W H: a co-occurrence (or PPMI) matrix drawn beside its two factors and their product.

The matrix is that of the corpus's few hundred most frequent words (:mod:`models.text.factors`),
small enough to see as an image; each image has its own colour scale, since X, W and H differ in
range by orders of magnitude.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer import workers
from explorer.views.plain import plain_label
from models.text.factors import Factors, factor_steps

COLOUR_MAP = "viridis"
W_WIDTH = 150           # pixels of W's plot
METHODS = {"svd": "SVD: W = U S, H = Vᵀ", "eig": "eigendecomposition: W = Q Λ, H = Qᵀ",
           "nmf": "NMF: W, H ≥ 0"}


def _image_plot(title: str) -> tuple[pg.PlotWidget, pg.ImageItem]:
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color="#333", size="10pt")
    plot.invertY(True)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    image.setColorMap(pg.colormap.get(COLOUR_MAP))
    plot.addItem(image)
    return plot, image


def _levels(a: np.ndarray) -> tuple[float, float]:
    # The 1st and 99th percentiles: a few huge counts would leave the rest of X one colour.
    lo, hi = np.percentile(a, [1, 99]) if a.size else (0.0, 1.0)
    return float(lo), float(hi if hi > lo else lo + 1e-6)


class FactorsView(QWidget):
    title = "X ≈ WH"

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.factors: Factors | None = None
        self.method_box = QComboBox()
        for name, text in METHODS.items():
            self.method_box.addItem(text, name)
        self.words_box = QSpinBox(minimum=10, maximum=1000, value=300, singleStep=50, suffix=" words")
        self.k_box = QSpinBox(minimum=1, maximum=200, value=20, suffix=" factors")
        self.button = QPushButton("Factorise")
        self.button.clicked.connect(self.factorise)
        self.note = plain_label(wordWrap=True)
        self.plots = {}
        grid = QGridLayout()
        for col, (key, title) in enumerate((("X", "X"), ("W", "W"), ("H", "H"), ("WH", "W H"))):
            plot, image = _image_plot(title)
            self.plots[key] = (plot, image)
            grid.addWidget(plot, 0, col)
        # W is n x k with k much smaller than n: a narrow column, which must still hold its title.
        self.plots["W"][0].setFixedWidth(W_WIDTH)
        for col, stretch in enumerate((1, 0, 1, 1)):
            grid.setColumnStretch(col, stretch)
        row = QHBoxLayout()
        for w in (self.method_box, self.words_box, self.k_box, self.button):
            row.addWidget(w)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.note)
        lay.addLayout(grid, 1)

    def set_settings(self, method: str, words: int, k: int) -> None:
        self.method_box.setCurrentIndex(self.method_box.findData(method))
        self.words_box.setValue(words)
        self.k_box.setValue(k)

    def factorise(self) -> workers.Job | None:
        if self.app.corpus is None:
            self.note.setText("Open a corpus first.")
            return None
        self.button.setEnabled(False)
        method = self.method_box.currentData()
        job = self.app.jobs.run("factors", factor_steps, self.app.corpus, self.words_box.value(),
                                self.k_box.value(), method,
                                on_progress=lambda ev: self.note.setText(ev.message + "…"),
                                on_done=self.show_factors)
        job.failed.connect(lambda err: self.note.setText(err.message))
        job.ended.connect(lambda: self.button.setEnabled(True))
        return job

    def show_factors(self, f: Factors) -> None:
        self.factors = f
        product = f.W @ f.H
        x_levels = _levels(f.X)
        for key, a, levels in (("X", f.X, x_levels), ("W", f.W, _levels(f.W)), ("H", f.H, _levels(f.H)),
                               ("WH", product, x_levels)):      # W H on X's scale, to compare them
            plot, image = self.plots[key]
            image.setImage(np.ascontiguousarray(a, dtype=np.float32), levels=levels)
            plot.setTitle(f"{'W H' if key == 'WH' else key} ({a.shape[0]}×{a.shape[1]})", color="#333", size="10pt")
            plot.getViewBox().autoRange(padding=0.02)
        n, k = f.W.shape
        self.note.setText(
            f"X is the {f.what} matrix of the {n} most frequent words; {METHODS[f.method]}, keeping {k} factors: "
            f"each word's row of W is its {k}-number vector. Reconstruction error ‖X − W H‖ / ‖X‖ = "
            f"{f.error:.3f}: the share of X that {k} factors miss (more factors miss less, "
            f"and {n} would miss nothing for SVD).")
