"""Separation: split a two-voice mixture with a deep clustering model, see and hear the result.

The mixture's spectrogram carries the estimated mask as a tint; beside it the audible
time-frequency bins (up to 4,000, evenly sampled) are points placed by their embeddings (PCA, or
UMAP on demand), coloured by the voice that is truly louder in each bin (when the voices alone
are known) or by the estimate each bin went to (its k-means cluster, or the larger share of a
mask head's mask).
Brushing a rectangle in either plot marks the same bins in the other, so one can ask "where do
these points live in the spectrogram?" and "how do the bins of this formant embed?". Below:
each estimated source as spectrogram and waveform (over its reference), players with a moving
playhead, SI-SDR / SDR with the oracle-mask ceilings, and WAV export. While deep clustering
trains, the scatter shows the live embeddings of a validation mixture parting into two clouds.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QProgressBar, QPushButton, QSizePolicy, QSplitter, QStyle, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer import audio, workers
from explorer.views.column import column
from explorer.views.plain import plain_label
from explorer.views.spectrogram import SOURCE_COLOURS, BrushViewBox, Spectrogram, Waveform
from models.vectors import projection
from models.audio import explore, wav
from models.audio.deep_clustering import DeepClusteringModel, load_model, load_pretrained
from models.errors import UserError

DEMO_CHOICES = 10
HIGHLIGHT_RING = "#009e73"        # Okabe-Ito bluish green: apart from both source colours
METRIC_COLUMNS = ("SI-SDR", "SI-SDRi", "SDR", "SDRi")    # i: improvement over the mixture
# what each player plays: the estimates are "separated", the references the voices "alone"
PLAYERS = ((("mixture", 0), "Mixture", "The recording the model was given"),
           (("estimate", 0), "Separated 1", "The model's estimate of the first voice"),
           (("estimate", 1), "Separated 2", "The model's estimate of the second voice"),
           (("reference", 0), "Voice 1 alone", "The first voice as recorded before mixing (the reference)"),
           (("reference", 1), "Voice 2 alone", "The second voice as recorded before mixing (the reference)"))


def write_sources(report: explore.SeparationReport, folder: str | Path) -> list[Path]:
    """``<mixture>_source1.wav`` and ``_source2.wav`` in ``folder`` (float WAV at the model's rate)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(report.name).stem).strip("_") or "mixture"
    outputs = {Path(folder) / f"{stem}_source{k + 1}.wav": wav.wav_bytes(s, report.sample_rate)
               for k, s in enumerate(report.sources)}
    wav.write_set(outputs)          # both sources, or neither
    return list(outputs)


class SeparationView(QWidget):
    title = "Separation"
    separated = Signal(object)        # the SeparationReport now shown
    selection_changed = Signal()
    laid_out = Signal(str)            # "PCA" or "UMAP", once the scatter shows that layout
    exported = Signal(list)           # the WAV paths written

    def __init__(self, app):
        super().__init__()
        self.app = app
        self.model: DeepClusteringModel | None = None
        self.report: explore.SeparationReport | None = None
        self.coords = np.zeros((0, 2), np.float32)
        self.selection = np.zeros(0, bool)
        self.live = False
        self._offered_bundled = False
        self.player = audio.Player(self)
        self._build()
        self.player.position_changed.connect(self._playhead)
        self.player.finished.connect(lambda tag: self._playhead(tag, None))
        app.trained.connect(self._trained)
        app.train_progress.connect(self._train_event)
        app.closing.connect(self.player.stop)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.mask_box = QCheckBox("Show mask", checked=True)
        self.mask_box.setToolTip("Tint each audible bin of the mixture with the colour of the source it was given to")
        self.mask_box.toggled.connect(self._show_mask)
        self.mixture_box = QComboBox(minimumWidth=180)
        self.mixture_box.setToolTip("Demo test mixtures have the two voices alone, so they get scores")
        load = QPushButton("Load WAV…")
        load.clicked.connect(self.ask_wav)
        open_model = QPushButton("Open model…")
        open_model.setToolTip("A folder saved from a deep clustering (dc) training")
        open_model.clicked.connect(self.ask_model)
        self.separate_button = QPushButton("Separate")
        self.separate_button.setEnabled(False)
        self.separate_button.clicked.connect(self.separate)
        self.progress = QProgressBar(maximumWidth=160)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.model_label = plain_label("No deep clustering model yet: train “Deep clustering” on the left, "
                                       "or open a saved one.", wordWrap=True)
        self.status = plain_label(wordWrap=True)
        self.status.setStyleSheet("color: #8a6d00;")
        top = QHBoxLayout()
        for w in (plain_label("Mixture"), self.mixture_box, load, open_model, self.separate_button, self.progress):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.mask_box)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.spec_box = BrushViewBox()
        self.mixture = Spectrogram(self.canvas.addPlot(row=0, col=0, colspan=2, viewBox=self.spec_box),
                                   "mixture · tint: estimated mask · drag to brush bins")
        self.source_specs = [Spectrogram(self.canvas.addPlot(row=k + 1, col=0), f"separated {k + 1} (estimate)")
                             for k in range(2)]
        self.waves = [Waveform(self.canvas.addPlot(row=k + 1, col=1)) for k in range(2)]
        # only plots of equal width are linked: pyqtgraph links unequal ones by screen position
        self.source_specs[1].plot.setXLink(self.source_specs[0].plot)
        self.source_specs[1].plot.setYLink(self.source_specs[0].plot)
        self.waves[1].plot.setXLink(self.waves[0].plot)
        grid = self.canvas.ci.layout
        grid.setRowStretchFactor(0, 2)
        self.spec_box.brushed.connect(self._spectrogram_brushed)

        icon = self.style().standardIcon
        self.play_buttons: dict[tuple, QPushButton] = {}
        # Two rows, what the model gave above what it was given: in one row the players alone made
        # this tab, and with it the window, wider than a 1400-pixel screen.
        heard, given = QHBoxLayout(), QHBoxLayout()
        heard.addWidget(plain_label("Listen"))
        for tag, text, tip in PLAYERS:
            b = QPushButton(icon(QStyle.SP_MediaPlay), text, toolTip=tip)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, t=tag: self.play(t))
            self.play_buttons[tag] = b
            (given if tag[0] == "reference" else heard).addWidget(b)
        self.stop_button = QPushButton(icon(QStyle.SP_MediaStop), "Stop")
        self.stop_button.clicked.connect(self.player.stop)
        self.export_button = QPushButton("Export WAV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.ask_export)
        heard.addWidget(self.stop_button)
        heard.addStretch(1)
        given.addStretch(1)
        given.addWidget(self.export_button)
        players = QVBoxLayout()
        players.addLayout(heard)
        players.addLayout(given)
        left = column((self.canvas, 1), players)

        self.scatter_box = BrushViewBox()
        self.scatter = pg.PlotWidget(viewBox=self.scatter_box, background="w")
        self.scatter.setTitle("time-frequency bin embeddings · drag to brush", color="#333", size="10pt")
        self.scatter.hideAxis("left")
        self.scatter.hideAxis("bottom")
        self.legend = self.scatter.addLegend(offset=(-8, 8), labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 230))
        self.clouds = [pg.ScatterPlotItem(pen=None, brush=pg.mkBrush(c), size=4, pxMode=True) for c in SOURCE_COLOURS]
        for cloud in self.clouds:
            self.scatter.addItem(cloud)
        # rings, so the brushed points keep their colour
        self.marked = pg.ScatterPlotItem(pen=pg.mkPen(HIGHLIGHT_RING, width=1.6), brush=None, size=8)
        self.marked.setZValue(10)
        self.scatter.addItem(self.marked)
        self.scatter_box.brushed.connect(self._scatter_brushed)
        self.colour_box = QComboBox()
        self.colour_box.addItem("louder voice (truth)", "truth")
        self.colour_box.addItem("k-means cluster", "cluster")     # renamed for a model with a mask head
        self.colour_box.currentIndexChanged.connect(lambda _: self._draw_scatter())
        self.layout_box = QComboBox()
        self.layout_box.addItems(["PCA", "UMAP"])
        self.layout_box.setToolTip("UMAP runs in the background")
        self.layout_box.currentTextChanged.connect(self._relayout)
        self.caption = plain_label(wordWrap=True)
        self.selection_note = plain_label(wordWrap=True)
        self.metrics = QTableWidget(0, len(METRIC_COLUMNS))
        self.metrics.setHorizontalHeaderLabels(METRIC_COLUMNS)
        self.metrics.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.metrics.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.metrics.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.metrics.hide()
        self.metrics_note = plain_label(wordWrap=True)
        scatter_controls = QHBoxLayout()
        for w in (plain_label("Colour"), self.colour_box, plain_label("Layout"), self.layout_box):
            scatter_controls.addWidget(w)
        scatter_controls.addStretch(1)
        right = column(scatter_controls, (self.scatter, 1), self.caption, self.selection_note, self.metrics,
                       self.metrics_note, minimumWidth=300)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([640, 400])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.model_label)
        outer.addWidget(self.status)
        outer.addWidget(split, 1)

    # --- model and mixtures ----------------------------------------------------------------
    def _trained(self, result) -> None:
        if isinstance(result, DeepClusteringModel):
            self.set_model(result)
            # What the new model makes of the first test mixture (voices its training never heard)
            # replaces the last live frame, without a press of Separate.
            demos = [i for i in range(self.mixture_box.count())
                     if isinstance(self.mixture_box.itemData(i), explore.DemoChoice)]
            self.mixture_box.setCurrentIndex(demos[0] if demos else 0)
            self.separate()

    @property
    def trained_model(self) -> DeepClusteringModel | None:
        """The trained model this view shows: a saved session keeps it and gives it back to :meth:`set_model`."""
        return self.model

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.model is None and not self._offered_bundled:
            self._offered_bundled = True
            self.open_bundled()

    def open_bundled(self) -> workers.Job:
        """Load the bundled model and separate its first example, in the background: the tab is
        ready to listen to at the first click, before any training."""
        self.model_label.setText("Loading the bundled separation model…")

        def ready(model):
            if self.model is None:          # a model trained or opened meanwhile wins
                self.set_model(model)
                self.separate()

        job = self.app.jobs.run("open-dc-model", workers.call_once, load_pretrained, on_done=ready, quiet=True)
        job.failed.connect(lambda err: self.model is None and self.model_label.setText(
            f"{err.message} Train “Deep clustering” on the left, or open a saved model."))
        return job

    def ask_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a deep clustering model folder")
        if folder:
            self.open_model(folder)

    def open_model(self, folder: str) -> workers.Job:
        return self.app.jobs.run("open-dc-model", workers.call_once, load_model, folder, on_done=self.set_model)

    def set_model(self, model: DeepClusteringModel) -> None:
        self.model = model
        s = model.stats
        c = model.config
        tuned = " of fine-tuning" if c.start == "pretrained" else ""
        trained = (f"{s['steps']:,} batches in {s.get('seconds', 0) / 60:.1f} min{tuned}" if s.get("steps")
                   else "untrained")
        if model.averaged:
            trained = f"the mean of {model.averaged} trained models' weights"
        score = s.get("test_si_sdr_improvement")
        scored = f" · test SI-SDR improvement {score:.1f} dB" if isinstance(score, (int, float)) else ""
        head = " and a mask head (Chimera++)" if c.mask_head else ""
        self.model_label.setText(f"Model: deep clustering, BLSTM {c.layers}×{c.hidden}, {c.embedding_dim}-D "
                                 f"embeddings{head}, {model.sample_rate:,} Hz · {trained}{scored}")
        self.colour_box.setItemText(1, "mask-head owner" if c.mask_head else "k-means cluster")
        keep = [(self.mixture_box.itemText(i), self.mixture_box.itemData(i)) for i in range(self.mixture_box.count())
                if not isinstance(self.mixture_box.itemData(i), (explore.DemoChoice, explore.ExampleChoice))]
        spec = c.demo_spec()
        self.mixture_box.clear()
        for example in explore.bundled_examples():
            self.mixture_box.addItem(example.name, example)
        for i in range(min(DEMO_CHOICES, spec.test_mixtures)):
            choice = explore.DemoChoice(spec, i)
            self.mixture_box.addItem(choice.name, choice)
        for text, data in keep:
            self.mixture_box.addItem(text, data)
        self.separate_button.setEnabled("separate" not in self.app.jobs)

    def add_mixture(self, name: str, mixture: np.ndarray, references: np.ndarray | None = None) -> None:
        """Offer arrays (at the model's rate) as a mixture, with the two voices alone if known."""
        item = explore.MixtureInput(name, np.asarray(mixture, np.float32),
                                    None if references is None else np.asarray(references, np.float32))
        self.mixture_box.addItem(name, item)
        self.mixture_box.setCurrentIndex(self.mixture_box.count() - 1)

    def ask_wav(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording of two voices", "",
                                              "Audio (*.wav *.flac *.ogg);;All files (*)")
        if path:
            self.add_file(path)

    def add_file(self, path: str | Path) -> None:
        """Offer a recording; it is read (mono, resampled) in the background when separated."""
        path = Path(path)
        self.mixture_box.addItem(path.name, path)
        self.mixture_box.setCurrentIndex(self.mixture_box.count() - 1)

    # --- separating ------------------------------------------------------------------------
    def separate(self) -> workers.Job | None:
        if "separate" in self.app.jobs:      # one at a time: the running one shows its mixture
            return self.app.jobs["separate"]
        if self.model is None:
            self.status.setText("Train or open a deep clustering model first.")
            return None
        source = self.mixture_box.currentData()
        if source is None:
            self.status.setText("Choose a mixture, or load a WAV file.")
            return None
        self.player.stop()
        self.app.jobs.cancel("separation-umap")
        self.separate_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("")

        def progress(ev):
            self.progress.setValue(int(1000 * ev.fraction))
            self.status.setText(ev.message + "…")

        job = self.app.jobs.run("separate", explore.separate_steps, self.model, source,
                                on_progress=progress, on_done=self.show_report)
        job.failed.connect(lambda err: self.status.setText(err.message))
        job.ended.connect(self._separation_ended)
        return job

    def _separation_ended(self) -> None:
        self.progress.hide()
        self.separate_button.setEnabled(self.model is not None)

    def show_report(self, report: explore.SeparationReport) -> None:
        self.report = report
        self.status.setText(report.note)
        rate, refs = report.sample_rate, report.references
        self.mixture.show(report.mixture_db, report.levels, report.hop_seconds, report.bin_hz)
        self._show_mask(self.mask_box.isChecked())
        for k in range(2):
            self.source_specs[k].show(report.source_db[k], report.levels, report.hop_seconds, report.bin_hz)
            self.waves[k].show(report.sources[k], None if refs is None else refs[k], rate, SOURCE_COLOURS[k])
        for (kind, _), b in self.play_buttons.items():
            b.setEnabled(kind != "reference" or refs is not None)
        self.export_button.setEnabled(True)
        truth_item = self.colour_box.model().item(0)
        truth_item.setEnabled(report.truth is not None)
        self.colour_box.blockSignals(True)
        self.colour_box.setCurrentIndex(0 if report.truth is not None else 1)
        self.colour_box.blockSignals(False)
        self._show_report_scatter()
        self._show_metrics(report)
        self.separated.emit(report)

    def _show_metrics(self, report: explore.SeparationReport) -> None:
        s = report.scores
        self.metrics.setRowCount(0)
        self.metrics.setVisible(s is not None)
        if s is None:
            self.metrics_note.setText("No scores: they need the two voices alone, which demo mixtures have.")
            return
        keys = ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement")
        # a long mixture is scored without SDR (see explore.SDR_SECONDS): its cells read "—"
        rows = [("deep clustering (mean)", [s.get(k) for k in keys])]
        rows += [(f"  separated {j + 1}", [src.get(k) for k in keys]) for j, src in enumerate(s["sources"])]
        rows += [(f"{name} (oracle)", [s[key].get(k) for k in keys])
                 for key, name in (("ibm", "ideal binary mask"), ("irm", "ideal ratio mask"))]
        rows.append(("mixture as it is", [s["mixture_si_sdr"], None, s.get("mixture_sdr"), None]))
        self.metrics.setRowCount(len(rows))
        self.metrics.setVerticalHeaderLabels([name for name, _ in rows])
        for i, (_, values) in enumerate(rows):
            for j, v in enumerate(values):
                item = QTableWidgetItem("—" if v is None else f"{v:.1f}")
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.metrics.setItem(i, j, item)
        self.metrics.setFixedHeight(self.metrics.horizontalHeader().height() + self.metrics.verticalHeader().length()
                                    + 2 * self.metrics.frameWidth())
        self.metrics_note.setText("dB; i: improvement over the mixture as it is. The oracle masks, computed from "
                                  "the voices alone, are ceilings. SDR is BSS Eval v3.")

    def _show_mask(self, on: bool) -> None:
        if self.report is not None:
            self.mixture.set_mask(self.report.owner if on else None)

    # --- scatter ---------------------------------------------------------------------------
    def _show_report_scatter(self) -> None:
        self.live = False
        self.app.jobs.cancel("separation-umap")
        self.layout_box.blockSignals(True)
        self.layout_box.setCurrentText("PCA")
        self.layout_box.blockSignals(False)
        self.coords = self.report.pca
        self._draw_scatter(fit=True)
        self._select(None)
        self.spec_box.clear_brush(quiet=True)
        self.scatter_box.clear_brush(quiet=True)

    def _labels(self) -> tuple[np.ndarray, tuple[str, str]]:
        r = self.report
        if self.colour_box.currentData() == "truth" and r.truth is not None:
            return r.truth, ("voice 1 louder", "voice 2 louder")
        return r.cluster, ("cluster → separated 1", "cluster → separated 2")

    def _draw_scatter(self, fit: bool = False) -> None:
        if self.report is None or self.live:
            return
        labels, names = self._labels()
        self._set_clouds(self.coords, labels, names, fit)
        r = self.report
        shown = f"{len(r.points):,} of {int(r.separation.active.sum()):,} audible bins" \
            if len(r.points) < r.separation.active.sum() else f"all {len(r.points):,} audible bins"
        self.caption.setText(f"{r.name}: {shown} · {self.layout_box.currentText()} of the "
                             f"{r.embeddings.shape[1]}-D embeddings")
        if self.selection.any():
            self.marked.setData(pos=self.coords[self.selection])

    def _set_clouds(self, coords, labels, names, fit) -> None:
        self.legend.clear()
        for k, cloud in enumerate(self.clouds):
            cloud.setData(pos=coords[labels == k])
            self.legend.addItem(cloud, f"{names[k]} ({int(np.sum(labels == k)):,})")
        if fit and len(coords):
            self.scatter_box.autoRange(padding=0.05)

    def _relayout(self, name: str) -> None:
        if self.report is None or self.live:
            return
        if name == "PCA":
            self.app.jobs.cancel("separation-umap")
            self.coords = self.report.pca
            self._draw_scatter(fit=True)
            self.laid_out.emit(name)
            return
        report = self.report
        self.progress.setValue(0)
        self.progress.show()

        def progress(ev):
            self.progress.setValue(int(1000 * ev.fraction))
            self.status.setText(f"UMAP of {len(report.points):,} bin embeddings… {ev.fraction:.0%}")

        def done(coords):
            if report is self.report and self.layout_box.currentText() == "UMAP":
                self.coords = coords
                self._draw_scatter(fit=True)
                self.status.setText("")
                self.laid_out.emit("UMAP")

        job = self.app.jobs.run("separation-umap", projection.project, report.embeddings, "umap",
                                on_progress=progress, on_done=done)
        job.ended.connect(self.progress.hide)

    # --- linked brushing -------------------------------------------------------------------
    def _spectrogram_brushed(self, rect) -> None:
        if self.report is None or self.live:
            return
        self.scatter_box.clear_brush(quiet=True)
        if rect is None:
            self._select(None)
            return
        t, f = self.report.bin_centres()
        self._select((t >= rect.left()) & (t <= rect.right()) & (f >= rect.top()) & (f <= rect.bottom()))

    def _scatter_brushed(self, rect) -> None:
        if self.report is None or self.live:
            return
        self.spec_box.clear_brush(quiet=True)
        if rect is None:
            self._select(None)
            return
        x, y = self.coords[:, 0], self.coords[:, 1]
        self._select((x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom()))

    def _select(self, which: np.ndarray | None) -> None:
        n = 0 if self.report is None else len(self.report.points)
        self.selection = np.zeros(n, bool) if which is None else which
        self.marked.setData(pos=self.coords[self.selection] if self.selection.any() else np.zeros((0, 2)))
        self.mixture.set_highlight(self.report.bins_mask(self.selection) if self.selection.any() else None)
        if self.selection.any():
            labels, names = self._labels()
            counts = np.bincount(labels[self.selection], minlength=2)
            self.selection_note.setText(f"{int(self.selection.sum()):,} bins brushed: {counts[0]:,} {names[0]}, "
                                        f"{counts[1]:,} {names[1]}")
        else:
            self.selection_note.setText("")
        self.selection_changed.emit()

    def highlighted_bins(self) -> np.ndarray:
        """(freqs, frames) bool: the bins marked on the mixture spectrogram now."""
        image = self.mixture.highlight.image
        if image is None or self.report is None or not self.selection.any():
            return np.zeros(self.report.shape if self.report else (0, 0), bool)
        return image[..., 3] > 0

    # --- live training ---------------------------------------------------------------------
    def _train_event(self, ev) -> None:
        """Deep clustering's progress carries embeddings of a validation mixture's bins with the
        speaker who owns each; the worker placed them (:mod:`explorer.window.live_map`: PCA, turned to
        match the last frame, the same spread each frame), so only real motion shows."""
        coords = getattr(ev, "coords", None)
        if coords is None or not ev.labels or not set(ev.labels) <= {"speaker 1", "speaker 2"}:
            return
        self.live = True
        if self.report is not None:
            self._select(None)
        labels = np.array([0 if lab == "speaker 1" else 1 for lab in ev.labels])
        # Fitted at every frame: the clouds part and move as the model learns.
        self._set_clouds(coords, labels, ("speaker 1 louder", "speaker 2 louder"), fit=True)
        self.caption.setText(f"Training, live: {len(coords):,} bins of a validation mixture · PCA · "
                             f"batch {ev.step:,}")

    # --- listening and files ---------------------------------------------------------------
    def _clip(self, tag: tuple) -> np.ndarray:
        kind, k = tag
        r = self.report
        return {"mixture": lambda: r.separation.mixture, "estimate": lambda: r.sources[k],
                "reference": lambda: r.references[k]}[kind]()

    def play(self, tag: tuple) -> audio.Playback | None:
        if self.report is None:
            return None
        try:
            started = self.player.play(self._clip(tag), self.report.sample_rate, tag)
        except UserError as e:
            self.status.setText(str(e))
            return None
        self.status.setText(started.note())
        return started

    def _playhead(self, tag, seconds) -> None:
        self.mixture.set_playhead(seconds)
        for k in range(2):
            mine = tag is not None and tag[0] != "mixture" and tag[1] == k
            self.source_specs[k].set_playhead(seconds if mine else None)
            self.waves[k].set_playhead(seconds if mine else None)

    def ask_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the separated sources as WAV into a folder")
        if folder:
            self.export(folder)

    def export(self, folder: str | Path) -> workers.Job | None:
        if self.report is None:
            return None

        def done(paths):
            self.status.setText("Wrote " + ", ".join(p.name for p in paths) + f" to {Path(folder)}.")
            self.exported.emit(paths)

        return self.app.jobs.run("export-wav", workers.call_once, write_sources, self.report, folder,
                                 on_done=done)
