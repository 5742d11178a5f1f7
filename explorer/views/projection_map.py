"""The 2-D map of word vectors: points, hover tips, click to select, search, labels that do not pile up.

Built for 100,000 points: the base layer is one ScatterPlotItem with one brush, no pen, pxMode;
colouring by group swaps it for one such item per group (never one brush per point). Labels go to
marked words first and, once few points are in view, to the points nearby.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QHBoxLayout, QLineEdit, QProgressBar,
                               QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)
from explorer.app_state import Layout
from explorer.views.plain import plain_label, point_tip, tooltip
from models.printable import printable, printable_html

METHODS = {"PCA": "pca", "t-SNE": "tsne", "UMAP": "umap"}
BASE = "#7f8c9b"
SELECTED = "#d62728"
NEIGHBOUR = "#ff7f0e"
GROUP = "#2ca02c"
ANALOGY = ("#0072b2", "#d55e00")      # the a -> b and c -> answer arrows (Okabe-Ito blue, vermillion)
NEARBY_LABELS = 40                    # labels for the most frequent points in view, where they fit
COLOUR_MODES = {"One colour": "none", "k-means clusters": "kmeans", "Frequency": "frequency"}
META_PREFIX = "Metadata: "


def place_labels(anchors: np.ndarray, sizes: list[tuple[float, float]], gap: float = 4.0,
                 bounds: QRectF | None = None) -> list[tuple[float, float] | None]:
    """Greedy label placement in pixel space: try right, left, above, below each anchor and keep
    the first box that overlaps no box already placed, a box inside ``bounds`` (the visible area)
    before one that a side of the view would cut; None when every spot is taken.
    ``anchors`` are in priority order (the most important label is placed first)."""
    placed: list[QRectF] = []
    out: list[tuple[float, float] | None] = []
    for (x, y), (w, h) in zip(anchors, sizes):
        free = [r for r in (QRectF(x + dx, y + dy, w, h)
                            for dx, dy in ((gap, -h / 2), (-w - gap, -h / 2), (-w / 2, -h - gap), (-w / 2, gap)))
                if not any(r.intersects(p) for p in placed)]
        whole = [r for r in free if bounds is None or bounds.contains(r)]
        spot = (whole or free or [None])[0]
        if spot is None:
            out.append(None)
        else:
            placed.append(spot)
            out.append((spot.x(), spot.y()))
    return out


def show_labels(plot, items: list, wanted: list[tuple[str, str]], position) -> None:
    """Label each (word, colour) of ``wanted`` beside ``position(word)`` on ``plot`` without
    overlaps; ``items`` are the plot's TextItems, reused and grown as needed, the rest hidden."""
    vb = plot.getViewBox()
    while len(items) < len(wanted):
        items.append(pg.TextItem(anchor=(0, 0)))
        plot.addItem(items[-1])
    anchors, sizes = [], []
    for (w, c), item in zip(wanted, items):
        item.setText(printable(w), color=c)
        br = item.textItem.boundingRect()
        sizes.append((br.width(), br.height()))
        scene = vb.mapViewToScene(pg.Point(*[float(v) for v in position(w)]))
        anchors.append((scene.x(), scene.y()))
    spots = place_labels(np.array(anchors).reshape(-1, 2), sizes, bounds=vb.sceneBoundingRect())
    for i, item in enumerate(items):
        spot = spots[i] if i < len(spots) else None
        if spot is None:
            item.hide()
            continue
        view = vb.mapSceneToView(pg.Point(*spot))
        item.setPos(view.x(), view.y())
        item.show()


class MapView(QWidget):
    word_clicked = Signal(str)
    word_searched = Signal(str)
    projection_requested = Signal(str, int)   # method, number of words
    cancel_requested = Signal()
    pause_requested = Signal()
    colour_requested = Signal(str)            # "none", "kmeans", "frequency" or "meta:COLUMN"

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
        self.search.setMinimumWidth(120)    # with the progress widgets shown, the bar must still fit 1400 px
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.PopupCompletion)
        self.search.setCompleter(self._completer)
        self.progress = QProgressBar(maximumWidth=100)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        self.pause_button.hide()
        self.cancel_button.hide()
        self.caption = plain_label()
        self.caption.setStyleSheet("color: #555;")
        # A long caption must not widen the map past the window; it is cut instead.
        self.caption.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.colour_box = QComboBox()
        self.colour_box.addItems(list(COLOUR_MODES))
        self.colour_box.setToolTip("Colour the points by k-means cluster, by frequency, or by a metadata column")

        bar = QHBoxLayout()
        bar.addWidget(plain_label("Projection"))
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
                                         tip=point_tip)
        self.marks = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("w", width=1))
        self.extra_points = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen("w", width=1), symbol="d", size=11)
        self.plot.addItem(self.points)
        self.plot.addItem(self.extra_points)
        self.plot.addItem(self.marks)
        self._arrows = []
        for colour in ANALOGY:
            line = pg.PlotCurveItem(pen=pg.mkPen(colour, width=2.5))
            head = pg.ArrowItem(headLen=16, tipAngle=30, pen=None, brush=pg.mkBrush(colour))
            for item in (line, head):
                item.setZValue(5)
                item.hide()
                self.plot.addItem(item)
            self._arrows.append((line, head))
        self._layers: list[pg.ScatterPlotItem] = []
        self._layer_rows: list[np.ndarray] = []
        self._legend: pg.LegendItem | None = None
        self._colour_bar: pg.ColorBarItem | None = None
        self.points.sigClicked.connect(self._clicked)
        self.plot.getViewBox().sigRangeChanged.connect(self._layout_labels)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.caption, 1)
        foot.addWidget(plain_label("Colour"))
        foot.addWidget(self.colour_box)
        layout.addLayout(foot)
        self.apply_button.clicked.connect(self.request_projection)
        self.method_box.activated.connect(self.request_projection)
        self.search.returnPressed.connect(lambda: self.word_searched.emit(self.search.text().strip().lower()))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.pause_button.clicked.connect(self.pause_requested)
        self.colour_box.activated.connect(self._colour_chosen)

        self.words: list[str] = []
        self.coords = np.zeros((0, 2), dtype=np.float32)
        self._live = False                # see set_points
        self._index: dict[str, int] = {}
        self._labels: list[pg.TextItem] = []
        self._label_words: list[tuple[str, str]] = []   # (word, colour) in priority order
        self._marked: dict[str, str] = {}
        self._overlay: dict[str, str] = {}          # words labelled by a view (the analogy), first in line
        self._extra: dict[str, np.ndarray] = {}     # positions of overlay words that are not on the map

    # --- data ------------------------------------------------------------------------------
    def set_vocabulary(self, words: list[str]) -> None:
        self._completer.model().setStringList(words)

    def set_points(self, words: list[str], coords: np.ndarray, caption: str = "", fit: bool = False,
                   live: bool = False) -> None:
        """Show words at coords (n, 2); keeps the current marks and labels where words remain.
        ``live``: a frame of a map redrawn every second while a model trains, whose crowded views
        get no labels of nearby points (laying them out each second stalled the window 40 ms)."""
        self._live = live
        coords = np.ascontiguousarray(coords, dtype=np.float32)
        if words != self.words:
            self.words = list(words)
            self._index = {w: i for i, w in enumerate(self.words)}
            self.clear_colours()
        self.coords = coords
        self.points.setData(pos=coords, data=self.words)
        self._fill_layers()
        if caption:
            self.caption.setText(caption)
        self._refresh_marks()
        if fit:
            self.plot.autoRange(padding=0.05)

    def show_layout(self, layout: Layout) -> None:
        self.set_points(layout.words, layout.coords, layout.caption, fit=True)
        self.set_axis_labels(*layout.axis_labels)

    def clear(self) -> None:
        self.words, self._index, self.coords = [], {}, np.zeros((0, 2), dtype=np.float32)
        self.points.setData(pos=self.coords)
        self.clear_colours()
        self._overlay, self._extra = {}, {}
        self.mark({})

    def shows(self, word: str) -> bool:
        """Whether the word is one of the map's points (an overlay's extra words are not)."""
        return word in self._index

    def position(self, word: str):
        """Where the word is drawn: its map point, or the spot an overlay gave it; None if neither."""
        i = self._index.get(word)
        return self.coords[i] if i is not None else self._extra.get(word)

    # --- overlay: analogy arrows and off-map words -----------------------------------------
    def show_overlay(self, colours: dict[str, str], arrows: list[tuple[str, str]],
                     extra: dict[str, np.ndarray] | None = None) -> None:
        """Label ``colours``' words first, draw an arrow for each (from, to) word pair, and put
        words that are not on the map at the ``extra`` positions given for them."""
        self._extra = {w: np.asarray(p, dtype=np.float32) for w, p in (extra or {}).items()}
        self._overlay = dict(colours)
        if self._extra:
            self.extra_points.setData(pos=np.array(list(self._extra.values())),
                                      brush=[pg.mkBrush(self._overlay.get(w, GROUP)) for w in self._extra])
        else:
            self.extra_points.setData(pos=np.zeros((0, 2)))
        for k, (line, head) in enumerate(self._arrows):
            ends = arrows[k] if k < len(arrows) else None
            p0, p1 = (None, None) if ends is None else (self.position(ends[0]), self.position(ends[1]))
            if p0 is None or p1 is None:
                line.hide()
                head.hide()
                continue
            line.setData(x=[float(p0[0]), float(p1[0])], y=[float(p0[1]), float(p1[1])])
            # Screen y points down and pxMode arrows ignore the view's transform; angle 0 points left.
            dx, dy = float(p1[0] - p0[0]), float(p1[1] - p0[1])
            head.setStyle(angle=np.degrees(np.arctan2(-dy, dx)) - 180.0)
            head.setPos(float(p1[0]), float(p1[1]))
            line.show()
            head.show()
        self._refresh_marks()

    def clear_overlay(self) -> None:
        self.show_overlay({}, [])

    def arrow_ends(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (start, end) of each visible arrow, in data coordinates."""
        out = []
        for line, _ in self._arrows:
            if line.isVisible():
                x, y = line.getData()
                out.append((np.array([x[0], y[0]]), np.array([x[1], y[1]])))
        return out

    # --- colouring by group: one item and one brush per group ------------------------------
    def set_colour_options(self, metadata_columns: list[str]) -> None:
        current = self.colour_box.currentText()
        self.colour_box.clear()
        self.colour_box.addItems(list(COLOUR_MODES) + [META_PREFIX + c for c in metadata_columns])
        self.colour_box.setCurrentText(current if self.colour_box.findText(current) >= 0 else "One colour")

    def colour_groups(self, labels: np.ndarray, colours: list[str], names: list[str],
                      bar: tuple | None = None) -> None:
        """Draw group g (``labels == g``) in ``colours[g]``, one ScatterPlotItem per group. With
        ``bar = (colormap, low, high, title, ticks)`` a colour bar explains a continuous scale
        (``ticks``: (value, text) pairs, or None); otherwise a legend names the groups."""
        self.clear_colours(keep_choice=True)
        labels = np.asarray(labels)
        for g, colour in enumerate(colours):
            rows = np.flatnonzero(labels == g)
            if not len(rows):
                continue
            item = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(colour), pxMode=True,
                                      hoverable=True, hoverSize=10, hoverBrush=pg.mkBrush(SELECTED),
                                      tip=point_tip, name=printable_html(names[g]))   # legends are HTML
            item.sigClicked.connect(self._clicked)
            self.plot.addItem(item)
            self._layers.append(item)
            self._layer_rows.append(rows)
        self.points.hide()
        self._fill_layers()
        if bar is None:
            self._legend = pg.LegendItem(offset=(10, 10), labelTextColor="#333", brush=pg.mkBrush("#ffffffd0"))
            self._legend.setParentItem(self.plot.getPlotItem().getViewBox())
            for item in self._layers:
                self._legend.addItem(item, item.name())
        else:
            cmap, low, high, title, ticks = bar
            self._colour_bar = pg.ColorBarItem(values=(low, high), colorMap=cmap, label=printable_html(title),
                                               interactive=False, width=14, pen="#555")
            if ticks:
                self._colour_bar.axis.setTicks([ticks])
            self.plot.getPlotItem().layout.addItem(self._colour_bar, 2, 5)

    def clear_colours(self, keep_choice: bool = False) -> None:
        for item in self._layers:
            self.plot.removeItem(item)
        self._layers, self._layer_rows = [], []
        if self._legend is not None:
            if self._legend.scene() is not None:
                self._legend.scene().removeItem(self._legend)
            self._legend = None
        if self._colour_bar is not None:
            self.plot.getPlotItem().layout.removeItem(self._colour_bar)
            if self._colour_bar.scene() is not None:
                self._colour_bar.scene().removeItem(self._colour_bar)
            self._colour_bar = None
        self.points.show()
        if not keep_choice:
            self.colour_box.setCurrentIndex(0)

    def colour_layers(self) -> list[pg.ScatterPlotItem]:
        return list(self._layers)

    def _fill_layers(self) -> None:
        if not self._layers:
            return
        words = np.array(self.words, dtype=object)
        for item, rows in zip(self._layers, self._layer_rows):
            item.setData(pos=self.coords[rows], data=words[rows])

    def _colour_chosen(self, *_) -> None:
        text = self.colour_box.currentText()
        self.colour_requested.emit("meta:" + text[len(META_PREFIX):] if text.startswith(META_PREFIX)
                                   else COLOUR_MODES.get(text, "none"))

    def set_axis_labels(self, x: str | None, y: str | None) -> None:
        """Show labelled axes (for the custom-axes layout, where position means something), or hide them."""
        item = self.plot.getPlotItem()
        for side, text in (("bottom", x), ("left", y)):
            if text:
                item.getAxis(side).enableAutoSIPrefix(False)   # cosines read as cosines, not "x0.001"
                item.setLabel(side, printable_html(text))    # axis labels are HTML: the words escaped
                item.showAxis(side)
            else:
                item.hideAxis(side)

    # --- marks and labels ------------------------------------------------------------------
    def mark(self, colours: dict[str, str]) -> None:
        """Colour and label these words (insertion order = label priority); others stay grey."""
        self._marked = dict(colours)
        self._refresh_marks()

    def _refresh_marks(self) -> None:
        present = {w: c for w, c in self._overlay.items() if self.position(w) is not None}
        present.update((w, c) for w, c in self._marked.items() if w in self._index and w not in present)
        present = list(present.items())
        spots = [{"pos": self.position(w), "brush": pg.mkBrush(c), "size": 12 if c == SELECTED else 9}
                 for w, c in reversed(present) if w in self._index]
        self.marks.setData(spots)
        self._label_words = present
        self._layout_labels()

    def _nearby(self) -> list[tuple[str, str]]:
        """After the marked words, the first NEARBY_LABELS points in view (the map's words come
        most frequent first): a zoomed-out map reads as words too, a zoomed-in one labels every
        point; where labels would overlap, the later ones are left out."""
        if not len(self.coords):
            return []
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        dx, dy = 0.04 * (x1 - x0), 0.02 * (y1 - y0)       # not at the very edge, where a label is cut
        c = self.coords
        inside = np.flatnonzero((c[:, 0] >= x0 + dx) & (c[:, 0] <= x1 - dx) & (c[:, 1] >= y0 + dy)
                                & (c[:, 1] <= y1 - dy))
        if self._live and len(inside) > NEARBY_LABELS:
            return []
        taken = {w for w, _ in self._label_words}
        return [(self.words[i], "#555555") for i in inside[:NEARBY_LABELS + len(taken)]
                if self.words[i] not in taken][:NEARBY_LABELS]

    def _layout_labels(self, *_) -> None:
        show_labels(self.plot, self._labels, self._label_words + self._nearby(), self.position)

    def visible_labels(self) -> list[str]:
        """The marked and overlay words whose labels are shown (not the labels of nearby points)."""
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
        self.progress.setToolTip(tooltip(message))
        self.caption.setText(message)

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")

    @property
    def method(self) -> str:
        return METHODS[self.method_box.currentText()]

    # --- a session's part ------------------------------------------------------------------
    def state(self) -> dict:
        return {"search": self.search.text(), "count": self.count_box.value()}

    def restore(self, fields: dict) -> None:
        """The word count and search of a session; the method box shows its layout ("shown") if that
        was a projection."""
        self.count_box.setValue(fields["count"])
        method = {v: k for k, v in METHODS.items()}.get(fields.get("shown"))
        if method:
            self.method_box.setCurrentText(method)
        self.search.setText(fields["search"])

    # --- events ----------------------------------------------------------------------------
    def request_projection(self, *_) -> None:
        self.projection_requested.emit(self.method, self.count_box.value())

    def _clicked(self, _item, spots, *_) -> None:
        if len(spots):
            self.word_clicked.emit(spots[0].data())

