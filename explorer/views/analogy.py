"""Analogy arithmetic you can see: a : b :: c : ?, drawn as a parallelogram on the map.

The top answers come from :func:`models.vectors.evaluation.analogy`; the map shows the arrows a -> b and
c -> answer, so a good analogy draws two parallel arrows of equal length. "Custom axes" lays the
map out along two difference vectors (direction = unit(b - a)), and the batch mode answers a whole
questions file in the worker and lists the failures, each one a click away from the map.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QCompleter, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLineEdit, QProgressBar, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from explorer.app_state import Layout
from explorer.views.plain import plain_label
from explorer.views.projection_map import ANALOGY, GROUP
from models.vectors.evaluation import DEFAULT_ANALOGIES, analogy, evaluate_analogies_steps
from models.printable import printable

METHODS = {"3CosAdd": "3cosadd", "3CosMul": "3cosmul"}
LINEAR_LAYOUTS = ("pca", "axes")     # layouts that are a fixed affine map of the unit vectors
FIT_ROWS = 5000                      # map points used to recover that map for off-map words
FAILURE = Qt.UserRole


def resolve(vectors, word: str) -> str | None:
    """The vocabulary's spelling of a typed word: as typed, else lower-cased; None if neither."""
    word = word.strip()
    if word in vectors:
        return word
    return word.lower() if word.lower() in vectors else None


def direction(vectors, a: str, b: str) -> np.ndarray:
    d = vectors.unit[vectors.index[b]] - vectors.unit[vectors.index[a]]
    n = np.linalg.norm(d)
    return d / n if n > 0 else d


class AnalogyView(QWidget):
    title = "Analogies"
    map_share = 0.6
    draws_on_map = True

    def __init__(self, app, map_view):
        super().__init__()
        self.app = app
        self.map_view = map_view
        self._shown: tuple | None = None       # what the map overlay shows, redrawn after a new layout
        self.map_holder = QSplitter(Qt.Horizontal)
        controls = QWidget()
        controls.setMinimumWidth(330)
        lay = QVBoxLayout(controls)
        lay.addWidget(self._question_box())
        lay.addWidget(self._axes_box())
        lay.addWidget(self._batch_box(), 1)
        self.map_holder.addWidget(controls)
        self.map_holder.setStretchFactor(0, 0)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.map_holder)
        app.model_ready.connect(self._new_model)
        app.projection_done.connect(lambda _method: self._redraw())

    # --- building ---------------------------------------------------------------------------
    def _word_edit(self, text: str) -> QLineEdit:
        edit = QLineEdit(text)
        edit.setCompleter(self._completer)
        edit.returnPressed.connect(self.solve)
        return edit

    def _question_box(self) -> QGroupBox:
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseInsensitive)
        box = QGroupBox("a is to b as c is to ?")
        self.a_edit, self.b_edit, self.c_edit = (self._word_edit(w) for w in ("man", "king", "woman"))
        self.method_box = QComboBox()
        self.method_box.addItems(list(METHODS))
        self.method_box.setToolTip("3CosAdd: b - a + c. 3CosMul (Levy & Goldberg): cos(x,b)·cos(x,c)/cos(x,a), "
                                   "so no single similarity dominates.")
        self.solve_button = QPushButton("Solve")
        self.solve_button.clicked.connect(self.solve)
        row = QHBoxLayout()
        for label, edit in (("a", self.a_edit), ("b", self.b_edit), ("c", self.c_edit)):
            row.addWidget(plain_label(label))
            row.addWidget(edit)
        row2 = QHBoxLayout()
        row2.addWidget(self.method_box)
        row2.addStretch(1)
        row2.addWidget(self.solve_button)
        self.note = plain_label(wordWrap=True)
        self.note.setStyleSheet("color: #8a6d00;")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["answer", "score"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setMinimumHeight(150)
        self.table.cellClicked.connect(self._answer_clicked)
        lay = QVBoxLayout(box)
        lay.addLayout(row)
        lay.addLayout(row2)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)
        return box

    def _axes_box(self) -> QGroupBox:
        box = QGroupBox("Custom axes: place words along two directions")
        self.x_from, self.x_to = QLineEdit("man"), QLineEdit("woman")
        self.y_from, self.y_to = QLineEdit("man"), QLineEdit("king")
        for e in (self.x_from, self.x_to, self.y_from, self.y_to):
            e.setCompleter(self._completer)
        form = QFormLayout(box)
        for label, a, b in (("x", self.x_from, self.x_to), ("y", self.y_from, self.y_to)):
            row = QHBoxLayout()
            row.addWidget(a)
            row.addWidget(plain_label("→"))
            row.addWidget(b)
            form.addRow(plain_label(label), row)
        self.axes_button = QPushButton("Lay out the map on these axes")
        self.axes_button.setToolTip("Each word sits at (its cosine with unit(x₂ − x₁), with unit(y₂ − y₁)). "
                                    "Press Project on the map to go back.")
        self.axes_button.clicked.connect(self.place_on_axes)
        form.addRow(self.axes_button)
        return box

    def _batch_box(self) -> QGroupBox:
        box = QGroupBox("Benchmark: a whole questions file")
        self.file_edit = QLineEdit(str(DEFAULT_ANALOGIES))
        browse = QPushButton("…", maximumWidth=30)
        browse.clicked.connect(self._browse)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.run_button.clicked.connect(self.run_batch)
        self.cancel_button.clicked.connect(lambda: self.app.jobs.cancel("analogy-batch"))
        self.batch_progress = QProgressBar()
        self.batch_progress.setRange(0, 1000)
        self.batch_progress.hide()
        self.summary = plain_label(wordWrap=True)
        self.report = QTreeWidget()
        self.report.setHeaderLabels(["section / failure", "accuracy · answer", "correct", "skipped"])
        self.report.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.report.itemClicked.connect(self._failure_clicked)
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        lay = QVBoxLayout(box)
        lay.addLayout(row)
        lay.addWidget(self.batch_progress)
        lay.addWidget(self.summary)
        lay.addWidget(self.report, 1)
        return box

    # --- one analogy ------------------------------------------------------------------------
    def _vectors(self):
        if self.app.model is None:
            self.note.setText("Train or open a model first.")
            return None
        return self.app.model.vectors

    def _resolve_all(self, vectors, typed: list[str]) -> list[str] | None:
        if not all(t.strip() for t in typed):
            self.note.setText("Fill in every word.")
            return None
        found = [resolve(vectors, t) for t in typed]
        missing = [t.strip() for t, f in zip(typed, found) if f is None]
        if missing:
            self.note.setText(f"Not in the vocabulary: {', '.join(missing)}. Check the spelling, or use "
                              f"vectors with more words ({len(vectors):,} now).")
            return None
        return found

    def solve(self) -> None:
        vectors = self._vectors()
        if vectors is None:
            return
        words = self._resolve_all(vectors, [self.a_edit.text(), self.b_edit.text(), self.c_edit.text()])
        self.table.setRowCount(0)
        if words is None:
            self.map_view.clear_overlay()
            self._shown = None
            return
        a, b, c = words
        answers = analogy(vectors, a, b, c, 10, METHODS[self.method_box.currentText()])
        self.table.setRowCount(len(answers))
        for r, (w, score) in enumerate(answers):
            self.table.setItem(r, 0, QTableWidgetItem(printable(w)))
            item = QTableWidgetItem(f"{score:.3f}")
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(r, 1, item)
        if answers:
            self.draw(a, b, c, answers[0][0])

    def answers(self) -> list[tuple[str, float]]:
        return [(self.table.item(r, 0).text(), float(self.table.item(r, 1).text()))
                for r in range(self.table.rowCount())]

    def draw(self, a: str, b: str, c: str, d: str, expected: str | None = None) -> None:
        """Arrows a -> b and c -> d on the map, the four words labelled; off-map words are placed
        with the map's own transform where it has one, and named where it has not."""
        self._shown = ("analogy", a, b, c, d, expected)
        colours = {a: ANALOGY[0], b: ANALOGY[0], c: ANALOGY[1], d: ANALOGY[1]}
        if expected and expected in self.app.model.vectors and expected not in colours:
            colours[expected] = GROUP
        off = [w for w in colours if not self.map_view.shows(w)]
        extra, note = {}, ""
        if off and self.app.shown in LINEAR_LAYOUTS and len(self.map_view.words) >= 3:
            extra = self._place_off_map(off)
            note = f"Placed with the map's own projection (not among its {len(self.map_view.words):,} words): "
        elif off:
            note = "Not among the words on the map, and t-SNE/UMAP cannot place new words (use PCA to see them): "
        self.note.setText(note + ", ".join(off) + "." if off else
                          f"{a} → {b} (blue) and {c} → {d} (orange): parallel arrows of equal length mean "
                          "the same offset." + (f" Expected: {expected} (green)." if expected else ""))
        self.map_view.show_overlay(colours, [(a, b), (c, d)], extra)
        self._frame(list(colours))

    def _frame(self, words: list[str]) -> None:
        """Zoom the map to the parallelogram, with room around it to see the neighbourhood."""
        m = self.map_view
        pts = np.array([m.position(w) for w in words if m.position(w) is not None], dtype=np.float64)
        if len(pts) < 2 or not len(m.coords):
            return
        lo, hi = pts.min(0), pts.max(0)
        margin = max(float((hi - lo).max()), 0.15 * float(np.ptp(m.coords, axis=0).max()) or 1.0)
        m.plot.getViewBox().setRange(xRange=(lo[0] - margin, hi[0] + margin),
                                     yRange=(lo[1] - margin, hi[1] + margin), padding=0)

    def _place_off_map(self, words: list[str]) -> dict[str, np.ndarray]:
        """Recover the map's affine transform of the unit vectors by least squares on its own points."""
        m, vectors = self.map_view, self.app.model.vectors
        idx = np.linspace(0, len(m.words) - 1, min(FIT_ROWS, len(m.words))).astype(int)
        rows = [vectors.index[m.words[i]] for i in idx]
        design = np.hstack([vectors.unit[rows], np.ones((len(rows), 1), dtype=np.float32)]).astype(np.float64)
        coef, *_ = np.linalg.lstsq(design, m.coords[idx].astype(np.float64), rcond=None)
        new = np.hstack([vectors.unit[[vectors.index[w] for w in words]], np.ones((len(words), 1))]) @ coef
        return dict(zip(words, new.astype(np.float32)))

    def _answer_clicked(self, row: int, _col: int) -> None:
        if self._shown and self._shown[0] == "analogy":
            _, a, b, c, _, expected = self._shown
            self.draw(a, b, c, self.table.item(row, 0).text(), expected)

    def _redraw(self) -> None:
        if self._shown and self._shown[0] == "analogy" and self.app.model is not None:
            self.draw(*self._shown[1:])
        elif self._shown:                       # axis words belong to the layout that was replaced
            self.map_view.clear_overlay()
            self._shown = None

    def _new_model(self, model) -> None:
        self._completer.model().setStringList(model.vectors.words[:100_000])
        self.table.setRowCount(0)
        self.report.clear()
        self.summary.clear()
        self.note.clear()
        self._shown = None
        self.map_view.clear_overlay()

    # --- custom axes ------------------------------------------------------------------------
    def place_on_axes(self) -> None:
        vectors = self._vectors()
        if vectors is None:
            return
        typed = [e.text() for e in (self.x_from, self.x_to, self.y_from, self.y_to)]
        words = self._resolve_all(vectors, typed)
        if words is None:
            return
        xa, xb, ya, yb = words
        dirs = np.stack([direction(vectors, xa, xb), direction(vectors, ya, yb)], axis=1)
        self.app.jobs.cancel("projection")
        n = min(self.map_view.count_box.value(), len(vectors))
        coords = vectors.unit[:n] @ dirs
        self.app.show_layout("axes", Layout(vectors.words[:n], np.ascontiguousarray(coords, dtype=np.float32),
                                     f"{n:,} words on custom axes: x = {xa} → {xb}, y = {ya} → {yb}",
                                     (f"cosine with {xa} → {xb}", f"cosine with {ya} → {yb}")))
        extra = {v: vectors.unit[vectors.index[v]] @ dirs for v in words if not self.map_view.shows(v)}
        self.map_view.show_overlay({xa: ANALOGY[0], xb: ANALOGY[0], ya: ANALOGY[1], yb: ANALOGY[1]},
                           [(xa, xb), (ya, yb)], extra)
        self._shown = ("axes",)
        self.note.setText(f"Map laid out on x = {xa} → {xb}, y = {ya} → {yb}. Press Project on the map to go back.")

    # --- batch ------------------------------------------------------------------------------
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Analogy questions", str(DEFAULT_ANALOGIES.parent),
                                              "Questions (*.txt);;All files (*)")
        if path:
            self.file_edit.setText(path)

    def run_batch(self) -> None:
        vectors = self._vectors()
        if vectors is None:
            self.summary.setText("Train or open a model first.")
            return
        path = self.file_edit.text().strip() or str(DEFAULT_ANALOGIES)
        method = METHODS[self.method_box.currentText()]
        self.report.clear()
        self.summary.setText(f"Answering the questions in {path}…")
        self._set_busy(True)

        def progress(ev):
            self.batch_progress.setValue(int(1000 * ev.fraction))
            self.summary.setText(f"{ev.step:,} of {ev.total_steps:,} questions answered…")

        job = self.app.jobs.run("analogy-batch", evaluate_analogies_steps, vectors, path, method,
                                  on_progress=progress, on_done=self.show_report)
        job.cancelled.connect(lambda: self.summary.setText("Cancelled; no accuracy to report."))
        job.failed.connect(lambda err: self.summary.setText(err.message))
        job.ended.connect(lambda: self._set_busy(False))

    def _set_busy(self, busy: bool) -> None:
        self.run_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)
        self.batch_progress.setVisible(busy)
        self.batch_progress.setValue(0)

    def show_report(self, report) -> None:
        pct = lambda x: "–" if x != x else f"{x:.1%}"   # noqa: E731  (NaN: nothing answered)
        self.summary.setText(
            f"{report.method}: accuracy {pct(report.accuracy)} ({report.correct:,} of {report.answered:,}); "
            f"semantic {pct(report.group_accuracy(False))}, syntactic {pct(report.group_accuracy(True))}; "
            f"{report.skipped:,} skipped for unknown words. Click a failure to draw it.")
        for s in report.sections:
            top = QTreeWidgetItem([s.name, pct(s.accuracy), f"{s.correct} / {s.answered}", str(s.skipped)])
            for a, b, c, expected, got in s.failures:
                child = QTreeWidgetItem([f"{a} : {b} :: {c} : {expected}", f"got {got}"])
                child.setData(0, FAILURE, (a, b, c, expected, got))
                top.addChild(child)
            self.report.addTopLevelItem(top)
        for col in range(1, 4):
            self.report.resizeColumnToContents(col)

    def section_rows(self) -> dict[str, tuple[str, str, str]]:
        """Each section's (accuracy, correct / answered, skipped) as shown."""
        out = {}
        for i in range(self.report.topLevelItemCount()):
            item = self.report.topLevelItem(i)
            out[item.text(0)] = (item.text(1), item.text(2), item.text(3))
        return out

    def _failure_clicked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        failure = item.data(0, FAILURE)
        if not failure or self.app.model is None:
            return
        a, b, c, expected, got = failure
        for edit, w in zip((self.a_edit, self.b_edit, self.c_edit), (a, b, c)):
            edit.setText(w)
        self.solve()
        self.draw(a, b, c, got, expected)
