"""Models side by side: every model trained or opened in this session, two of them mapped in one
frame, and all of them scored on the bundled benchmarks in one table.

The two maps show the same words (the most frequent ones both vocabularies share), the second
turned onto the first by orthogonal Procrustes, so what differs on screen differs between the
models. Selecting a word in either map marks it in both, with its neighbours in each model:
green where the models agree, orange where they do not.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.app_state import SessionModel
from explorer.views.column import column
from explorer.views.plain import heading_label, plain_label, point_tip, tooltip
from explorer.views.projection_map import BASE, GROUP, NEIGHBOUR, SELECTED, show_labels
from explorer.views.when_shown import WhenShown
from models.vectors.comparison import OVERLAP_K, aligned_maps, neighbour_overlap, rows, score_many_steps, shared_words
from models.printable import printable, printable_html

FIXED_COLUMNS = ("model", "added", "training s", "vocabulary", "semantic", "syntactic", "analogy",
                 "analogy coverage", "WS353 ρ", "WS353 coverage", "SimLex ρ", "SimLex coverage")
SCORE_COLUMNS = FIXED_COLUMNS[4:]


class SideMap(pg.PlotWidget):
    """One of the two maps: grey points, marked words coloured and labelled without overlap."""
    word_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setAspectLocked(True)
        self.points = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(BASE + "aa"), pxMode=True,
                                         hoverable=True, hoverSize=10, hoverBrush=pg.mkBrush(SELECTED),
                                         tip=point_tip)
        self.marks = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("w", width=1))
        self.addItem(self.points)
        self.addItem(self.marks)
        self.points.sigClicked.connect(lambda _item, spots, *_: len(spots) and self.word_clicked.emit(spots[0].data()))
        self.getViewBox().sigRangeChanged.connect(self._layout_labels)
        self.words: list[str] = []
        self.coords = np.zeros((0, 2), dtype=np.float32)
        self._index: dict[str, int] = {}
        self.marked: dict[str, str] = {}
        self._labels: list[pg.TextItem] = []

    def set_points(self, words: list[str], coords: np.ndarray, title: str) -> None:
        self.words, self.coords = list(words), np.ascontiguousarray(coords, dtype=np.float32)
        self._index = {w: i for i, w in enumerate(self.words)}
        self.points.setData(pos=self.coords, data=self.words)
        self.setTitle(printable_html(title), color="#333", size="10pt")   # pyqtgraph titles are HTML
        self.mark({})
        self.autoRange(padding=0.05)

    def position(self, word: str):
        i = self._index.get(word)
        return None if i is None else self.coords[i]

    def mark(self, colours: dict[str, str]) -> None:
        """Colour these words (insertion order = label priority)."""
        self.marked = {w: c for w, c in colours.items() if w in self._index}
        self.marks.setData([{"pos": self.coords[self._index[w]], "brush": pg.mkBrush(c),
                             "size": 12 if c == SELECTED else 9} for w, c in reversed(self.marked.items())])
        self._layout_labels()

    def _layout_labels(self, *_) -> None:
        # Group green is darkened for text: the light green of the points is hard to read.
        wanted = [(w, c if c != GROUP else "#1b7a1b") for w, c in self.marked.items()]
        show_labels(self, self._labels, wanted, lambda w: self.coords[self._index[w]])

    def visible_labels(self) -> list[str]:
        return [w for w, item in zip(self.marked, self._labels) if item.isVisible()]


def _words_html(words) -> str:
    """Words of a corpus for the rich-text overlap label: escaped, or a dash for none."""
    return ", ".join(printable_html(w) for w in words) or "—"


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3f}"


class CompareView(QWidget):
    title = "Compare"
    scored = Signal()            # the table got new benchmark figures
    compared = Signal()          # the two maps were redrawn

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.selected: str | None = None
        self.words: list[str] = []
        self.overlap = np.zeros(0)
        self._units = (np.zeros((0, 1), dtype=np.float32),) * 2    # the shown words' unit rows, per model
        self._build()
        self._maps = WhenShown(self, self.refresh_maps)
        app.model_ready.connect(self._list_new_models)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.a_box, self.b_box = QComboBox(), QComboBox()
        for box in (self.a_box, self.b_box):
            box.setMinimumWidth(160)
            box.currentIndexChanged.connect(self.refresh_maps)
        self.count_box = QSpinBox(minimum=20, maximum=3000, singleStep=100, value=500, suffix=" shared words")
        self.count_box.setToolTip("The most frequent words both vocabularies know: the same words on both maps")
        self.count_box.editingFinished.connect(self.refresh_maps)
        self.search = QLineEdit(placeholderText="Find a word…", clearButtonEnabled=True)
        self.search.returnPressed.connect(lambda: self.select(self.search.text().strip().lower()))
        self.map_a, self.map_b = SideMap(), SideMap()
        for m in (self.map_a, self.map_b):
            m.word_clicked.connect(self.select)
        self.overlap_label = QLabel("Train or open two models to compare them.", wordWrap=True)
        self.overlap_label.setTextFormat(Qt.RichText)

        self.table = QTableWidget(0, len(FIXED_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(FIXED_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.make_current(row))
        self.current_button = QPushButton("Make current")
        self.current_button.setToolTip("Show the chosen model on the Map, Analogies and Heatmap tabs "
                                       "(or double-click its row)")
        self.current_button.setEnabled(False)
        self.current_button.clicked.connect(lambda: self.make_current(self.table.currentRow()))
        self.table.itemSelectionChanged.connect(
            lambda: self.current_button.setEnabled(bool(self.table.selectedItems())))
        self.score_button = QPushButton("Score models")
        self.score_button.setToolTip("Google analogies (questions-words), WordSim353 and SimLex-999 for every "
                                     "model not scored yet; each model is scored once")
        self.score_button.clicked.connect(self.score_models)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._ask_export)
        self.progress = QProgressBar(maximumWidth=160)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.table_note = plain_label()
        self.table_note.setStyleSheet("color: #555;")

        bar = QHBoxLayout()
        for w in (plain_label("Left"), self.a_box, plain_label("Right"), self.b_box, self.count_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.search)
        maps = QSplitter(Qt.Horizontal)
        maps.addWidget(self.map_a)
        maps.addWidget(self.map_b)
        top = column(bar, (maps, 1), self.overlap_label)
        buttons = QHBoxLayout()
        buttons.addWidget(heading_label("Every model of this session"))
        buttons.addWidget(self.table_note, 1)
        buttons.addWidget(self.progress)
        buttons.addWidget(self.current_button)
        buttons.addWidget(self.score_button)
        buttons.addWidget(self.export_button)
        bottom = column(buttons, (self.table, 1))
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([560, 240])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    # --- the session -----------------------------------------------------------------------
    @property
    def session(self) -> list[SessionModel]:
        """Every word model of the session, oldest first (the application's list)."""
        return self.app.models

    def _list_new_models(self, _model) -> None:
        if self.a_box.count() == len(self.session):
            return
        # The newest model on the right, the one before it on the left; one redraw for both.
        for box, index in ((self.a_box, max(0, len(self.session) - 2)), (self.b_box, len(self.session) - 1)):
            box.blockSignals(True)
            box.addItems([e.name for e in self.session[box.count():]])
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self._maps.request()
        self.refresh_table()

    def state(self) -> dict:
        """The compared pair and the word selected in it, as a session keeps them."""
        pair = self.pair() is not None
        return {"compare": (self.a_box.currentIndex(), self.b_box.currentIndex(), self.selected) if pair
                else (0, 0, None)}

    def restore(self, fields: dict) -> None:
        """Show a saved session's models (already the application's): names, times and scores as
        they were, and its compared pair."""
        left, right, selected = fields["compare"]
        for box, index in ((self.a_box, left), (self.b_box, right)):
            box.blockSignals(True)
            box.clear()
            box.addItems([e.name for e in self.session])
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self.selected = selected
        if not self.session:
            self.words, self.overlap = [], np.zeros(0)
            self.map_a.set_points([], np.zeros((0, 2)), "")
            self.map_b.set_points([], np.zeros((0, 2)), "")
            self.overlap_label.setText("Train or open two models to compare them.")
        self.refresh_maps()
        self.refresh_table()

    def pair(self) -> tuple[SessionModel, SessionModel] | None:
        a, b = self.a_box.currentIndex(), self.b_box.currentIndex()
        if a < 0 or b < 0:
            return None
        return self.session[a], self.session[b]

    # --- the two maps ----------------------------------------------------------------------
    def refresh_maps(self, *_) -> None:
        pair = self.pair()
        if pair is None:
            return
        va, vb = pair[0].model.vectors, pair[1].model.vectors
        self.words = shared_words(va, vb, self.count_box.value())
        if len(self.words) < 3:
            self.overlap_label.setText("These two models share fewer than 3 words: nothing to compare.")
            self.map_a.set_points([], np.zeros((0, 2)), pair[0].name)
            self.map_b.set_points([], np.zeros((0, 2)), pair[1].name)
            self.compared.emit()
            return
        ca, cb = aligned_maps(va, vb, self.words)
        self.map_a.set_points(self.words, ca, f"{pair[0].name} · PCA")
        self.map_b.set_points(self.words, cb, f"{pair[1].name} · PCA, aligned to the left")
        ua, ub = rows(va, self.words), rows(vb, self.words)
        self.overlap = neighbour_overlap(ua, ub, OVERLAP_K)
        self._units = (ua, ub)
        if self.selected in self.map_a._index:
            self.select(self.selected)
        else:
            self.selected = None
            self._show_overlap()
        self.compared.emit()

    def _neighbours(self, unit: np.ndarray, i: int) -> list[str]:
        sims = unit @ unit[i]
        sims[i] = -np.inf
        k = min(OVERLAP_K, len(sims) - 1)
        top = np.argpartition(-sims, k - 1)[:k]
        return [self.words[j] for j in top[np.argsort(-sims[top])]]

    def select(self, word: str) -> None:
        if not word:
            return
        self._maps.flush()
        if word not in self.map_a._index:
            self.overlap_label.setText(f"“{printable_html(word)}” is not among the {len(self.words):,} shared "
                                       "words shown; show more words or pick another.")
            return
        self.selected = word
        i = self.map_a._index[word]
        near_a, near_b = (self._neighbours(u, i) for u in self._units)
        both = set(near_a) & set(near_b)
        for m, near in ((self.map_a, near_a), (self.map_b, near_b)):
            colours = {word: SELECTED}
            colours.update((w, GROUP if w in both else NEIGHBOUR) for w in near)
            m.mark(colours)
        self._show_overlap(word, near_a, near_b)

    def _show_overlap(self, word: str | None = None, near_a=(), near_b=()) -> None:
        mean = float(np.nanmean(self.overlap)) if len(self.overlap) else math.nan
        text = (f"Neighbour overlap at {OVERLAP_K}, mean over the {len(self.words):,} shown words: "
                f"<b>{_cell(mean)}</b>.")
        if word is not None:
            i = self.map_a._index[word]
            only_a = [w for w in near_a if w not in near_b]
            only_b = [w for w in near_b if w not in near_a]
            text = (f"“{printable_html(word)}”: <b>{_cell(float(self.overlap[i]))}</b> of its {OVERLAP_K} nearest "
                    f"shown words agree (green). Left only: {_words_html(only_a)}. Right only: "
                    f"{_words_html(only_b)}. " + text)
        self.overlap_label.setText(text)

    def selected_overlap(self) -> float:
        return float(self.overlap[self.map_a._index[self.selected]]) if self.selected else math.nan

    def mean_overlap(self) -> float:
        return float(np.nanmean(self.overlap)) if len(self.overlap) else math.nan

    # --- the table -------------------------------------------------------------------------
    def columns(self) -> list[str]:
        sections = {}        # a dict keeps them in order and finds one in constant time
        for e in self.session:
            sections.update((k, None) for k in (e.scores or {}) if k.startswith("section: "))
        return list(FIXED_COLUMNS) + list(sections)

    def table_rows(self) -> list[list]:
        """One row per session model, values raw (floats, NaN where unknown), in :meth:`columns` order."""
        cols = self.columns()
        out = []
        for e in self.session:
            scores = e.scores or {}
            row = [e.name, e.added, e.training_seconds, len(e.model.vectors)]
            row += [scores.get(c, math.nan) for c in cols[4:]]
            out.append(row)
        return out

    def refresh_table(self) -> None:
        cols = self.columns()
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels([c.replace("section: ", "") for c in cols])
        data = self.table_rows()
        self.table.setRowCount(len(data))
        for r, row in enumerate(data):
            for c, value in enumerate(row):
                text = f"{value:,}" if isinstance(value, int) else (
                    f"{value:.1f}" if c == 2 and math.isfinite(value) else _cell(value))
                item = QTableWidgetItem(printable(text))
                if c >= 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        waiting = sum(e.scores is None for e in self.session)
        self.table_note.setText(f"{waiting} not scored yet" if waiting else "")

    def make_current(self, row: int) -> None:
        """Make the session's model in ``row`` the window's current one again."""
        if 0 <= row < len(self.session) and self.session[row].model is not self.app.model:
            self.app.choose_model(self.session[row].model)

    def score_models(self) -> None:
        """Score every model not scored yet, in the worker, with progress; figures are kept per model."""
        todo = [e for e in self.session if e.scores is None]
        if not todo or "compare-scores" in self.app.jobs:
            return
        self.progress.setValue(0)
        self.progress.show()
        self.score_button.setEnabled(False)

        def done(results: dict) -> None:
            for e in todo:
                e.scores = results.get(id(e), e.scores)
            self.refresh_table()
            self.scored.emit()

        def progress(ev) -> None:
            self.progress.setValue(int(1000 * ev.fraction))
            self.progress.setToolTip(tooltip(ev.message))

        job = self.app.jobs.run("compare-scores", score_many_steps, [(id(e), e.model.vectors) for e in todo],
                                on_progress=progress, on_done=done)
        job.ended.connect(self.progress.hide)
        job.ended.connect(lambda: self.score_button.setEnabled(True))

    def export_csv(self, path: str | Path) -> Path:
        path = Path(path)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns())
            for row in self.table_rows():
                writer.writerow(["" if isinstance(v, float) and not math.isfinite(v) else
                                 (f"{v:.6g}" if isinstance(v, float) else v) for v in row])
        return path

    def _ask_export(self) -> None:
        if not self.session:
            self.app.error("There is no model to export figures for yet.", user_error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the comparison table", "models.csv", "CSV (*.csv)")
        if path:
            self.app.status(f"Exported {self.export_csv(path)}.", 8000)
