"""One-hot vectors as a table: chosen words, each a row of its own vector at the words' dimensions.

The vectors come from the corpus's whole vocabulary (:func:`models.text.onehot.identity_table`), not
from a trained one-hot model, whose vocabulary is capped: the module's six place names rank past
the cap in the bundled corpus, and a one-hot vector exists for every word all the same.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from explorer import workers
from explorer.views.plain import plain_label
from models.printable import printable
from models.vectors.similarity import MODULE_WORDS
from models.text.onehot import IdentityTable, identity_table

ONE = QColor("#c6dbef")


class OneHotTableView(QWidget):
    title = "One-hot"

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.table_shown: IdentityTable | None = None
        self.words_edit = QLineEdit(", ".join(MODULE_WORDS))
        self.words_edit.setToolTip("Words separated by commas or spaces")
        self.words_edit.returnPressed.connect(self.show_words)
        show = QPushButton("Show")
        show.clicked.connect(self.show_words)
        self.note = plain_label(wordWrap=True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        row = QHBoxLayout()
        row.addWidget(plain_label("Words"))
        row.addWidget(self.words_edit, 1)
        row.addWidget(show)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)

    def typed_words(self) -> list[str]:
        return [w.lower() for w in re.split(r"[\s,;]+", self.words_edit.text().strip()) if w]

    def show_words(self) -> workers.Job | None:
        """Count the corpus's vocabulary in the background, then show the words' vectors."""
        if self.app.corpus is None:
            self.note.setText("Open a corpus first.")
            return None
        self.note.setText("Counting the corpus's words…")
        return self.app.jobs.run("one-hot-table", workers.call_once, identity_table, self.app.corpus,
                                 self.typed_words(), on_done=self.show_table)

    def show_table(self, t: IdentityTable) -> None:
        self.table_shown = t
        n = len(t.words)
        self.table.setRowCount(n)
        self.table.setColumnCount(n + 1)
        self.table.setHorizontalHeaderLabels([f"dim {d:,}" for d in t.dims] + ["every other dimension"])
        self.table.horizontalHeader().setSectionResizeMode(n, QHeaderView.ResizeToContents)
        self.table.setVerticalHeaderLabels([f"{printable(w)} ({c:,}×)" for w, c in zip(t.words, t.counts)])
        m = t.matrix
        for r in range(n):
            for c in range(n):
                item = QTableWidgetItem(f"{m[r, c]:.0f}")
                item.setTextAlignment(Qt.AlignCenter)
                if m[r, c]:
                    item.setBackground(ONE)
                self.table.setItem(r, c, item)
            rest = QTableWidgetItem(f"0 × {t.vocab_size - n:,}")
            rest.setTextAlignment(Qt.AlignCenter)
            self.table.setItem(r, n, rest)
        note = (f"Each word is a vector of {t.vocab_size:,} numbers (one per word of the corpus, most frequent "
                "first), all 0 but a single 1 at its own dimension: every two different words are at cosine 0.")
        if t.missing:
            note += f" Not in the corpus: {', '.join(printable(w) for w in t.missing)}."
        self.note.setText(note)
