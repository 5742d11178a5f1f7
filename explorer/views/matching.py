"""Matching: query-by-example with a Siamese matcher, next to the no-learning baseline.

Pick one of the held-out noisy queries the metrics came from (or load a recording) and see the
ten best items by the trained network and by the baseline (raw log-mel correlation), the true
source marked in both; listen to the query and to any match; see the database on a 2-D map
(PCA; UMAP on demand) with the query placed among the items and its true source ringed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QProgressBar, QPushButton, QSplitter, QStyle, QTableWidget, QTableWidgetItem,
                               QToolButton, QVBoxLayout, QWidget)

from explorer import audio, workers
from explorer.views.column import column
from explorer.views.plain import heading_label, plain_label, point_tip, tooltip
from models.vectors import projection
from models.errors import UserError
from models.printable import printable
from models.siamese import explore
from models.siamese.audio import load_wav
from models.siamese.model import SiameseMatcher, load_matcher

TOP = 10
TRUTH_BG = QColor("#c8ecc8")
TRAINED_ITEM, HELD_OUT_ITEM = "#b9bec7", "#4c78a8"
QUERY, TRUTH, BEST = "#d62728", "#2ca02c", "#ff7f0e"


class MatchingView(QWidget):
    title = "Matching"
    ready = Signal()              # the model's database and held-out queries are loaded
    matched = Signal(object)      # the MatchResult now shown
    laid_out = Signal(str)        # "PCA" or "UMAP", once the map shows that layout

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.matcher: SiameseMatcher | None = None
        self.session: explore.MatchingSession | None = None
        self.result: explore.MatchResult | None = None
        self.coords = np.zeros((0, 2), np.float32)
        self.query_xy: np.ndarray | None = None
        self.player = audio.Player(self)
        self._build()
        app.trained.connect(self._trained)
        app.closing.connect(self.player.stop)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        icon = self.style().standardIcon
        self.query_box = QComboBox(minimumWidth=260)
        self.query_box.setToolTip("Held-out queries: noisy excerpts of items the network never trained on, "
                                  "re-performed in another timbre, tempo and pitch")
        self.query_box.activated.connect(lambda _: self.match_current())
        load = QPushButton("Load WAV…")
        load.clicked.connect(self.ask_wav)
        open_model = QPushButton("Open model…")
        open_model.setToolTip("A folder saved from a Siamese (siamese) training")
        open_model.clicked.connect(self.ask_model)
        self.play_query_button = QPushButton(icon(QStyle.SP_MediaPlay), "Play query")
        self.play_query_button.clicked.connect(self.play_query)
        self.stop_button = QPushButton(icon(QStyle.SP_MediaStop), "Stop")
        self.stop_button.clicked.connect(self.player.stop)
        self.progress = QProgressBar(maximumWidth=160)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        top = QHBoxLayout()
        for w in (plain_label("Query"), self.query_box, load, open_model, self.play_query_button, self.stop_button,
                  self.progress):
            top.addWidget(w)
        top.addStretch(1)
        self.model_label = plain_label("No Siamese matcher yet: train “Siamese” on the left, or open a saved one.",
                                       wordWrap=True)
        self.status = plain_label(wordWrap=True)
        self.status.setStyleSheet("color: #8a6d00;")

        self.tables = {False: self._ranking_table(), True: self._ranking_table()}
        self.rank_notes = {False: plain_label(wordWrap=True), True: plain_label(wordWrap=True)}
        rankings = QHBoxLayout()
        for baseline, heading in ((False, "Siamese network (learned)"),
                                  (True, "Baseline: log-mel correlation (no learning)")):
            col = QVBoxLayout()
            col.addWidget(heading_label(heading))
            col.addWidget(self.tables[baseline], 1)
            col.addWidget(self.rank_notes[baseline])
            rankings.addLayout(col)
        self.metrics = QTableWidget(3, 2)
        self.metrics.setHorizontalHeaderLabels(["Siamese", "baseline"])
        self.metrics.setVerticalHeaderLabels(["top-1", "top-5", "AUC"])
        self.metrics.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.metrics.setFixedHeight(self.metrics.horizontalHeader().sizeHint().height()
                                    + 3 * self.metrics.verticalHeader().defaultSectionSize() + 6)
        self.metrics_note = plain_label(wordWrap=True)
        left = column((rankings, 1),
                      plain_label("Held-out metrics (queries of items never trained on, against the whole database)"),
                      self.metrics, self.metrics_note)

        self.plot = pg.PlotWidget(background="w")
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setTitle("database items · one point per item", color="#333", size="10pt")
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextColor="#222",
                                          brush=pg.mkBrush(255, 255, 255, 210))
        tip = dict(hoverable=True, hoverSize=11, tip=point_tip)
        self.trained_items = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(TRAINED_ITEM), size=7, **tip)
        self.held_items = pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(HELD_OUT_ITEM), size=7, **tip)
        self.best_mark = pg.ScatterPlotItem(pen=pg.mkPen(BEST, width=2), brush=None, size=15)
        self.truth_mark = pg.ScatterPlotItem(pen=pg.mkPen(TRUTH, width=2.5), brush=None, size=22)
        self.query_mark = pg.ScatterPlotItem(pen=pg.mkPen("#111", width=1), brush=pg.mkBrush(QUERY), size=16,
                                             symbol="star")
        for item, name in ((self.trained_items, "trained-on item"), (self.held_items, "held-out item"),
                           (self.best_mark, "best match"), (self.truth_mark, "true source"),
                           (self.query_mark, "query")):
            self.plot.addItem(item)
            self.legend.addItem(item, name)
        self.query_mark.setZValue(10)
        self.labels = [pg.TextItem(color=c, anchor=(0, 1)) for c in (QUERY, TRUTH, BEST)]
        for t in self.labels:
            self.plot.addItem(t)
        self.layout_box = QComboBox()
        self.layout_box.addItems(["PCA", "UMAP"])
        self.layout_box.setToolTip("UMAP runs in the background")
        self.layout_box.currentTextChanged.connect(self._relayout)
        self.caption = plain_label(wordWrap=True)
        controls = QHBoxLayout()
        controls.addWidget(plain_label("Layout"))
        controls.addWidget(self.layout_box)
        controls.addStretch(1)
        right = column(controls, (self.plot, 1), self.caption)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 480])
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.model_label)
        outer.addWidget(self.status)
        outer.addWidget(split, 1)
        self._enable(False)

    def _ranking_table(self) -> QTableWidget:
        t = QTableWidget(0, 3)
        t.setHorizontalHeaderLabels(["", "item", "score"])
        t.setEditTriggers(QAbstractItemView.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectRows)
        t.verticalHeader().setDefaultSectionSize(24)
        t.verticalHeader().hide()       # the rank is in the item column
        h = t.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.Stretch)
        h.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        t.setToolTip("Double-click a row, or its ▶, to hear the item's database recording")
        t.cellDoubleClicked.connect(lambda row, _col, table=t: self._play_row(table, row))
        return t

    def _enable(self, on: bool) -> None:
        self.play_query_button.setEnabled(on and self.result is not None)
        self.query_box.setEnabled(on)

    # --- model -----------------------------------------------------------------------------
    def _trained(self, result) -> None:
        if isinstance(result, SiameseMatcher):
            self.set_model(result)

    @property
    def trained_model(self) -> SiameseMatcher | None:
        """The trained model this view shows: a saved session keeps it and gives it back to :meth:`set_model`."""
        return self.matcher

    def ask_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a Siamese matcher folder")
        if folder:
            self.open_model(folder)

    def open_model(self, folder: str | Path) -> workers.Job:
        return self.app.jobs.run("open-siamese-model", workers.call_once, load_matcher, str(folder),
                                 on_done=self.set_model)

    def set_model(self, matcher: SiameseMatcher) -> workers.Job:
        """Show ``matcher``; its database and held-out queries are rebuilt in the background."""
        self.player.stop()
        self.app.jobs.cancel("matching-umap")
        self.matcher, self.session, self.result = matcher, None, None
        c, s = matcher.config, matcher.stats
        self.model_label.setText(
            f"Model: Siamese twin CNN, {c.dim}-D embeddings, {c.loss} loss, {s.get('steps_done', c.steps):,} steps · "
            f"database: {len(matcher.names)} {'Bach chorales' if c.source == 'bach' else 'random tunes'} "
            f"of {c.item_beats:g} beats, {s.get('test_items', '?')} held out")
        self._show_metrics(s)
        self.query_box.clear()
        self._clear_rankings()
        self._enable(False)
        self.progress.setValue(0)
        self.progress.show()

        def progress(ev):
            self.progress.setValue(int(1000 * ev.fraction))
            self.status.setText((ev.message or "Preparing") + "…")

        job = self.app.jobs.run("matching-prepare", explore.prepare_steps, matcher,
                                on_progress=progress, on_done=lambda ses: self._session_ready(matcher, ses))
        job.failed.connect(lambda err: self.status.setText(err.message))
        job.ended.connect(self.progress.hide)
        return job

    def _session_ready(self, matcher: SiameseMatcher, session: explore.MatchingSession) -> None:
        if matcher is not self.matcher:
            return
        self.session = session
        self.status.setText("")
        for q in session.queries:
            self.query_box.addItem(q.name, q)
        self.layout_box.blockSignals(True)
        self.layout_box.setCurrentText("PCA")
        self.layout_box.blockSignals(False)
        self.coords = session.pca
        self._draw_items(fit=True)
        self._enable(True)
        self.ready.emit()
        if session.queries:
            self.match_current()

    def _show_metrics(self, s: dict) -> None:
        for r, key in enumerate(("top1", "top5", "auc")):
            for c, prefix in enumerate(("", "baseline_")):
                v = s.get(prefix + key)
                item = QTableWidgetItem("—" if not isinstance(v, (int, float)) else f"{v:.3f}")
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.metrics.setItem(r, c, item)
        n = s.get("test_queries")
        self.metrics_note.setText(f"From {n} noisy queries of {s.get('test_items')} held-out items; AUC: how "
                                  "often a true pair outscores a false one." if n else "")

    # --- queries ---------------------------------------------------------------------------
    def ask_wav(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording to match", "",
                                              "Audio (*.wav *.flac *.ogg);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> workers.Job:
        """Read a recording (mono, resampled to the matcher's rate) in the background, then match it."""
        path = Path(path)

        def done(recording):
            self.add_query(path.name, recording.samples, note=recording.note)

        job = self.app.jobs.run("matching-wav", workers.call_once, load_wav, path, on_done=done)
        job.failed.connect(lambda err: self.status.setText(err.message))
        return job

    def add_query(self, name: str, wave: np.ndarray, truth: int | None = None, note: str = "") -> workers.Job | None:
        """Offer audio at the database's rate as a query (``truth``: its item, when known; ``note``: what
        reading its file changed, shown with its matches) and match it."""
        self.query_box.addItem(name, explore.Query(name, np.asarray(wave, np.float32), truth, note))
        self.query_box.setCurrentIndex(self.query_box.count() - 1)
        return self.match_current()

    def match_current(self) -> workers.Job | None:
        query = self.query_box.currentData()
        if self.session is None:
            self.status.setText("Train or open a Siamese matcher first; its database loads after that.")
            return None
        if query is None:
            return None
        session = self.session
        self.status.setText(f"Matching {query.name}…")
        job = self.app.jobs.run("matching-query", workers.call_once, explore.match, session, query,
                                on_done=lambda r: self.show_result(r) if session is self.session else None)
        job.failed.connect(lambda err: self.status.setText(err.message))
        return job

    def show_result(self, result: explore.MatchResult) -> None:
        self.result = result
        self.status.setText(result.query.note)
        for baseline in (False, True):
            self._fill(baseline)
        self._draw_query()
        self._enable(True)
        self.matched.emit(result)

    # --- rankings --------------------------------------------------------------------------
    def _clear_rankings(self) -> None:
        for baseline in (False, True):
            self.tables[baseline].setRowCount(0)
            self.rank_notes[baseline].setText("")

    def _fill(self, baseline: bool) -> None:
        r, names = self.result, self.session.db.names
        table = self.tables[baseline]
        scores = r.baseline if baseline else r.scores
        top = r.top(TOP, baseline)
        table.setRowCount(len(top))
        bold = QFont()
        bold.setBold(True)
        icon = self.style().standardIcon(QStyle.SP_MediaPlay)
        for row, i in enumerate(top):
            play = QToolButton(icon=icon, autoRaise=True)
            play.setToolTip(tooltip(f"Play {names[i]}"))
            play.clicked.connect(lambda _=False, item=int(i): self.play_item(item))
            table.setCellWidget(row, 0, play)
            cells = [QTableWidgetItem(f"{row + 1}. {printable(names[i])}"), QTableWidgetItem(f"{scores[i]:.3f}")]
            cells[0].setData(Qt.UserRole, int(i))
            cells[1].setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            for col, cell in enumerate(cells, start=1):
                if i == r.query.truth:
                    cell.setBackground(QBrush(TRUTH_BG))
                    cell.setFont(bold)
                    cell.setToolTip("the true source of this query")
                table.setItem(row, col, cell)
        rank = r.rank_of_truth(baseline)
        if rank is None:
            note = "True source unknown (a loaded recording)."
        elif rank <= TOP:
            note = f"True source {names[r.query.truth]} ranked {rank} (green)."
        else:
            note = f"True source {names[r.query.truth]} ranked {rank} of {len(names)}: not in the top {TOP}."
        self.rank_notes[baseline].setText(note)

    def ranking(self, baseline: bool = False) -> list[tuple[str, float]]:
        """The ranking table as shown: (item name, score), best first."""
        t = self.tables[baseline]
        return [(t.item(r, 1).text().split(". ", 1)[1], float(t.item(r, 2).text())) for r in range(t.rowCount())]

    # --- map -------------------------------------------------------------------------------
    def _draw_items(self, fit: bool = False) -> None:
        s = self.session
        held = s.held_out
        names = np.array(s.db.names, dtype=object)
        self.trained_items.setData(pos=self.coords[~held], data=names[~held])
        self.held_items.setData(pos=self.coords[held], data=names[held])
        how = ("PCA of the items' embeddings; the query is projected onto the same axes"
               if self.layout_box.currentText() == "PCA" else
               "UMAP of the items' embeddings; UMAP cannot place a new point, so the query sits at the "
               "similarity-weighted mean of its 3 nearest items")
        self.caption.setText(f"{len(s.db)} items ({int(held.sum())} held out) · each item is the mean of its "
                             f"{s.matcher.config.dim}-D window embeddings · {how}.")
        if fit and len(self.coords):
            self.plot.getViewBox().autoRange(padding=0.08)
        self._draw_query()

    def _draw_query(self) -> None:
        r, s = self.result, self.session
        empty = np.zeros((0, 2))
        if r is None or s is None:
            for item in (self.query_mark, self.truth_mark, self.best_mark):
                item.setData(pos=empty)
            for t in self.labels:
                t.setText("")
            return
        if self.layout_box.currentText() == "PCA" and self.coords is s.pca:
            xy = s.to_map(r.vector)
        else:
            xy = explore.place_by_neighbours(self.coords, s.item_vectors, r.vector)
        self.query_xy = np.asarray(xy, np.float32)
        best = int(r.top(1)[0])
        self.query_mark.setData(pos=self.query_xy[None])
        self.best_mark.setData(pos=self.coords[best][None])
        truth = r.query.truth
        self.truth_mark.setData(pos=self.coords[truth][None] if truth is not None else empty)
        texts = [(self.query_xy, "query"), (self.coords[truth] if truth is not None else None,
                                             s.db.names[truth] if truth is not None else ""),
                 (self.coords[best], s.db.names[best] if best != truth else "")]
        for label, (pos, text) in zip(self.labels, texts):
            label.setText(text)
            if pos is not None:
                label.setPos(float(pos[0]), float(pos[1]))

    def map_counts(self) -> tuple[int, int]:
        """(item points, query points) on the map now."""
        return (len(self.trained_items.data) + len(self.held_items.data), len(self.query_mark.data))

    def _relayout(self, name: str) -> None:
        if self.session is None:
            return
        session = self.session
        if name == "PCA":
            self.app.jobs.cancel("matching-umap")
            self.coords = session.pca
            self._draw_items(fit=True)
            self.laid_out.emit(name)
            return
        self.progress.setValue(0)
        self.progress.show()

        def progress(ev):
            self.progress.setValue(int(1000 * ev.fraction))
            self.status.setText(f"UMAP of {len(session.db)} item embeddings… {ev.fraction:.0%}")

        def done(coords):
            if session is self.session and self.layout_box.currentText() == "UMAP":
                self.coords = coords
                self._draw_items(fit=True)
                self.status.setText("")
                self.laid_out.emit("UMAP")

        job = self.app.jobs.run("matching-umap", projection.project, session.item_vectors, "umap",
                                on_progress=progress, on_done=done)
        job.failed.connect(lambda err: self.status.setText(err.message))
        job.ended.connect(self.progress.hide)

    # --- listening -------------------------------------------------------------------------
    def _play(self, wave: np.ndarray, rate: int, tag) -> audio.Playback | None:
        try:
            started = self.player.play(wave, rate, tag)
        except UserError as e:
            self.status.setText(str(e))
            return None
        self.status.setText(started.note())
        return started

    def play_query(self) -> audio.Playback | None:
        if self.result is None or self.session is None:
            return None
        return self._play(self.result.query.wave, self.session.db.sr, ("query",))

    def play_item(self, item: int) -> audio.Playback | None:
        if self.session is None:
            return None
        return self._play(self.session.db.waves[item], self.session.db.sr, ("item", item))

    def _play_row(self, table: QTableWidget, row: int) -> None:
        cell = table.item(row, 1)
        if cell is not None:
            self.play_item(int(cell.data(Qt.UserRole)))
