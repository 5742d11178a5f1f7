"""File > Save Session and Open Session: what the window keeps, into a session file and back.

A session holds every word model of the window (trained, opened from a folder, or read from a
vector file), in the Compare table's order with their names, times and scores; which one is
current; the map's finished layouts (PCA, t-SNE, UMAP, custom axes: coordinates and words); the
trained model each audio or contextual view shows; and the selections: the selected word, the
highlighted group, the map's search, the compared pair and the open tab. The corpus is kept by
its path only, and opening a session never reads it: the window shows the path and offers to open
it. The file itself is :mod:`models.core.session`.

The application's state and its views are read in the GUI thread (:func:`capture`: references to
the models, which are never changed once made, and copies of the rest), the file is written and
read in the worker (:func:`save_steps`, :func:`open_steps`, which also checks everything a restore
relies on), and they are put back in the GUI thread (:func:`restore`) without recomputing what the
file holds. A view keeps its own part through ``state()`` (a dict of the session file's fields)
and ``restore(fields)``; the window keeps the open tab and offers the corpus.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.app_state import AppState, Layout, SessionModel
from explorer.vector_files import OpenedVectors
from models.core.checkpoint import Checkpoint, CheckpointError
from models.core.session import SavedModel, Session, SessionError, read_session_steps, save_session_steps
from models.errors import UserError
from models.loading import rebuild

MAX_SCORES = 200            # figures a model's scores hold: the analogy sections and benchmarks are ~20
MAX_MAP_WORDS = 100_000     # the map's own ceiling (its word-count box)
# The views that show one trained model of their own (``view.trained_model``, given back through
# ``view.set_model``), with the registry name of the model each takes.
RESULT_VIEWS = {"Separation": "dc", "Matching": "siamese", "Contextual": "mlm"}


@dataclass
class Snapshot:
    """What a session holds, as the window uses it."""
    models: list[SessionModel] = field(default_factory=list)   # word models, in the Compare table's order
    current: int | None = None                  # index in ``models`` of the window's current model
    results: dict[str, object] = field(default_factory=dict)   # view title -> the trained model it shows
    layouts: dict[str, Layout] = field(default_factory=dict)   # the current model's, by name
    shown: str = "pca"                          # the layout on the map
    selected: str | None = None
    group: tuple[str, list[str]] | None = None  # (name, words) of the highlighted group
    # What the views keep, each view's ``state()`` merged: the map's search and word count ("search",
    # "count"), the compared pair ("compare": left, right, selected word).
    views: dict = field(default_factory=lambda: {"search": "", "count": 1000, "compare": (0, 0, None)})
    tab: str = "Map"
    corpus: str | None = None


def has_anything(app: AppState, views: dict) -> bool:
    return app.model is not None or any(_trained_models(views).values())


def _trained_models(views: dict) -> dict[str, object]:
    return {title: views[title].trained_model for title in RESULT_VIEWS}


def _keeping(views: dict) -> list:
    """The views that keep a part of the session, in the order they are restored."""
    return [view for view in views.values()
            if callable(getattr(view, "state", None)) and callable(getattr(view, "restore", None))]


# --- the state and views into a snapshot and back (GUI thread) ---------------------------------
def capture(app: AppState, views: dict, tab: str) -> Snapshot:
    """``views``: every view by title (the map and the neighbours panel too); ``tab``: the open one."""
    models = list(app.models)
    current = next((i for i, e in enumerate(models) if e.model is app.model), None)
    if app.model is not None and current is None:    # a current model the session never listed
        models.append(SessionModel(f"{len(models) + 1} · current", app.model, ""))
        current = len(models) - 1
    kept: dict = {}
    for view in _keeping(views):
        kept.update(view.state())
    return Snapshot(
        models=models, current=current,
        results={title: m for title, m in _trained_models(views).items() if m is not None},
        layouts=dict(app.layouts) if app.model is not None else {},
        shown=app.shown, selected=app.selected,
        group=app.highlighted if app.model is not None else None,
        views=kept, tab=tab,
        corpus=str(app.corpus.path) if app.corpus is not None else None)


def restore(app: AppState, views: dict, s: Snapshot) -> None:
    """Put ``s`` back: its word models replace the session's, its layouts are drawn as saved, and
    every view is given its part (after the models are back, before the current one is made current)."""
    app.jobs.cancel("projection")
    app.clear_selection()
    app.models = list(s.models)
    fields = {**s.views, "shown": s.shown, "group": s.group}     # the map's box shows the layout, the panel's the group
    for view in _keeping(views):
        view.restore(fields)
    if s.current is None:
        app.clear_model()
        views["Map"].clear()
    else:
        app.make_current(s.models[s.current].model, s.layouts)
        if s.shown in s.layouts:
            app.show_layout(s.shown, s.layouts[s.shown])
        else:       # saved before any layout of this model was finished: the one thing to compute
            views["Map"].request_projection()
        if s.group:
            app.highlight_group(*s.group)
        if s.selected:
            app.select_word(s.selected)
    for title, model in s.results.items():
        views[title].set_model(model)


# --- the snapshot into a file and back (worker) ------------------------------------------------
def save_steps(path: str | Path, s: Snapshot):
    """Write the snapshot to ``path`` (a session file), yielding progress; returns the path."""
    saved = [SavedModel(e.model.checkpoint(), {"name": e.name, "added": e.added, "scores": _floats(e.scores)})
             for e in s.models]
    saved += [SavedModel(m.checkpoint(), {"view": title}) for title, m in s.results.items()]
    arrays = {f"layout.{name}": layout.coords for name, layout in s.layouts.items()}
    state = {
        "current": s.current, "shown": s.shown, "selected": s.selected,
        "search": s.views["search"], "count": s.views["count"], "compare": list(s.views["compare"]),
        "group": {"name": s.group[0], "words": s.group[1]} if s.group else None,
        "tab": s.tab, "corpus": s.corpus,
        "layouts": {name: {"words": layout.words, "caption": layout.caption, "axis_labels": list(layout.axis_labels)}
                    for name, layout in s.layouts.items()},
    }
    return (yield from save_session_steps(path, Session(saved, arrays, state)))


def open_steps(path: str | Path):
    """Read a session file into a :class:`Snapshot`, yielding progress. Anything a restore could
    trip on is a :class:`SessionError` naming the file, raised here, before the window changes."""
    path = Path(path)
    session = yield from read_session_steps(path)
    try:
        return _snapshot(session)
    except SessionError:
        raise
    except CheckpointError as e:    # a model that does not rebuild, or does not work once rebuilt
        raise SessionError(f"The session file {path} is damaged: {e.problem}",
                           "Open another copy of it, or an earlier session.") from None
    except UserError as e:          # a model's own check (an unknown model name, a bad config value)
        raise SessionError(f"The session file {path} holds a model that cannot be rebuilt: {e.problem}",
                           "Open another copy of it, or an earlier session.") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as e:
        why = str(e) if type(e) is ValueError else f"{type(e).__name__}: {e}"     # ValueError: from _check
        raise SessionError(f"The session file {path} is damaged ({why}).",
                           "Open another copy of it, or an earlier session.") from None


def _model(ckpt: Checkpoint, number: int):
    return OpenedVectors.from_checkpoint(ckpt) if ckpt.model == OpenedVectors.KIND else rebuild(ckpt, f"model {number}")


def _snapshot(session: Session) -> Snapshot:
    st = session.state
    s = Snapshot()
    for number, saved in enumerate(session.models, 1):
        note, model = saved.note, _model(saved.checkpoint, number)
        if "view" in note:
            _check(RESULT_VIEWS.get(note["view"]) == saved.checkpoint.model, f"the view {note['view']!r}")
            s.results[note["view"]] = model
        else:
            _check(hasattr(model, "vectors"), f"'{saved.checkpoint.model}' has no word vectors")
            scores = note.get("scores")
            _check(scores is None or (isinstance(scores, dict) and len(scores) <= MAX_SCORES and all(
                isinstance(k, str) and (v is None or _is_number(v)) for k, v in scores.items())), "a model's scores")
            s.models.append(SessionModel(_text(note.get("name")), model, _text(note.get("added")), scores))
    s.current = st.get("current")
    _check(s.current is None or (_is_int(s.current) and 0 <= s.current < len(s.models)), "the current model")
    known = s.models[s.current].model.vectors.index if s.current is not None else {}
    for name, kept in _dict(st.get("layouts")).items():
        words = _words(_dict(kept).get("words"))
        _check(all(w in known for w in words), f"the {name} layout's words (not the current model's)")
        coords = session.arrays[f"layout.{name}"]
        _check(coords.shape == (len(words), 2) and coords.dtype == np.float32
               and bool(np.isfinite(coords).all()), f"the {name} layout's coordinates")
        labels = kept.get("axis_labels") or [None, None]
        _check(isinstance(labels, list) and len(labels) == 2, f"the {name} layout's axes")
        s.layouts[name] = Layout(words, coords, _text(kept.get("caption")), (_optional_text(labels[0]),
                                                                            _optional_text(labels[1])))
    s.shown = _text(st.get("shown", "pca"))
    s.selected = _optional_text(st.get("selected"))
    group = st.get("group")
    s.group = None if group is None else (_text(_dict(group).get("name")), _words(group.get("words")))
    s.tab = _text(st.get("tab", "Map"))
    count = st.get("count", 1000)
    _check(_is_int(count) and 1 <= count <= MAX_MAP_WORDS, "the number of words on the map")
    left, right, chosen = st.get("compare", [0, 0, None])
    _check(all(_is_int(i) and (0 <= i < len(s.models) or not s.models) for i in (left, right)), "the compared pair")
    s.views = {"search": _text(st.get("search", "")), "count": count, "compare": (left, right, _optional_text(chosen))}
    s.corpus = _optional_text(st.get("corpus"))
    return s


def _floats(scores: dict | None) -> dict | None:
    """Benchmark figures as plain floats for JSON (NumPy scalars are not all serialisable)."""
    return None if scores is None else {k: float(v) for k, v in scores.items()}


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"malformed: {what}")


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x) -> bool:
    """A figure the table can format: any float (NaN stands for "not scored"), or an int a float holds."""
    return isinstance(x, float) or (_is_int(x) and abs(x) < 2**53)


def _text(x) -> str:
    _check(isinstance(x, str), "a text field")
    return x


def _optional_text(x) -> str | None:
    return None if x is None else _text(x)


def _dict(x) -> dict:
    _check(isinstance(x, dict), "a record")
    return x


def _words(x) -> list[str]:
    _check(isinstance(x, list) and all(isinstance(w, str) for w in x), "a word list")
    return x

