"""Nearest neighbours of the selected word, and the word groups to highlight on the map."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHeaderView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.views.plain import heading, heading_label, plain_label
from models.printable import printable
from models.text.fasttext import SubwordVectors, char_ngrams
from models.text.presets import WORD_GROUPS


def subwords_of(model) -> tuple[int, int] | None:
    """The n-gram lengths (min_n, max_n) a subword model builds vectors from; None for others."""
    vectors = getattr(model, "vectors", None)
    if not isinstance(vectors, SubwordVectors) or vectors.config.max_n < vectors.config.min_n:
        return None
    return vectors.config.min_n, vectors.config.max_n


def subword_text(word: str, lengths: tuple[int, int]) -> str:
    """One line per n: the character n-grams of <word>, as FastText splits it."""
    return "\n".join(f"n = {n}:  " + " ".join(char_ngrams(word, n, n)) for n in range(lengths[0], lengths[1] + 1)
                     if char_ngrams(word, n, n))


class NeighboursPanel(QWidget):
    word_activated = Signal(str)
    group_chosen = Signal(str, list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = heading_label("Nearest neighbours")
        self.hint = plain_label("Click a point on the map or search for a word.", wordWrap=True)
        self.hint.setStyleSheet("color: #555;")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["word", "cosine"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.cellActivated.connect(self._activated)
        self.table.cellClicked.connect(self._activated)
        self.groups = QComboBox()
        self.groups.addItem("Highlight a word group…", None)
        for name in WORD_GROUPS:
            self.groups.addItem(name, name)
        self.groups.activated.connect(self._group)
        self.group_note = plain_label(wordWrap=True)
        self.group_note.setStyleSheet("color: #8a6d00;")
        self.subwords_title = heading_label("Subwords")
        self.subwords = plain_label(wordWrap=True, textInteractionFlags=Qt.TextSelectableByMouse)
        self.subwords.setStyleSheet("font-family: monospace;")
        self.subwords_title.setToolTip("FastText's input for a word is the mean of its own vector and the "
                                       "vectors of these n-grams of <word>")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.subwords_title)
        layout.addWidget(self.subwords)
        layout.addWidget(heading_label("Word groups"))
        layout.addWidget(self.groups)
        layout.addWidget(self.group_note)
        self.show_subwords("", None)

    def show_neighbours(self, word: str, neighbours: list[tuple[str, float]], note: str = "") -> None:
        self.title.setText(heading(f"Nearest neighbours of “{word}”"))
        self.hint.setText(note)
        self.hint.setVisible(bool(note))
        self.table.setRowCount(len(neighbours))
        for row, (w, sim) in enumerate(neighbours):
            self.table.setItem(row, 0, QTableWidgetItem(printable(w)))
            item = QTableWidgetItem(f"{sim:.3f}")
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(row, 1, item)

    def show_message(self, text: str) -> None:
        self.title.setText(heading("Nearest neighbours"))
        self.hint.setText(text)
        self.hint.show()
        self.table.setRowCount(0)
        self.show_subwords("", None)

    def clear(self) -> None:
        """No word selected, no group highlighted."""
        self.show_message("Click a point on the map or search for a word.")
        self.group_note.setText("")
        self.groups.setCurrentIndex(0)

    def state(self) -> dict:
        return {}       # the highlighted group is the application's state; the box only shows it

    def restore(self, fields: dict) -> None:
        """Show a session's highlighted group as chosen in the box."""
        group = fields.get("group")
        self.groups.setCurrentIndex(max(self.groups.findData(group[0]), 0) if group else 0)

    def show_subwords(self, word: str, lengths: tuple[int, int] | None) -> None:
        """The word's character n-grams, shown only for a subword model (``lengths`` not None)."""
        text = subword_text(word, lengths) if lengths and word else ""
        self.subwords.setText(text)
        self.subwords_title.setText(heading(f"Subwords of “{word}”" if text else "Subwords"))
        self.subwords_title.setVisible(bool(text))
        self.subwords.setVisible(bool(text))

    def neighbour_words(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def _activated(self, row: int, _col: int) -> None:
        self.word_activated.emit(self.table.item(row, 0).text())

    def _group(self, index: int) -> None:
        name = self.groups.itemData(index)
        if name:
            self.group_chosen.emit(name, WORD_GROUPS[name])
