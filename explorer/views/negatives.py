"""Negative sampling, one centre word at a time: its true context words and the negatives drawn for
it, each with sigma(u.v), redrawn as skip-gram trains (see :mod:`models.text.negatives`).

Training runs in the training panel like any other (progress, Stop); this view only shows the
:class:`~models.text.negatives.ScoredSample` events that arrive on the application's ``train_progress``.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.views.plain import plain_label
from models import registry
from models.printable import printable, printable_html
from models.text import negatives
from models.text.negatives import ScoredSample

CONTEXT, NEGATIVE = "#1f77b4", "#d62728"


class NegativesView(QWidget):
    title = "Negatives"
    scored = Signal(object)           # the ScoredSample now shown

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.sample: ScoredSample | None = None
        self.every = 1.0                  # seconds of training between two scorings
        self.centre_edit = QLineEdit("king", maximumWidth=200)
        self.button = QPushButton("Train skip-gram and watch")
        self.button.setToolTip("Trains skip-gram with the settings on the left, stopping about once a second "
                               "to score this word's pairs")
        self.button.clicked.connect(self.watch)
        self.note = plain_label("Choose a centre word and train: its context words' scores should rise to 1, "
                                "the negatives' fall to 0.", wordWrap=True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["word", "pair", "σ(u·v)"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        # Horizontal bars, one per row of the table and in its order: the words read as the table's do.
        self.plot = pg.PlotWidget(background="w")
        self.plot.setXRange(0, 1)
        self.plot.setLabel("bottom", "σ(u·v)")
        self.plot.invertY(True)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[], pen=None)
        self.plot.addItem(self.bars)
        row = QHBoxLayout()
        row.addWidget(plain_label("Centre word"))
        row.addWidget(self.centre_edit)
        row.addWidget(self.button)
        row.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 2)
        body.addWidget(self.plot, 3)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.note)
        lay.addLayout(body, 1)
        app.train_progress.connect(self._progress)

    def centre(self) -> str:
        return self.centre_edit.text().strip().lower()

    def watch(self) -> None:
        """Train skip-gram in the training panel with its settings, stopping about once a second
        to score the centre word's pairs (the panel's Stop ends it, keeping the model)."""
        trainer = functools.partial(negatives.watch, centre=self.centre(), every=self.every)
        spec = dataclasses.replace(registry.get("sgns"), trainer=trainer)
        self.app.request_training(spec)

    def _progress(self, ev) -> None:
        if isinstance(ev, ScoredSample):
            self.show_sample(ev)

    def show_sample(self, s: ScoredSample) -> None:
        self.sample = s
        rows = [(w, "context", v) for w, v in s.contexts] + [(w, "negative", v) for w, v in s.negatives]
        self.table.setRowCount(len(rows))
        for r, (w, kind, v) in enumerate(rows):
            for c, text in enumerate((printable(w), kind, f"{v:.3f}")):
                item = QTableWidgetItem(text)
                item.setForeground(pg.mkColor(CONTEXT if kind == "context" else NEGATIVE))
                if c == 2:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        y = np.arange(len(rows), dtype=float)
        self.bars.setOpts(x0=np.zeros(len(rows)), y=y, height=0.7, width=[v for _, _, v in rows],
                          brushes=[pg.mkBrush(CONTEXT if k == "context" else NEGATIVE) for _, k, _ in rows])
        self.plot.getAxis("left").setTicks([[(i, printable(w)) for i, (w, _, _) in enumerate(rows)]])
        self.plot.setYRange(-0.6, len(rows) - 0.4)
        self.plot.setTitle(f"centre word “{printable_html(s.centre)}”: context words (blue), sampled negatives "
                           "(red)", color="#333", size="10pt")
        mean = lambda pairs: float(np.mean([v for _, v in pairs])) if pairs else float("nan")  # noqa: E731
        self.note.setText(f"After {s.step:,} {s.unit}: mean σ of the context pairs {mean(s.contexts):.2f}, of the "
                          f"negatives {mean(s.negatives):.2f}. Training pushes the first towards 1 and the second "
                          "towards 0; at the start every σ is 0.5.")
        self.scored.emit(s)
