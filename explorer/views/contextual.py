"""Contextual: one word, a vector per occurrence, from the masked language model.

Type sentences (one per line) and a word; every occurrence of the word gets its own vector from
the trained masked LM (``mlm``). A heatmap gives their cosine similarities, a small map places
each occurrence among the other words of its sentence, and beside it a second map places the
word's single static vector from the current word2vec-style model among its neighbours there.
The two maps are separate spaces, laid out separately, and the view says so.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QSplitter, QVBoxLayout, QWidget)

from explorer import workers
from explorer.views.column import column
from explorer.views.plain import plain_label
from models.text.contextual import ContextualReport, contextual_report
from models.text.mlm import CONTEXT_SENTENCES, TrainedMLM, load_mlm

COLOUR_MAP = "CET-D1"          # diverging, readable with the common colour-vision deficiencies
OCCURRENCE = "#d62728"
STATIC = "#1f77b4"
CONTEXT = "#9aa0a8"


def _map_plot(title: str) -> pg.PlotWidget:
    p = pg.PlotWidget(background="w")
    p.setTitle(title, color="#333", size="10pt")
    p.hideAxis("left")
    p.hideAxis("bottom")
    p.setMenuEnabled(False)
    return p


def _fit(plot: pg.PlotWidget, xy: np.ndarray) -> None:
    # from the points alone: labels are sized in pixels and would throw an automatic range off
    # plain floats: pyqtgraph compares the range with limits near 1e307, which overflow float32
    (x0, y0), (x1, y1) = xy.min(0).astype(float), xy.max(0).astype(float)
    h = max(y1 - y0, 1e-6)
    plot.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1 + 0.1 * h), padding=0.12)


class ContextualView(QWidget):
    title = "Contextual"
    compared = Signal(object)      # the ContextualReport now shown

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.mlm: TrainedMLM | None = None
        self.static_model = None
        self.report: ContextualReport | None = None
        self._texts: list[pg.TextItem] = []
        self._map_labels: list[tuple] = []
        self._build()
        app.trained.connect(self._trained)
        app.model_ready.connect(self._static_ready)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.sentences_edit = QPlainTextEdit("\n".join(CONTEXT_SENTENCES))
        self.sentences_edit.setPlaceholderText("One sentence per line")
        self.sentences_edit.setMaximumHeight(90)
        self.word_edit = QLineEdit("chicken", maximumWidth=180)
        self.word_edit.returnPressed.connect(self.compare)
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(self.compare)
        open_model = QPushButton("Open model…")
        open_model.setToolTip("A folder saved from a masked language model (mlm) training")
        open_model.clicked.connect(self.ask_model)
        row = QHBoxLayout()
        for w in (plain_label("Word"), self.word_edit, self.compare_button, open_model):
            row.addWidget(w)
        row.addStretch(1)
        self.model_label = plain_label("No masked language model yet: train “Masked LM” on the left, or open a "
                                       "saved one.", wordWrap=True)
        self.status = plain_label(wordWrap=True)
        self.status.setStyleSheet("color: #8a6d00;")
        self.sentence_list = QLabel(wordWrap=True, textFormat=Qt.RichText)

        self.heat = pg.PlotWidget(background="w")
        hp = self.heat.getPlotItem()
        hp.setTitle("cosine similarity of the word's vectors across sentences", color="#333", size="10pt")
        hp.invertY(True)
        hp.setAspectLocked(True)
        hp.setMouseEnabled(False, False)
        hp.hideButtons()
        hp.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLOUR_MAP))
        hp.addItem(self.image)
        hp.getViewBox().sigResized.connect(self._fit_heat)

        self.context_map = _map_plot("contextual space (masked LM)")
        self.context_words = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(CONTEXT), size=6)
        self.occurrences = pg.ScatterPlotItem(pen=pg.mkPen("#111", width=1), brush=pg.mkBrush(OCCURRENCE), size=12)
        self.context_map.addItem(self.context_words)
        self.context_map.addItem(self.occurrences)
        self.static_map = _map_plot("static space (word2vec-style model)")
        self.static_points = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(CONTEXT), size=7)
        self.static_word = pg.ScatterPlotItem(pen=pg.mkPen("#111", width=1), brush=pg.mkBrush(STATIC), size=12)
        self.static_map.addItem(self.static_points)
        self.static_map.addItem(self.static_word)
        self.static_note = plain_label(wordWrap=True)
        self.spaces_note = QLabel(
            "<b>Two different spaces.</b> The left map is a PCA of the masked LM's contextual vectors: each "
            "occurrence of the word (red) among the other words of its sentence (grey). The right one is a PCA "
            "of the static model's word vectors: the word's one vector (blue) among its nearest neighbours. "
            "Each is laid out on its own: a place on one map cannot be compared with a place on the other.", wordWrap=True, textFormat=Qt.RichText)
        maps = QSplitter(Qt.Horizontal)
        maps.addWidget(self.context_map)
        maps.addWidget(column((self.static_map, 1), self.static_note))
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.heat)
        split.addWidget(column((maps, 1), self.spaces_note))
        split.setSizes([420, 640])

        outer = QVBoxLayout(self)
        outer.addWidget(plain_label("Sentences, one per line:"))
        outer.addWidget(self.sentences_edit)
        outer.addLayout(row)
        outer.addWidget(self.model_label)
        outer.addWidget(self.status)
        outer.addWidget(self.sentence_list)
        outer.addWidget(split, 1)
        self._show_static_note()

    # --- models ----------------------------------------------------------------------------
    def _trained(self, result) -> None:
        if isinstance(result, TrainedMLM):
            self.set_model(result)

    def _static_ready(self, model) -> None:
        self.static_model = model
        self._show_static_note()

    def _show_static_note(self) -> None:
        if self.static_model is None:
            self.static_note.setText("No word2vec-style model is loaded: train or open one to see the word's "
                                     "static vector here.")
        elif self.report is None:
            self.static_note.setText("")

    @property
    def trained_model(self) -> TrainedMLM | None:
        """The trained model this view shows: a saved session keeps it and gives it back to :meth:`set_model`."""
        return self.mlm

    def ask_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a masked language model folder")
        if folder:
            self.open_model(folder)

    def open_model(self, folder: str | Path) -> workers.Job:
        return self.app.jobs.run("open-mlm-model", workers.call_once, load_mlm, str(folder), on_done=self.set_model)

    def set_model(self, model: TrainedMLM) -> None:
        self.mlm = model
        c, s = model.config, model.stats
        acc = s.get("masked_accuracy")
        scored = f" · masked-token accuracy {acc:.3f}" if isinstance(acc, (int, float)) else ""
        self.model_label.setText(f"Model: masked LM, {c.layers} layer(s) × {c.dim}-D, {c.heads} heads, "
                                 f"{len(model.vocab):,} words{scored}")
        self.compare()

    # --- comparing -------------------------------------------------------------------------
    def sentences(self) -> list[str]:
        return [s for s in self.sentences_edit.toPlainText().splitlines() if s.strip()]

    def compare(self) -> workers.Job | None:
        if self.mlm is None:
            self.status.setText("Train or open a masked language model first.")
            return None
        static = getattr(self.static_model, "vectors", None)
        self.status.setText("")
        job = self.app.jobs.run("contextual", workers.call_once, contextual_report, self.mlm,
                                self.word_edit.text(), self.sentences(), static, on_done=self.show_report,
                                quiet=True)     # a word missing from a sentence is named here, not in a dialog
        job.failed.connect(lambda err: self.status.setText(err.message))
        return job

    def show_report(self, r: ContextualReport) -> None:
        self.report = r
        notes = []
        if r.missing:
            notes.append(f"Without “{r.word}” (left out): " + ", ".join(f"S{i + 1}" for i in r.missing) + ".")
        if r.unknown:
            notes.append("Not in the model's vocabulary, read as [UNK]: " + ", ".join(r.unknown) + ".")
        self.status.setText(" ".join(notes))
        lines = []
        for i, toks in enumerate(r.tokens):
            words = " ".join(f"<b style='color:{OCCURRENCE}'>{escape(w)}</b>" if w == r.word else escape(w)
                             for w in toks)
            style = " style='color:#999'" if i in r.missing else ""
            lines.append(f"<span{style}>S{i + 1}: {words}</span>")
        self.sentence_list.setText("<br>".join(lines))
        self._show_heat()
        self._show_maps()
        self.compared.emit(r)

    def _show_heat(self) -> None:
        r = self.report
        n = len(r.occurrences)
        self.image.setImage(np.ascontiguousarray(r.similarity, dtype=np.float32), levels=(-1.0, 1.0))
        self.image.setRect(QRectF(0, 0, n, n))
        hp = self.heat.getPlotItem()
        while len(self._texts) < n * n:
            t = pg.TextItem(anchor=(0.5, 0.5))
            hp.addItem(t)
            self._texts.append(t)
        for k, t in enumerate(self._texts):
            t.setVisible(k < n * n)
            if k < n * n:
                i, j = divmod(k, n)
                v = float(r.similarity[i, j])
                t.setText(f"{v:.2f}", color="w" if abs(v) > 0.6 else "#111")
                t.setPos(j + 0.5, i + 0.5)
        ticks = [[(i + 0.5, o.label) for i, o in enumerate(r.occurrences)]]
        hp.getAxis("left").setTicks(ticks)
        hp.getAxis("bottom").setTicks(ticks)
        self._fit_heat()

    def _fit_heat(self, *_) -> None:
        if self.report is None:
            return
        n = len(self.report.occurrences)
        vb = self.heat.getPlotItem().getViewBox()
        vb.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)
        cell = min(vb.width(), vb.height()) / max(n, 1)
        font = QFont()
        font.setPixelSize(max(8, min(15, int(cell / 3.5))))
        for k, t in enumerate(self._texts):
            t.setFont(font)
            t.setVisible(k < n * n and cell >= 24)

    def _label(self, plot, x, y, text, colour, bold=False, right_half=False) -> None:
        # labels of points on the right run leftwards, so they stay inside the plot
        t = pg.TextItem(text, color=colour, anchor=(1, 1) if right_half else (0, 1))
        if bold:
            f = QFont()
            f.setBold(True)
            t.setFont(f)
        t.setPos(float(x), float(y))
        plot.addItem(t)
        self._map_labels.append((plot, t))

    def _show_maps(self) -> None:
        r = self.report
        for plot, t in self._map_labels:
            plot.removeItem(t)
        self._map_labels = []
        xy, is_word = r.context_coords, r.context_is_word
        self.context_words.setData(pos=xy[~is_word])
        self.occurrences.setData(pos=xy[is_word])
        mid = xy[:, 0].mean()
        for (x, y), w in zip(xy[~is_word], np.array(r.context_words, dtype=object)[~is_word]):
            self._label(self.context_map, x, y, w, "#666", right_half=x > mid)
        for (x, y), o in zip(xy[is_word], r.occurrences):
            self._label(self.context_map, x, y, f"{r.word} ({o.label})", OCCURRENCE, bold=True, right_half=x > mid)
        _fit(self.context_map, xy)
        s = r.static
        if s is None:
            self.static_points.setData(pos=np.zeros((0, 2)))
            self.static_word.setData(pos=np.zeros((0, 2)))
            self.static_note.setText(r.static_note)
            return
        self.static_word.setData(pos=s.coords[:1])
        self.static_points.setData(pos=s.coords[1:])
        mid = s.coords[:, 0].mean()
        self._label(self.static_map, *s.coords[0], r.word, STATIC, bold=True, right_half=s.coords[0, 0] > mid)
        for (x, y), w in zip(s.coords[1:], s.words[1:]):
            self._label(self.static_map, x, y, w, "#666", right_half=x > mid)
        _fit(self.static_map, s.coords)
        near = ", ".join(f"{w} {v:.2f}" for w, v in zip(s.words[1:], s.similarity[1:]))
        self.static_note.setText(f"One vector for “{r.word}” whatever the sentence; nearest: {near}.")

    def similarity_table(self) -> np.ndarray:
        """The values the heatmap shows, as shown."""
        return np.zeros((0, 0)) if self.report is None else self.report.similarity.copy()
