"""The 2-D map of word vectors: points, hover tips, click to select, search, labels that do not pile up."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

METHODS = {"PCA": "pca", "t-SNE": "tsne", "UMAP": "umap"}
BASE = "#7f8c9b"
SELECTED = "#d62728"
NEIGHBOUR = "#ff7f0e"
GROUP = "#2ca02c"


def place_labels(anchors: np.ndarray, sizes: list[tuple[float, float]], gap: float = 4.0) -> list[tuple[float, float] | None]:
    """Greedy label placement in pixel space: try right, left, above, below each anchor and keep
    the first box that overlaps no box already placed; None when every spot is taken.
    ``anchors`` are in priority order (the most important label is placed first)."""
    placed: list[QRectF] = []
    out: list[tuple[float, float] | None] = []
    for (x, y), (w, h) in zip(anchors, sizes):
        spot = None
        for dx, dy in ((gap, -h / 2), (-w - gap, -h / 2), (-w / 2, -h - gap), (-w / 2, gap)):
            r = QRectF(x + dx, y + dy, w, h)
            if not any(r.intersects(p) for p in placed):
                spot = r
                break
        if spot is None:
            out.append(None)
        else:
            placed.append(spot)
            out.append((spot.x(), spot.y()))
    return out


class MapView(QWidget):
    word_clicked = Signal(str)
    word_searched = Signal(str)
    projection_requested = Signal(str, int)   # method, number of words
    cancel_requested = Signal()
    pause_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.method_box = QComboBox()
        self.method_box.addItems(list(METHODS))
        self.count_box = QSpinBox()
        self.count_box.setRange(50, 100_000)
        self.count_box.setSingleStep(500)
        self.count_box.setValue(1000)
        self.count_box.setSuffix(" words")
        self.count_box.setToolTip("How many of the most frequent words the map shows")
        self.apply_button = QPushButton("Project")
        self.search = QLineEdit(placeholderText="Find a word…", clearButtonEnabled=True)
        self.search.setMinimumWidth(180)
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.PopupCompletion)
        self.search.setCompleter(self._completer)
        self.progress = QProgressBar(maximumWidth=160)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        self.pause_button.hide()
        self.cancel_button.hide()
        self.caption = QLabel()
        self.caption.setStyleSheet("color: #555;")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Projection"))
        bar.addWidget(self.method_box)
        bar.addWidget(self.count_box)
        bar.addWidget(self.apply_button)
        bar.addWidget(self.progress)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        bar.addWidget(self.search)

        self.plot = pg.PlotWidget(background="w")
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.points = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(BASE + "aa"), pxMode=True,
                                         hoverable=True, hoverSize=10, hoverBrush=pg.mkBrush(SELECTED),
                                         tip=self._tip)
        self.marks = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("w", width=1))
        self.plot.addItem(self.points)
        self.plot.addItem(self.marks)
        self.points.sigClicked.connect(self._clicked)
        self.plot.getViewBox().sigRangeChanged.connect(self._layout_labels)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self.apply_button.clicked.connect(self._request)
        self.method_box.activated.connect(self._request)
        self.search.returnPressed.connect(lambda: self.word_searched.emit(self.search.text().strip().lower()))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.pause_button.clicked.connect(self.pause_requested)

        self.words: list[str] = []
        self.coords = np.zeros((0, 2), dtype=np.float32)
        self._index: dict[str, int] = {}
        self._labels: list[pg.TextItem] = []
        self._label_words: list[tuple[str, str]] = []   # (word, colour) in priority order
        self._marked: dict[str, str] = {}

    # --- data ------------------------------------------------------------------------------
    def set_vocabulary(self, words: list[str]) -> None:
        self._completer.model().setStringList(words)

    def set_points(self, words: list[str], coords: np.ndarray, caption: str = "", fit: bool = False) -> None:
        """Show words at coords (n, 2); keeps the current marks and labels where words remain."""
        coords = np.ascontiguousarray(coords, dtype=np.float32)
        if words != self.words:
            self.words = list(words)
            self._index = {w: i for i, w in enumerate(self.words)}
        self.coords = coords
        self.points.setData(pos=coords, data=self.words)
        if caption:
            self.caption.setText(caption)
        self._refresh_marks()
        if fit:
            self.plot.autoRange(padding=0.05)

    def clear(self) -> None:
        self.words, self._index, self.coords = [], {}, np.zeros((0, 2), dtype=np.float32)
        self.points.setData(pos=self.coords)
        self.mark({})

    def position(self, word: str):
        i = self._index.get(word)
        return None if i is None else self.coords[i]

    # --- marks and labels ------------------------------------------------------------------
    def mark(self, colours: dict[str, str]) -> None:
        """Colour and label these words (insertion order = label priority); others stay grey."""
        self._marked = dict(colours)
        self._refresh_marks()

    def _refresh_marks(self) -> None:
        present = [(w, c) for w, c in self._marked.items() if w in self._index]
        spots = [{"pos": self.coords[self._index[w]], "brush": pg.mkBrush(c), "size": 12 if c == SELECTED else 9}
                 for w, c in reversed(present)]
        self.marks.setData(spots)
        self._label_words = present
        self._layout_labels()

    def _layout_labels(self, *_) -> None:
        vb = self.plot.getViewBox()
        while len(self._labels) < len(self._label_words):
            item = pg.TextItem(anchor=(0, 0))
            self.plot.addItem(item)
            self._labels.append(item)
        anchors, sizes = [], []
        for (w, c), item in zip(self._label_words, self._labels):
            item.setText(w, color=c)
            br = item.textItem.boundingRect()
            sizes.append((br.width(), br.height()))
            scene = vb.mapViewToScene(pg.Point(*self.coords[self._index[w]]))
            anchors.append((scene.x(), scene.y()))
        spots = place_labels(np.array(anchors).reshape(-1, 2), sizes)
        for i, item in enumerate(self._labels):
            spot = spots[i] if i < len(spots) else None
            if spot is None:
                item.hide()
                continue
            view = vb.mapSceneToView(pg.Point(*spot))
            item.setPos(view.x(), view.y())
            item.show()

    def visible_labels(self) -> list[str]:
        return [w for (w, _), item in zip(self._label_words, self._labels) if item.isVisible()]

    def center_on(self, word: str) -> None:
        p = self.position(word)
        if p is not None:
            p = [float(v) for v in p]      # pyqtgraph compares ranges with float64 limits; float32 overflows
            vb = self.plot.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            w, h = float(x1 - x0), float(y1 - y0)
            span = float(np.ptp(self.coords, axis=0).max()) or 1.0
            if not (0 < w < 1e3 * span and 0 < h < 1e3 * span):   # the view was never fitted to the data
                w = h = span
            vb.setRange(xRange=(p[0] - w / 2, p[0] + w / 2), yRange=(p[1] - h / 2, p[1] + h / 2), padding=0)

    # --- projection progress ---------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        for w in (self.progress, self.pause_button, self.cancel_button):
            w.setVisible(busy)
        self.apply_button.setEnabled(not busy)
        self.pause_button.setText("Pause")
        self.progress.setValue(0)

    def set_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        self.progress.setToolTip(message)
        self.caption.setText(message)

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")

    @property
    def method(self) -> str:
        return METHODS[self.method_box.currentText()]

    # --- events ----------------------------------------------------------------------------
    def _request(self, *_) -> None:
        self.projection_requested.emit(self.method, self.count_box.value())

    def _clicked(self, _item, spots, *_) -> None:
        if len(spots):
            self.word_clicked.emit(spots[0].data())

    @staticmethod
    def _tip(x, y, data):
        return str(data)
