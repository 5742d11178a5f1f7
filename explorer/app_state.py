"""What the application knows, apart from how it is shown: no Qt here, testable without a display.

The main window and every view are given one :class:`AppState` (as napari's widgets are given its
``components`` model): they read the current model, the models of the session, the selection,
the map's layouts and the running jobs from it, listen to its events, and ask for what needs
another widget (make a model current and map it, select a word, highlight a group, train with the
training panel's settings) through its requests, which the window carries out. A view never
needs the window.

Events are plain callback lists (:class:`Event`), called at once in the thread that emits them:
the GUI thread, since results reach the state through the worker bridge's queued signals.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


class Event:
    """Callbacks called in the order they were connected, with the arguments of :meth:`emit`."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> Callable:
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):    # a callback may connect or disconnect others
            try:
                callback(*args)
            except Exception:   # noqa: BLE001 - as a Qt signal does: reported, and the others still hear
                sys.excepthook(*sys.exc_info())


class Jobs:
    """The running long tasks by key, the one way to start one and the public way to stop one.

    ``launch(key, func, args, on_progress=, on_done=, on_failed=, on_ended=)`` starts the work and
    returns its handle (in the application :func:`explorer.workers.launch`, whose handle is a
    ``Job``: ``stop()``, ``cancel()``, ``toggle_pause()``, ``paused``, and its signals); it calls
    ``on_failed(error)`` with an error's ``message``, ``details`` and ``user_error``, and
    ``on_ended(handle)`` once the work has ended, whatever the outcome. ``report`` tells the user
    of a failure. Starting a key that still runs does not cancel the running one: the key then
    names the newer."""

    def __init__(self, launch: Callable | None = None, report: Callable | None = None) -> None:
        self.launch, self.report = launch, report
        self._running: dict[str, object] = {}

    def run(self, key: str, func, *args, on_progress=None, on_done=None, quiet: bool = False):
        """Run the progress generator ``func(*args)`` under ``key``; errors are reported to the
        user (in the status bar only when ``quiet``)."""
        job = self.launch(key, func, args, on_progress=on_progress, on_done=on_done,
                          on_failed=lambda err: self.report(err.message, err.details, err.user_error, quiet),
                          on_ended=lambda handle: self._ended(key, handle))
        self._running[key] = job
        return job

    def _ended(self, key: str, job) -> None:
        if self._running.get(key) is job:
            del self._running[key]

    def cancel(self, key: str) -> None:
        """Abandon the job under ``key`` at its next step, if one runs; no result."""
        if key in self._running:
            self._running[key].cancel()

    def stop(self, key: str) -> None:
        """Finish the job under ``key`` early, keeping its result so far, if one runs."""
        if key in self._running:
            self._running[key].stop()

    def toggle_pause(self, key: str) -> bool | None:
        """Pause or resume the job under ``key``; whether it runs now (None: no such job)."""
        job = self._running.get(key)
        if job is None:
            return None
        job.toggle_pause()
        return not job.paused

    def get(self, key: str):
        return self._running.get(key)

    def __getitem__(self, key: str):
        return self._running[key]

    def __contains__(self, key: str) -> bool:
        return key in self._running

    def __len__(self) -> int:
        return len(self._running)

    def __iter__(self):
        return iter(list(self._running))


@dataclass(frozen=True)
class Layout:
    """A finished placement of words on the map: a projection's result, or the custom axes."""
    words: list[str]
    coords: np.ndarray                                       # (len(words), 2) float32
    caption: str
    axis_labels: tuple[str | None, str | None] = (None, None)   # shown where position means something


@dataclass(eq=False)
class SessionModel:
    """A word model of the session, as the Compare table lists it and a session file keeps it."""
    name: str
    model: object                # a TrainedEmbedding or OpenedVectors: anything with .vectors
    added: str                   # wall-clock time it joined the session
    scores: dict | None = field(default=None)   # benchmark figures, computed once

    @property
    def training_seconds(self) -> float:
        stats = getattr(self.model, "stats", {}) or {}
        # An opened file's "seconds" is reading time, not training.
        return float(stats.get("seconds", math.nan)) if hasattr(self.model, "vocab") else math.nan


def model_name(model, number: int) -> str:
    if hasattr(model, "path") and not hasattr(model, "vocab"):
        return f"{number} · {Path(model.path).name}"
    method = getattr(getattr(model, "config", None), "method", None)
    return f"{number} · {model.model}" + (f" ({method})" if method else "")


class AppState:
    """The session: corpus, the current model and the others, the map's layouts, the selection, jobs."""

    def __init__(self, launch: Callable | None = None) -> None:
        """``launch``: how jobs start (see :class:`Jobs`); :func:`explorer.workers.launch` in the application."""
        self.corpus = None
        self.model = None                       # the current word model: anything with ``.vectors``
        self.models: list[SessionModel] = []    # every word model of the session, oldest first
        # The current model's finished map layouts by name: going back to one costs nothing, and a
        # saved session keeps them so that opening it redraws the map without recomputing.
        self.layouts: dict[str, Layout] = {}
        self.shown = "pca"                      # the layout on the map: pca, tsne, umap or axes
        self.selected: str | None = None
        self.highlighted: tuple[str, list[str]] | None = None   # the group asked for: name, words
        self.jobs = Jobs(launch, self.error)

        # What happened.
        self.corpus_loaded = Event()        # (corpus)
        self.model_ready = Event()          # (model) it is current now
        self.trained = Event()              # (result) any trainer's result, text or not, as training ends
        self.train_progress = Event()       # (event) every training Progress event, for views that watch live
        self.layout_shown = Event()         # (name, layout) a finished layout is on the map
        self.projection_done = Event()      # (method)
        self.selection_cleared = Event()    # ()
        self.closing = Event()              # () the application is closing: players stop
        self.error_raised = Event()         # (message, details, user_error, quiet)
        self.status_shown = Event()         # (message, milliseconds)
        # What a view asks for; the window carries it out.
        self.model_chosen = Event()         # (model) make it current and map it
        self.word_requested = Event()       # (word) select it: neighbours, marks, centre the map
        self.group_requested = Event()      # (name, words) highlight these words
        self.training_requested = Event()   # (spec) train it with the training panel's settings

    # --- what happened ---------------------------------------------------------------------
    def set_corpus(self, corpus) -> None:
        self.corpus = corpus
        self.corpus_loaded.emit(corpus)

    def make_current(self, model, layouts: dict | None = None) -> None:
        """Make ``model`` current with the layouts already computed for it (none for a new model);
        a word model joins the session's models the first time."""
        self.model = model
        self.layouts = dict(layouts or {})
        self.add_model(model)
        self.model_ready.emit(model)

    def add_model(self, model) -> SessionModel | None:
        if not hasattr(model, "vectors") or any(e.model is model for e in self.models):
            return None
        entry = SessionModel(model_name(model, len(self.models) + 1), model, time.strftime("%H:%M:%S"))
        self.models.append(entry)
        return entry

    def clear_model(self) -> None:
        self.model, self.layouts = None, {}

    def show_layout(self, name: str, layout: Layout) -> None:
        """Keep a finished layout of the current model's words under ``name`` and put it on the map."""
        self.layouts[name] = layout
        self.shown = name
        self.layout_shown.emit(name, layout)

    def clear_selection(self) -> None:
        self.selected, self.highlighted = None, None
        self.selection_cleared.emit()

    def error(self, message: str, details: str = "", user_error: bool = True, quiet: bool = False) -> None:
        """Tell the user what went wrong: a dialog, or only the status bar when ``quiet``."""
        self.error_raised.emit(message, details, user_error, quiet)

    def status(self, message: str, milliseconds: int = 5000) -> None:
        self.status_shown.emit(message, milliseconds)

    # --- what a view asks for --------------------------------------------------------------
    def choose_model(self, model) -> None:
        self.model_chosen.emit(model)

    def select_word(self, word: str) -> None:
        self.word_requested.emit(word)

    def highlight_group(self, name: str, words: list[str]) -> None:
        self.group_requested.emit(name, list(words))

    def request_training(self, spec) -> None:
        self.training_requested.emit(spec)
