"""The training panel: model choice, corpus, the generated parameter form, Train/Stop, progress, loss."""
from __future__ import annotations

import dataclasses
import math

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QProgressBar,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from explorer.figures import describe_progress, describe_result
from explorer.views.config_form import ConfigForm
from explorer.views.plain import heading_label, plain_label
from models.core.events import Progress
from models.printable import printable
from models.registry import ModelSpec, can_continue


SHOW_DOTS = 30
REFRESH_MS = 100         # the panel redraws progress at most this often


def axis_label(unit: str | None) -> str:
    """The x-axis title for a trainer's unit; none before the first loss says which unit it is."""
    if unit is None:
        return ""
    return unit if unit in ("steps", "iterations", "epochs", "batches") else f"{unit} processed"


class LossPlot(pg.PlotWidget):
    """Training loss against the trainer's own step unit (words, pairs, iterations...); one curve
    updated in place."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.setLabel("left", "loss")
        self.setLabel("bottom", axis_label(None))
        # A loss near 970,000 read as "970" under "loss (x0.001)" was misread: plain numbers.
        self.getAxis("left").enableAutoSIPrefix(False)
        self.showGrid(x=True, y=True, alpha=0.3)
        self.setMinimumHeight(150)
        self.setMaximumHeight(230)     # the parameter form above gets the rest of the height
        self._curve = self.plot(pen=pg.mkPen("#1f77b4", width=2), symbolSize=6, symbolPen=None,
                                symbolBrush="#1f77b4")
        self._x: list[float] = []
        self._y: list[float] = []
        self.unit: str | None = None
        self._dots = True
        self._drawn = 0                 # points on screen: a redraw with nothing new is skipped
        self._pinned = False            # the x-axis was set by hand around a single point

    def reset(self, points=(), unit: str | None = None) -> None:
        self._x = [float(s) for s, _ in points]
        self._y = [float(v) for _, v in points]
        self.unit = unit
        self.setLabel("bottom", axis_label(unit))
        self.setTitle(None)
        self.enableAutoRange()
        self._pinned = False
        self._drawn = -1
        self.redraw()

    def add(self, step: float, loss: float, unit: str, draw: bool = True) -> None:
        if not math.isfinite(loss):
            return
        if self.unit is None:
            self.unit = unit
            self.setLabel("bottom", axis_label(unit))
        elif unit != self.unit:
            return   # a closing summary in another unit (a factorisation's "steps") would land at the wrong x
        self._x.append(float(step))
        self._y.append(float(loss))
        if draw:
            self.redraw()

    def redraw(self) -> None:
        # Progress without a new loss (counting the corpus, say) costs no repaint of the axes.
        if len(self._x) == self._drawn:
            return
        self._drawn = len(self._x)
        # Dots only while there are few points: a one-shot factorisation has a single loss.
        dots = len(self._x) <= SHOW_DOTS
        if dots != self._dots:
            self._dots = dots
            self._curve.setSymbol("o" if dots else None)
        self._curve.setData(self._x, self._y)
        if len(self._x) == 1:      # auto-range would span a single point by ±1e6, or a loss by ±150
            x, y = self._x[0], self._y[0]
            self.setXRange(x - 1, x + 1)
            self.setYRange(y - max(abs(y) * 0.1, 1e-3), y + max(abs(y) * 0.1, 1e-3))
            self._pinned = True
        elif self._pinned:         # however many points the next redraw brings, the axes follow them
            self._pinned = False
            self.enableAutoRange()

    def points(self) -> int:
        return len(self._x)


class TrainingPanel(QWidget):
    train_requested = Signal(object, object)   # ModelSpec, config
    continue_requested = Signal(object, object)   # ModelSpec, config: go on training the current model
    stop_requested = Signal()
    corpus_chosen = Signal(str)

    def __init__(self, specs: list[ModelSpec], parent=None):
        super().__init__(parent)
        self._specs = {s.name: s for s in specs}
        self.model_box = QComboBox()
        for s in specs:
            self.model_box.addItem(s.label, s.name)
            self.model_box.setItemData(self.model_box.count() - 1, s.description, 3)  # ToolTipRole
        self.description = plain_label(wordWrap=True)
        self.description.setStyleSheet("color: #555;")
        self.corpus_edit = QLineEdit(readOnly=True)
        browse = QPushButton("Open…")
        browse.clicked.connect(self._browse)
        browse_folder = QPushButton("Folder…")
        browse_folder.setToolTip("A folder of .txt and .txt.gz files, read in the order of their names")
        browse_folder.clicked.connect(self._browse_folder)
        self.corpus_info = plain_label(wordWrap=True)
        self.form = ConfigForm()
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.form)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setMinimumHeight(180)
        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Go on training the current model from where it stopped; "
                                        "raise Epochs (or Steps) to train a finished model further")
        self.continue_button.setEnabled(False)
        self._resumable = None          # the current model, when this panel can continue it
        self._running = False
        self.train_button.clicked.connect(self._train)
        self.continue_button.clicked.connect(self._continue)
        self.stop_button.clicked.connect(self.stop_requested)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.status = plain_label("Ready.", wordWrap=True)
        self.loss_plot = LossPlot()
        # Progress is drawn at most every REFRESH_MS: a small corpus can send fifty events a
        # second, and redrawing the bar, the status and the plot for each kept the event loop busy.
        self._latest: Progress | None = None
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self._show_latest)

        corpus_row = QHBoxLayout()
        corpus_row.addWidget(self.corpus_edit, 1)
        corpus_row.addWidget(browse)
        corpus_row.addWidget(browse_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading_label("Model"))
        layout.addWidget(self.model_box)
        layout.addWidget(self.description)
        layout.addWidget(heading_label("Corpus"))
        layout.addLayout(corpus_row)
        layout.addWidget(self.corpus_info)
        layout.addWidget(heading_label("Parameters"))
        layout.addWidget(scroll, 1)
        # The status, whose height changes with its text, sits above the buttons: the form gives
        # up the room it takes, and Train, Continue and Stop stay where the pointer left them.
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        layout.addWidget(self.loss_plot)
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self._model_changed()

    @property
    def spec(self) -> ModelSpec:
        return self._specs[self.model_box.currentData()]

    def select_model(self, name: str) -> None:
        self.model_box.setCurrentIndex(self.model_box.findData(name))

    def _model_changed(self) -> None:
        self.form.set_config_class(self.spec.config_cls)
        self.description.setText(self.spec.description)
        self._update_continue()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a corpus", "",
                                              "Text (*.txt *.gz *.text *.csv);;All files (*)")
        if path:
            self.corpus_chosen.emit(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of text files as the corpus", "")
        if path:
            self.corpus_chosen.emit(path)

    def checked_config(self):
        """The form's config, or None with the status saying which value is wrong."""
        try:
            return self.form.config()
        except (ValueError, TypeError) as e:
            self.show_status(f"Check the parameters: {e}", error=True)
            return None

    def set_values(self, values: dict) -> None:
        """Put ``values`` in the form; names the current model's settings lack are left out."""
        known = {f.name for f in dataclasses.fields(self.spec.config_cls)}
        for name, value in values.items():
            if name in known:
                self.form.set_value(name, value)

    def _train(self, signal=None) -> None:
        config = self.checked_config()
        if config is not None:
            (signal or self.train_requested).emit(self.spec, config)

    def _continue(self) -> None:
        self._train(self.continue_requested)

    @property
    def resumable(self):
        """The model Continue goes on training, or None."""
        return self._resumable

    def set_resumable(self, model) -> None:
        """Offer Continue for ``model`` (None: nothing to continue), with its settings in the form."""
        spec = self._specs.get(getattr(model, "model", None))
        self._resumable = model if spec is not None and can_continue(model) else None
        if self._resumable is not None and not self._running:
            self.select_model(spec.name)
            for name, value in vars(model.config).items():
                self.form.set_value(name, value)
        self._update_continue()

    def _update_continue(self) -> None:
        ok = self._resumable is not None and self._resumable.model == self.spec.name and not self._running
        self.continue_button.setEnabled(ok)

    # --- what the window tells the panel --------------------------------------------------
    def set_corpus(self, path: str, info: str) -> None:
        self.corpus_edit.setText(path)
        self.corpus_info.setText(printable(info))     # a reader's message quotes the path and the file

    def set_running(self, running: bool) -> None:
        self._drop_pending()
        self._running = running
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self._update_continue()
        self.model_box.setEnabled(not running)
        self.form.setEnabled(not running)
        if running:
            self.progress.setValue(0)
            self.loss_plot.reset()

    def set_can_train(self, ok: bool) -> None:
        self.train_button.setEnabled(ok)

    def on_progress(self, ev: Progress) -> None:
        self.loss_plot.add(ev.step, ev.loss, ev.unit, draw=False)
        self._latest = ev
        if not self._refresh.isActive():
            self._refresh.start()

    def _show_latest(self) -> None:
        self._refresh.stop()
        ev, self._latest = self._latest, None
        if ev is None:
            return
        self.progress.setValue(int(1000 * ev.fraction))
        self.status.setText(describe_progress(ev))
        self.status.setStyleSheet("")
        self.loss_plot.redraw()

    def show_result(self, headline: str, model) -> None:
        """The finished run's figures; its whole loss history when the events carried none (a
        trainer too quick to report while it ran)."""
        stats = getattr(model, "stats", {})
        # Models that are not word vectors (audio, matching, the masked LM) say what matters for them.
        summary = model.summary() if hasattr(model, "summary") else describe_result(stats)
        self.show_status(f"{headline} {summary}")
        self.progress.setValue(self.progress.maximum())
        if not self.loss_plot.points():
            losses = getattr(model, "losses", [])
            self.loss_plot.reset(losses)
            if not losses:
                self.loss_plot.setTitle("No loss: this model learns nothing", color="#555", size="9pt")

    def _drop_pending(self) -> None:
        """Forget a progress event not yet shown (a result or an error replaces it), keeping its loss."""
        self._refresh.stop()
        self._latest = None
        self.loss_plot.redraw()

    def show_status(self, text: str, error: bool = False) -> None:
        self._drop_pending()
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")
