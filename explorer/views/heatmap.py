"""Similarity heatmap: the cosine matrix of chosen words, clustered, beside their one-hot matrix.

Rows and columns follow a hierarchical clustering, so related words form blocks; the diverging
scale (CET-D1, blue-white-red, readable with the common colour-vision deficiencies) is centred at
0. The one-hot matrix of the same words is the identity: one-hot vectors know no similarity.
Clicking a cell marks both words on the map.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QBoxLayout, QCheckBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from explorer.views.plain import plain_label
from explorer.views.when_shown import WhenShown
from models.printable import printable
from models.vectors.similarity import MODULE_WORDS, cluster_order, cosine_matrix, known_and_missing, one_hot_matrix

COLOUR_MAP = "CET-D1"
MAX_WORDS = 40          # beyond this the values no longer fit in the cells
BAR_WIDTH = 90          # pixels of the colour bar beside the matrices
TICK_CHAR_PX = 7.5      # about the width of a character of the axes' tick labels


class _CellImage(pg.ImageItem):
    """An image whose clicks report the (row, column) of the cell under the cursor."""
    cell_clicked = Signal(int, int)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() != Qt.LeftButton or self.image is None:
            return
        col, row = int(np.floor(ev.pos().x())), int(np.floor(ev.pos().y()))
        if 0 <= row < self.image.shape[0] and 0 <= col < self.image.shape[1]:
            ev.accept()
            self.cell_clicked.emit(row, col)


class _Matrix:
    """One square matrix plot: image, word ticks, values written in the cells."""

    def __init__(self, plot: pg.PlotItem, title: str):
        self.plot = plot
        plot.setTitle(title, color="#333", size="10pt")
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        self.image = _CellImage(axisOrder="row-major")
        plot.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.frame = pg.PlotCurveItem(pen=pg.mkPen("#000", width=2.5))
        self.frame.setZValue(10)
        plot.addItem(self.frame)
        self.words: list[str] = []
        self.column_names: list[str] = []     # under the columns, as they fit
        plot.getViewBox().sigResized.connect(self.fit_text)

    def show(self, words: list[str], values: np.ndarray) -> None:
        n = len(words)
        self.image.setImage(np.ascontiguousarray(values, dtype=np.float32), levels=(-1.0, 1.0))
        self.image.setRect(QRectF(0, 0, n, n))
        self.words = list(words)
        while len(self.texts) < n * n:
            item = pg.TextItem(anchor=(0.5, 0.5))
            self.plot.addItem(item)
            self.texts.append(item)
        for k, item in enumerate(self.texts):
            if k >= n * n:
                item.hide()
                continue
            r, c = divmod(k, n)
            v = float(values[r, c])
            item.setText(f"{v:.2f}", color="w" if abs(v) > 0.6 else "#111")
            item.setPos(c + 0.5, r + 0.5)
        self.frame.setData(x=[], y=[])
        self.fit_text()

    def fit_text(self, *_) -> None:
        """Values and column names only where the cells are wide enough to hold them legibly."""
        n = len(self.words)
        if not n:
            return
        vb = self.plot.getViewBox()
        # Refit on every resize: an aspect-locked view fitted while hidden would crop the matrix.
        vb.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)
        cell = min(vb.width(), vb.height()) / n
        font = QFont()
        font.setPixelSize(max(8, min(13, int(cell / 3.0))))
        readable = cell >= 24
        for k, item in enumerate(self.texts):
            item.setFont(font)
            item.setVisible(readable and k < n * n)
        ticks = [[(i + 0.5, printable(w)) for i, w in enumerate(self.words)]]
        self.plot.getAxis("left").setTicks(ticks if cell >= 12 else [[]])
        # The columns repeat the rows in the same order, so a name cut to what its column holds
        # still reads ("indianap…"); below three letters a column goes unnamed.
        fits = int(cell / TICK_CHAR_PX)
        self.column_names = [w if len(w) <= fits else w[:fits - 1] + "…" for w in self.words] if fits >= 3 else []
        self.plot.getAxis("bottom").setTicks([list(zip(np.arange(len(self.column_names)) + 0.5, self.column_names))])

    def outline(self, row: int, col: int) -> None:
        self.frame.setData(x=[col, col + 1, col + 1, col, col], y=[row, row, row + 1, row + 1, row])


class HeatmapView(QWidget):
    title = "Heatmap"
    map_share = 0.35
    pair_clicked = Signal(str, str)

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.words: list[str] = []
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.words_edit = QLineEdit(", ".join(MODULE_WORDS))
        self.words_edit.setToolTip("Words separated by commas or spaces")
        self.words_edit.returnPressed.connect(self.show_words)
        show = QPushButton("Show")
        show.clicked.connect(self.show_words)
        self.one_hot_box = QCheckBox("One-hot beside it")
        self.one_hot_box.setToolTip("The same words as one-hot vectors: every pair of different words has cosine 0")
        self.one_hot_box.toggled.connect(self._toggle_one_hot)
        png, csv_button = QPushButton("Export PNG…"), QPushButton("Export CSV…")
        png.clicked.connect(self._ask_png)
        csv_button.clicked.connect(self._ask_csv)
        self.note = plain_label(wordWrap=True)
        self.note.setStyleSheet("color: #8a6d00;")
        self.cell_note = plain_label()

        self.cosine_widget = pg.PlotWidget(background="w")
        self.one_hot_widget = pg.PlotWidget(background="w")
        # Short titles: a title sets the least width of its plot, and a plot wider than its
        # widget (two matrices side by side) is cut off at the right, mid-column.
        self.cosine = _Matrix(self.cosine_widget.getPlotItem(), "learned vectors")
        self.one_hot = _Matrix(self.one_hot_widget.getPlotItem(), "one-hot vectors")
        bar_widget = pg.GraphicsLayoutWidget()
        bar_widget.setBackground("w")
        bar_widget.setFixedWidth(BAR_WIDTH)
        self.bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=pg.colormap.get(COLOUR_MAP), interactive=False,
                                   width=16, label="cosine", pen="#555")
        self.bar.setImageItem([self.cosine.image, self.one_hot.image])
        bar_widget.addItem(self.bar)
        # One widget holds both matrices and the bar, so the PNG export is what the user sees.
        self.canvas = QWidget()
        self.canvas.setStyleSheet("background: white;")
        self._matrices = QBoxLayout(QBoxLayout.LeftToRight)
        self._matrices.addWidget(self.cosine_widget, 1)
        self._matrices.addWidget(self.one_hot_widget, 1)
        row = QHBoxLayout(self.canvas)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addLayout(self._matrices, 1)
        row.addWidget(bar_widget)
        self.canvas.installEventFilter(self)
        self.one_hot_widget.hide()
        self.cosine.image.cell_clicked.connect(self._cell_clicked)
        self.one_hot.image.cell_clicked.connect(self._cell_clicked)

        top = QHBoxLayout()
        top.addWidget(plain_label("Words"))
        top.addWidget(self.words_edit, 1)
        top.addWidget(show)
        buttons = QHBoxLayout()
        buttons.addWidget(self.one_hot_box)
        buttons.addStretch(1)
        buttons.addWidget(png)
        buttons.addWidget(csv_button)
        left = QWidget()
        left.setMinimumWidth(420)
        lay = QVBoxLayout(left)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.note)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.cell_note)
        self.map_holder = QSplitter(Qt.Horizontal)
        self.map_holder.addWidget(left)
        self.map_holder.setStretchFactor(0, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.map_holder)
        self.pair_clicked.connect(self._mark_pair)
        self._redraw = WhenShown(self, self.show_words)
        app.model_ready.connect(lambda _model: self._redraw.request())

    # --- showing ----------------------------------------------------------------------------
    def typed_words(self) -> list[str]:
        return [w for w in re.split(r"[\s,;]+", self.words_edit.text().strip()) if w]

    def show_words(self) -> None:
        model = self.app.model
        if model is None:
            self.note.setText("Train or open a model first.")
            return
        known, missing = known_and_missing(model.vectors, self.typed_words())
        known = known[:MAX_WORDS]
        notes = [f"Not in the vocabulary: {', '.join(missing)}."] if missing else []
        if len(known) < 2:
            notes.append("Give at least two words the vectors know.")
            self.note.setText(" ".join(notes))
            return
        sim = cosine_matrix(model.vectors, known)
        order = cluster_order(sim)
        self.words = [known[i] for i in order]
        self.matrix = sim[np.ix_(order, order)]
        self.cosine.show(self.words, self.matrix)
        self.one_hot.show(self.words, one_hot_matrix(len(self.words)))
        notes.append("Rows and columns ordered by hierarchical clustering (average linkage on 1 − cosine).")
        self.note.setText(" ".join(notes))
        self.cell_note.clear()

    def _toggle_one_hot(self, on: bool) -> None:
        self.one_hot_widget.setVisible(on)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self._arrange()
        return False

    def _arrange(self) -> None:
        """The two matrices side by side or one above the other, whichever gives the larger
        cells: beside a map the canvas is often tall and narrow."""
        w, h = self.canvas.width() - BAR_WIDTH, self.canvas.height()
        beside = min(w / 2, h) >= min(w, h / 2)
        self._matrices.setDirection(QBoxLayout.LeftToRight if beside else QBoxLayout.TopToBottom)

    def _cell_clicked(self, row: int, col: int) -> None:
        for m in (self.cosine, self.one_hot):
            m.outline(row, col)
        a, b = self.words[row], self.words[col]
        self.cell_note.setText(f"cos({a}, {b}) = {self.matrix[row, col]:.3f}; one-hot: {1.0 if a == b else 0.0:.0f}. "
                               "Both are marked on the map.")
        self.pair_clicked.emit(a, b)

    def _mark_pair(self, a: str, b: str) -> None:
        self.app.highlight_group(f"{a} · {b}", [a, b])

    # --- export -----------------------------------------------------------------------------
    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the heatmap", "heatmap.png", "PNG image (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the matrix", "similarity.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_png(self, path: str | Path) -> None:
        if not self.canvas.grab().save(str(path), "PNG"):
            self.app.error(f"Could not write {path}.", user_error=True)

    def export_csv(self, path: str | Path) -> None:
        """The matrix as shown (clustered order), words in the first row and column; nine
        significant digits bring every float32 back exactly."""
        try:
            with open(path, "w", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(["", *self.words])
                for w, row in zip(self.words, self.matrix):
                    out.writerow([w, *(f"{v:.9g}" for v in row)])
        except OSError as e:
            self.app.error(f"Could not write {path}: {e.strerror or e}.", user_error=True)


def read_csv_matrix(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read back what :meth:`HeatmapView.export_csv` wrote."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0][1:], np.array([[float(v) for v in r[1:]] for r in rows[1:]], dtype=np.float32)
