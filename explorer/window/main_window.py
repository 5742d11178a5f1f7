"""The main window: training panel on the left, the map in the middle, neighbours on the right.

What the application knows lives in its :class:`~explorer.app_state.AppState` (corpus, current
model, layouts, selection, jobs); the window builds the views on that state, carries out what they
ask of it, and starts every long task through :mod:`explorer.workers`.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QProgressBar, QSplitter, QTabWidget

from explorer import workers
from explorer.app_state import AppState, Layout
from explorer.views.analogy import AnalogyView
from explorer.views.compare import CompareView
from explorer.views.contextual import ContextualView
from explorer.views.factors import FactorsView
from explorer.views.glove_weighting import WeightingView
from explorer.views.heatmap import HeatmapView
from explorer.views.matching import MatchingView
from explorer.views.negatives import NegativesView
from explorer.views.neighbours import NeighboursPanel, subwords_of
from explorer.views.one_hot_table import OneHotTableView
from explorer.views.plain import plain_box
from explorer.views.projection_map import GROUP, NEIGHBOUR, SELECTED, MapView
from explorer.views.separation import SeparationView
from explorer.views.training_panel import TrainingPanel
from explorer.window import live_map, map_colouring, tour, vector_files
from explorer.window import session as window_session
from models.core import heap
from models.core.events import Progress
from models.core.session import SUFFIX as SESSION_SUFFIX
from models.errors import UnknownWordError
from models.loading import load_result
from models.printable import printable
from models.registry import all_models
from models.text.corpus import DEFAULT_CORPUS, Corpus, read_corpus_steps
from models.text.embedding import TrainedEmbedding
from models.vectors import projection
from models.warm_up import ready_kernels

NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
SESSION_FILTER = f"Embedding Explorer sessions (*{SESSION_SUFFIX});;All files (*)"


def extra_views() -> list[type]:
    """The tabs beside the map, in order. A view is a QWidget subclass with a ``title`` class
    attribute, built as ``View(app)`` on the :class:`~explorer.app_state.AppState` (``View(app, map)``
    when it sets ``draws_on_map``): it listens to the state's events (``model_ready``,
    ``corpus_loaded``) and starts long work with ``app.jobs.run``; adding a view is one line here."""
    # The last four show what the module's slides need and no other tab does (see explorer.window.tour).
    return [AnalogyView, HeatmapView, SeparationView, CompareView, MatchingView, ContextualView,
            OneHotTableView, FactorsView, NegativesView, WeightingView]


def build_view(view_cls: type, app: AppState, map_view: MapView):
    """A view on the application's state; one that draws on the map is given the map too."""
    return view_cls(app, map_view) if getattr(view_cls, "draws_on_map", False) else view_cls(app)


def _warm_up(training):
    """The compiled kernels of a first Train and a first UMAP or t-SNE map, loaded (or, without
    the install step's warm-up, compiled) in the background at start-up instead of when the user
    asks. Loading one holds the GIL for up to 100 ms in a single call, a stall of the window:
    while ``training()`` says a model trains, the warm-up waits."""
    for event in ready_kernels():
        while training():
            time.sleep(0.05)
            yield None          # a point where cancelling takes effect
        yield event


def _views_ready(gen):
    """``gen``'s events, then its result with the unit-length vectors every view reads made here,
    in the worker: normalising the bundled corpus's vectors held the GIL for 25 ms, a stall of the
    window's thread when it was done there as the model arrived."""
    result = yield from gen
    if hasattr(result, "vectors"):
        result.vectors.unit  # noqa: B018 - computed once and kept by the vectors
    return result


class MainWindow(QMainWindow):
    # The state's events again as Qt signals, for code that waits on a signal (a test, a script).
    corpus_loaded = Signal(object)
    model_ready = Signal(object)      # a TrainedEmbedding, or OpenedVectors read from a file
    trained = Signal(object)          # any trainer's result, text or not, as training ends
    train_progress = Signal(object)   # every training Progress event, for views that watch live
    projection_done = Signal(str)    # method

    def __init__(self, corpus_path: str | Path | None = DEFAULT_CORPUS, warm_up: bool = True):
        super().__init__()
        self.setWindowTitle("Embedding Explorer")
        self.resize(1400, 860)
        self.app = AppState(workers.launch)
        self._live_coords: np.ndarray | None = None
        self._dialog: QMessageBox | None = None

        self.panel = TrainingPanel(all_models())
        self.map = MapView()
        self.neighbours = NeighboursPanel()
        self._follow_state()    # before the views connect to the state
        words = QSplitter(Qt.Horizontal)
        words.addWidget(self.map)
        words.addWidget(self.neighbours)
        words.setSizes([800, 260])
        words.setStretchFactor(0, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(words, "Map")
        self._map_home = words
        self.views = {}
        for view_cls in extra_views():
            view = build_view(view_cls, self.app, self.map)
            self.views[view_cls.title] = view
            self.tabs.addTab(view, view_cls.title)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.panel)
        split.addWidget(self.tabs)
        split.setSizes([340, 1060])
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self._menus()
        self.file_progress = QProgressBar(maximumWidth=200)
        self.file_progress.setRange(0, 1000)
        self.file_progress.hide()
        self.statusBar().addPermanentWidget(self.file_progress)
        self.setAcceptDrops(True)
        self.tabs.currentChanged.connect(self._dock_map)

        self.panel.train_requested.connect(self.train)
        self.panel.continue_requested.connect(
            lambda spec, config: self.train(spec, config, resume=self.panel.resumable))
        self.panel.stop_requested.connect(self.stop_training)
        self.panel.corpus_chosen.connect(self.open_corpus)
        self.map.projection_requested.connect(self.project)
        self.map.cancel_requested.connect(lambda: self.app.jobs.cancel("projection"))
        self.map.pause_requested.connect(self._toggle_projection_pause)
        self.map.word_clicked.connect(self.select_word)
        self.map.word_searched.connect(self.select_word)
        self.neighbours.word_activated.connect(self.select_word)
        self.neighbours.group_chosen.connect(self.highlight_group)
        self.map.colour_requested.connect(lambda mode: map_colouring.colour_map(self.app, self.map, mode))
        self.panel.set_can_train(False)

        heap.settle()
        if corpus_path:
            self.open_corpus(str(corpus_path))
        if warm_up:
            self.app.jobs.run("warm-up", _warm_up, lambda: "train" in self.app.jobs, on_done=lambda s: None,
                              quiet=True)

    def _follow_state(self) -> None:
        """Show what happens to the state, carry out what the views ask of it."""
        app = self.app
        app.model_ready.connect(self._model_changed)     # first: the map is ready for the model when views hear of it
        for event, signal in ((app.corpus_loaded, self.corpus_loaded), (app.model_ready, self.model_ready),
                              (app.trained, self.trained), (app.train_progress, self.train_progress),
                              (app.projection_done, self.projection_done)):
            event.connect(signal.emit)
        app.layout_shown.connect(lambda _name, layout: self.map.show_layout(layout))
        app.selection_cleared.connect(self._selection_cleared)
        app.error_raised.connect(self.show_error)
        app.status_shown.connect(lambda message, ms: self.statusBar().showMessage(message, ms))
        app.model_chosen.connect(self.set_model)
        app.word_requested.connect(self.select_word)
        app.group_requested.connect(self.highlight_group)
        app.training_requested.connect(self.train_with_panel)

    # --- the state, as the window shows it -------------------------------------------------
    @property
    def corpus(self) -> Corpus | None:
        return self.app.corpus

    @property
    def model(self) -> TrainedEmbedding | None:
        return self.app.model

    @property
    def selected(self) -> str | None:
        return self.app.selected

    @property
    def highlighted(self) -> tuple[str, list[str]] | None:
        return self.app.highlighted

    @property
    def layouts(self) -> dict[str, Layout]:
        return self.app.layouts

    @property
    def map_layout(self) -> str:
        return self.app.shown

    @property
    def jobs(self):
        return self.app.jobs

    # --- menus -----------------------------------------------------------------------------
    def _menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        for text, slot, key in (("Open corpus…", self._ask_corpus, QKeySequence.Open),
                                ("Open model…", self._ask_open_model, None),
                                ("Save model…", self._ask_save_model, QKeySequence.Save),
                                ("Open vectors…", self.ask_open_vectors, None),
                                ("Export vectors…", self._ask_export, None),
                                ("Open session…", self._ask_open_session, QKeySequence("Ctrl+Shift+O")),
                                ("Save session…", self._ask_save_session, QKeySequence("Ctrl+Shift+S")),
                                ("Quit", self.close, QKeySequence.Quit)):
            a = QAction(text, self)
            a.triggered.connect(slot)
            if key is not None:
                a.setShortcut(key)
            m.addAction(a)
        self.tour = tour.Tour(self)

    # --- messages --------------------------------------------------------------------------
    def show_error(self, message: str, details: str = "", user_error: bool = True, quiet: bool = False) -> None:
        message = printable(message)      # it may quote a file's words or a path
        self.statusBar().showMessage(message, 15000)
        if quiet:
            return
        box = plain_box(QMessageBox.Warning if user_error else QMessageBox.Critical,
                        "Embedding Explorer", message, QMessageBox.Ok, self)
        if details and not user_error:
            box.setDetailedText(details)
        box.setObjectName("error_dialog")
        box.open()   # not exec(): the event loop keeps running
        self._dialog = box

    # --- corpus ----------------------------------------------------------------------------
    def _ask_corpus(self) -> None:
        self.panel._browse()

    def open_corpus(self, path: str) -> None:
        self.app.jobs.cancel("corpus")                  # a corpus still loading gives way to this one
        self.panel.set_can_train(False)
        self.panel.set_corpus(path, "Loading…")
        job = self.app.jobs.run("corpus", read_corpus_steps, path,
                                on_progress=lambda ev: self.panel.set_corpus(path, f"Loading… {ev.fraction:.0%}"),
                                on_done=self._corpus_ready)

        # A job that gave way ends after the next one started: it must not speak for that one.
        def current() -> bool:
            return self.app.jobs.get("corpus") is job
        job.failed.connect(lambda err: current() and self.panel.set_corpus(path, err.message))
        job.cancelled.connect(lambda: current() and self._corpus_stopped(path))
        self.panel.stop_button.setEnabled(True)         # Stop abandons the loading
        job.ended.connect(lambda: self.panel.stop_button.setEnabled(
            "train" in self.app.jobs or "corpus" in self.app.jobs))

    def _corpus_stopped(self, path: str) -> None:
        self.panel.set_corpus(str(self.corpus.path) if self.corpus else path,
                              "Loading stopped." if self.corpus is None else
                              f"Loading {path} stopped; this corpus is still the one trained on.")
        self.panel.set_can_train(self.corpus is not None and "train" not in self.app.jobs)

    def offer_corpus(self, path: str) -> QMessageBox:
        """Ask before opening ``path`` as the corpus, showing which file it is: a session file names
        its corpus by path, and that path may be anything on the disk."""
        box = plain_box(QMessageBox.Question, "Embedding Explorer",
                        f"This session was made with the corpus\n{printable(path)}\nOpen that file as the corpus?",
                        parent=self)
        box.setObjectName("corpus_offer")
        box.open_button = box.addButton("Open it", QMessageBox.AcceptRole)
        box.addButton("Not now", QMessageBox.RejectRole)
        box.open_button.clicked.connect(lambda: self.open_corpus(path))
        box.open()      # not exec(): the event loop keeps running
        self._dialog = box
        return box

    def _corpus_ready(self, corpus: Corpus) -> None:
        info = f"{corpus.n_tokens:,} words in {corpus.n_sentences:,} lines."
        if corpus.notes:
            info += " " + " ".join(corpus.notes)
        self.panel.set_corpus(str(corpus.path), info)
        self.panel.set_can_train("train" not in self.app.jobs)
        self.app.set_corpus(corpus)

    # --- training --------------------------------------------------------------------------
    def train(self, spec, config, resume=None) -> None:
        """Train a new ``spec`` model, or go on training ``resume`` (a model of that spec)."""
        if spec.uses_corpus and self.corpus is None:
            self.show_error("No corpus is loaded yet.", user_error=True)
            return
        self.app.jobs.cancel("projection")
        self._live_coords = None
        self.panel.set_running(True)
        self.panel.show_status(f"{'Continuing' if resume is not None else 'Starting'} {spec.label}…")
        trainer = spec.train if resume is None else functools.partial(spec.train, resume=resume)
        if resume is not None:
            self.panel.loss_plot.reset(resume.losses)      # the curve goes on from where it stopped
        job = self.app.jobs.run("train", lambda *args: _views_ready(live_map.with_map_coords(trainer(*args))),
                           config, self.corpus if spec.uses_corpus else None,
                           on_progress=self._train_progress, on_done=self._trained)
        job.failed.connect(lambda err: self.panel.show_status(err.message, error=True))
        job.ended.connect(lambda: self.panel.set_running(False))

    def train_with_panel(self, spec) -> None:
        """Train ``spec`` (a registry spec, perhaps with its own trainer) with the panel's settings for it."""
        self.panel.select_model(spec.name)
        config = self.panel.checked_config()
        if config is not None:
            self.train(spec, config)

    def stop_training(self) -> None:
        if "train" not in self.app.jobs:
            self.app.jobs.cancel("corpus")
            return
        self.app.jobs.stop("train")
        self.panel.show_status("Stopping… the model trained so far is kept.")

    def _train_progress(self, ev: Progress) -> None:
        self.panel.on_progress(ev)
        self.app.train_progress.emit(ev)
        if isinstance(ev, live_map.MapProgress):
            self._show_snapshot(ev)

    def _show_snapshot(self, ev: live_map.MapProgress) -> None:
        """Live map: the coordinates came from the worker (see explorer.window.live_map); only drawn here."""
        first = self._live_coords is None or len(self._live_coords) != len(ev.coords)
        if self._live_coords is None:       # a new run: colours by group belonged to the last model
            self.map.clear_colours()
        self._live_coords = ev.coords
        self.map.set_points(list(ev.labels), ev.coords, f"{len(ev.coords)} most frequent words · PCA · live",
                            fit=first, live=True)

    def _trained(self, model: TrainedEmbedding) -> None:
        s = model.stats
        done = "Stopped early; the model trained so far is kept." if s.get("stopped_early") else "Trained."
        if s.get("diverged"):
            done = s["diverged"]
            self.show_error(done, user_error=True)
        self.panel.show_result(done, model)
        self.app.trained.emit(model)
        if isinstance(model, TrainedEmbedding):
            self.set_model(model)
        else:        # shown by its own view (separation, matching, contextual), continued from here
            self.panel.set_resumable(model)

    def set_model(self, model) -> None:
        """Make a TrainedEmbedding or OpenedVectors current: anything with ``.vectors`` whose words
        come most frequent first, as both trained vocabularies and word2vec-style files keep them."""
        self.app.make_current(model)
        self.project(self.map.method, self.map.count_box.value())
        if self.app.selected:
            self.select_word(self.app.selected)

    def _model_changed(self, model) -> None:
        """A model became current: the map's words and colour choices are its own; the layout is left
        to whoever made it current."""
        self.map.clear_colours()       # colours by group were computed from the last model's vectors
        self.map.set_vocabulary(model.vectors.words)
        self.map.set_colour_options(list(model.vectors.metadata))
        self.panel.set_resumable(model)

    # --- projection ------------------------------------------------------------------------
    def project(self, method: str, count: int) -> None:
        if self.model is None:
            self.statusBar().showMessage("Train or open a model first.", 5000)
            return
        self.app.jobs.cancel("projection")
        n = min(count, len(self.model.vectors))
        words = self.model.vectors.words[:n]
        kept = self.app.layouts.get(method)
        if kept is not None and kept.words == words:     # computed before for these words: reuse it
            self.app.show_layout(method, kept)
            self.app.projection_done.emit(method)
            return
        x = self.model.vectors.matrix[:n].copy()
        which = (f"first {n:,} words of {self.model.path.name}" if isinstance(self.model, vector_files.OpenedVectors)
                 else f"{n:,} most frequent words")
        caption = f"{which} · {NAMES[method]}"
        self.map.set_busy(True)
        self.map.set_axis_labels(None, None)

        def progress(ev):
            self.map.set_progress(ev.fraction, ev.message)
            if ev.coords is not None:
                self.map.set_points(words, ev.coords, caption + " (in progress)", fit=True)

        def done(coords):
            self.app.show_layout(method, Layout(words, np.ascontiguousarray(coords, dtype=np.float32), caption))
            self.app.projection_done.emit(method)

        job = self.app.jobs.run("projection", projection.project, x, method, on_progress=progress, on_done=done)
        job.ended.connect(lambda: self.map.set_busy(False))
        job.cancelled.connect(lambda: self.map.caption.setText(caption + " · cancelled"))

    def _toggle_projection_pause(self) -> None:
        running = self.app.jobs.toggle_pause("projection")
        if running is not None:
            self.map.set_paused(running)

    # --- selection -------------------------------------------------------------------------
    def select_word(self, word: str) -> None:
        if not word:
            return
        if self.model is None:
            self.neighbours.show_message("Train or open a model first.")
            return
        vectors = self.model.vectors
        try:
            # Subword models (FastText) answer for words they never saw; others raise here.
            near = vectors.nearest(word, 10)
        except UnknownWordError:
            self.neighbours.show_message(f"“{word}” is not in the vocabulary of this model "
                                         f"({len(vectors):,} words). Check the spelling, or train "
                                         "with a lower minimum count.")
            return
        self.app.selected = word
        if word not in vectors:
            note = "Never seen in training: its vector is the mean of its character n-grams."
        elif self.map.position(word) is None:
            note = (f"Frequency rank {vectors.index[word] + 1:,}: not among the {len(self.map.words):,} "
                    "words on the map.")
        else:
            note = ""
        self.neighbours.show_neighbours(word, near, note)
        self.neighbours.show_subwords(word, subwords_of(self.model))
        self._mark()
        self.map.center_on(word)

    def highlight_group(self, name: str, words: list[str]) -> None:
        if self.model is None:
            self.neighbours.group_note.setText("Train or open a model first.")
            return
        missing = [w for w in words if w not in self.model.vectors]
        self.app.highlighted = (name, list(words))
        note = f"Not in the vocabulary: {', '.join(missing)}." if missing else ""
        off_map = [w for w in self._group() if self.map.position(w) is None]
        if off_map:
            note += f" Not among the words on the map: {', '.join(off_map)}."
        self.neighbours.group_note.setText(note.strip())
        self._mark()

    def _group(self) -> dict[str, str]:
        """The highlighted group's words the current model knows, with their colour."""
        if self.app.highlighted is None or self.model is None:
            return {}
        return {w: GROUP for w in self.app.highlighted[1] if w in self.model.vectors}

    def _mark(self) -> None:
        colours: dict[str, str] = {}
        if self.selected and self.model:    # an unseen word (FastText) still has neighbours to mark
            colours[self.selected] = SELECTED
            for w in self.neighbours.neighbour_words():
                colours.setdefault(w, NEIGHBOUR)
        for w, c in self._group().items():
            colours.setdefault(w, c)
        self.map.mark(colours)

    def _selection_cleared(self) -> None:
        self.neighbours.clear()
        self._mark()

    # --- files -----------------------------------------------------------------------------
    def _ask_open_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a model folder (any model this program saved)")
        if folder:
            self.open_model(folder)

    def open_model(self, folder: str) -> workers.Job:
        """Open a model folder of any kind: word vectors become current, a model another view
        shows (deep clustering, the Siamese matcher, the masked LM) goes to that view's tab."""
        return self.app.jobs.run("open-model", lambda f: _views_ready(workers.call_once(load_result, f)), folder,
                            on_done=self._model_opened)

    def _model_opened(self, result) -> None:
        title = next((t for t, name in window_session.RESULT_VIEWS.items() if name == result.model), None)
        if title is None:
            self.set_model(result)
            return
        self.views[title].set_model(result)
        self.tabs.setCurrentWidget(self.views[title])

    def _ask_save_model(self) -> None:
        if self.model is None:
            self.show_error("There is no model to save yet.", user_error=True)
            return
        folder = QFileDialog.getExistingDirectory(self, "Save the model into a folder")
        if folder:
            self.save_model(folder)

    def save_model(self, folder: str) -> workers.Job:
        """Save the current model in the worker; a failed save leaves the folder's checkpoint as it was."""
        return self.app.jobs.run("save", workers.call_once, self.model.save, folder,
                            on_done=lambda p: self.statusBar().showMessage(f"Saved to {p}.", 8000))

    def _ask_export(self) -> None:
        if self.model is None:
            self.show_error("There are no vectors to export yet.", user_error=True)
            return
        filters = ";;".join(label for label, _, _ in vector_files.EXPORT_FORMATS)
        path, chosen = QFileDialog.getSaveFileName(self, "Export vectors", "vectors.txt", filters)
        if path:
            self.export_vectors(path, vector_files.format_for_filter(chosen))

    def export_vectors(self, path: str, fmt: str = "auto") -> workers.Job:
        """Write the current vectors in ``fmt`` through the worker; the old file stays until the new one is complete."""
        def done(paths):
            self.file_progress.hide()
            self.statusBar().showMessage("Exported " + ", ".join(str(p) for p in paths) + ".", 10000)

        self.file_progress.show()
        job = self.app.jobs.run("export", vector_files.export_steps, self.model.vectors, path, fmt, on_done=done,
                           on_progress=lambda ev: self._file_progress(ev, "Writing"))
        job.ended.connect(self.file_progress.hide)
        return job

    def ask_open_vectors(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open word vectors", "", vector_files.OPEN_FILTER)
        if path:
            self.open_vectors(path)

    def open_vectors(self, path: str) -> workers.Job:
        """Read a vector file in the worker; only a complete, valid file replaces the current model."""
        def done(opened: vector_files.OpenedVectors):
            self.file_progress.hide()
            self.setWindowTitle(f"Embedding Explorer · {opened.path.name}")
            self.statusBar().showMessage(
                f"Opened {opened.path.name} ({opened.format}): {len(opened.vectors):,} words × "
                f"{opened.vectors.dim} in {opened.stats['seconds']:.1f} s.", 15000)
            self.set_model(opened)

        self.file_progress.show()
        self.statusBar().showMessage(f"Reading {Path(path).name}…")
        job = self.app.jobs.run("open-vectors", lambda p: _views_ready(vector_files.open_steps(p)), path,
                           on_done=done, on_progress=lambda ev: self._file_progress(ev, "Reading"))
        job.ended.connect(self.file_progress.hide)
        return job

    # --- sessions --------------------------------------------------------------------------
    def _ask_save_session(self) -> None:
        if not window_session.has_anything(self.app, self.views):
            self.show_error("There is nothing to save in a session yet: train or open a model first.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the session", "session" + SESSION_SUFFIX,
                                              SESSION_FILTER)
        if path:
            self.save_session(path if path.endswith(SESSION_SUFFIX) else path + SESSION_SUFFIX)

    def _ask_open_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def save_session(self, path: str | Path) -> workers.Job | None:
        """Save every model of this window, its map layouts and selections to one file, in the
        worker; the previous file at ``path`` stays whole until the new one is complete."""
        if "session" in self.app.jobs:
            self.statusBar().showMessage("A session is being saved or opened: wait for it to end.", 8000)
            return None
        snapshot = window_session.capture(self.app, self._session_views(), self.tabs.tabText(self.tabs.currentIndex()))     # in the GUI thread: the views are not thread-safe

        def done(saved: Path):
            self.statusBar().showMessage(f"Saved the session to {saved}.", 10000)

        return self._session_job(window_session.save_steps, path, snapshot, on_done=done, verb="Saving")

    def open_session(self, path: str | Path) -> workers.Job | None:
        """Read a session file in the worker; only a whole, valid file replaces what the window shows."""
        if "session" in self.app.jobs:
            self.statusBar().showMessage("A session is being saved or opened: wait for it to end.", 8000)
            return None

        def done(snapshot: window_session.Snapshot):
            window_session.restore(self.app, self._session_views(), snapshot)
            self.show_tab(snapshot.tab)
            if snapshot.corpus and (self.corpus is None or str(self.corpus.path) != snapshot.corpus):
                # The file names a path: anything on the disk. Nothing is read until the user has seen it.
                self.offer_corpus(snapshot.corpus)
            self.setWindowTitle(f"Embedding Explorer · {Path(path).name}")
            self.statusBar().showMessage(f"Opened the session {Path(path).name}: "
                                         f"{len(snapshot.models) + len(snapshot.results)} model(s).", 10000)

        return self._session_job(window_session.open_steps, path, on_done=done, verb="Opening")

    def _session_views(self) -> dict:
        """Every view a session saves and restores, by title; the map and the neighbours panel too."""
        return {"Map": self.map, "Neighbours": self.neighbours, **self.views}

    def show_tab(self, title: str) -> None:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                self.tabs.setCurrentIndex(i)

    def _session_job(self, func, *args, on_done, verb: str) -> workers.Job:
        self.file_progress.setValue(0)
        self.file_progress.show()
        job = self.app.jobs.run("session", func, *args, on_done=on_done,
                           on_progress=lambda ev: self._file_progress(ev, verb))
        job.ended.connect(self.file_progress.hide)
        return job

    def _file_progress(self, ev, verb: str) -> None:
        self.file_progress.setValue(int(1000 * ev.fraction))
        self.statusBar().showMessage(f"{verb} {ev.message.split(' ', 1)[-1]}… {ev.fraction:.0%}")

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_vectors(files[0])

    def _dock_map(self, index: int) -> None:
        """The one map follows the user: a view with a ``map_holder`` splitter shows it beside its controls."""
        view = self.tabs.widget(index)
        holder = getattr(view, "map_holder", None) or self._map_home
        if self.map.parent() is not holder:
            holder.insertWidget(0 if holder is self._map_home else holder.count(), self.map)
            share = getattr(view, "map_share", None)
            if share and not holder.property("sized"):      # first visit only: later the user's sizes stand
                total = sum(holder.sizes())
                holder.setSizes([int(total * (1 - share)), int(total * share)])
                holder.setProperty("sized", True)

    # --- closing ---------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        self.hide()      # the window goes at once; cancelled jobs end at their next step
        self.app.closing.emit()
        heap.unsettle()
        workers.shutdown(0)   # cancel only: the application waits for them once, as it quits
        event.accept()
