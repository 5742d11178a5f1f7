"""The application's state without Qt: its events, its jobs, and a session put back through it."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from explorer import window_session
from explorer.app_state import AppState, Event, Jobs, Layout, SessionModel
from explorer.vector_files import OpenedVectors
from models.core.events import drain
from models.vectors.store import WordVectors


class Handle:
    """A job as the state sees one: what it was told to do, and an end the test triggers."""

    def __init__(self, key, func, args, on_failed, on_ended, **callbacks):
        self.key, self.func, self.args, self.callbacks = key, func, args, callbacks
        self.calls: list[str] = []
        self.paused = False
        self._on_failed, self._on_ended = on_failed, on_ended

    def cancel(self):
        self.calls.append("cancel")

    def stop(self):
        self.calls.append("stop")

    def toggle_pause(self):
        self.paused = not self.paused

    def fail(self, message, user_error=True):
        self._on_failed(SimpleNamespace(message=message, details="Traceback…", user_error=user_error))

    def end(self):
        self._on_ended(self)


def launched(handles: list):
    def launch(key, func, args, *, on_failed, on_ended, **callbacks):
        handles.append(Handle(key, func, args, on_failed, on_ended, **callbacks))
        return handles[-1]
    return launch


def Words(words):
    """A word model as the state lists it (anything with ``.vectors``), here one read from a file."""
    rng = np.random.default_rng(len(words))
    matrix = rng.normal(size=(len(words), 4)).astype(np.float32)
    return OpenedVectors(WordVectors(list(words), matrix), Path(f"{words}.txt"), "text")


def test_events_call_back_in_connection_order_and_a_callback_may_disconnect_itself():
    event, heard = Event(), []

    def once(x):
        heard.append(("once", x))
        event.disconnect(once)

    event.connect(lambda x: heard.append(("first", x)))
    event.connect(once)
    event.connect(lambda x: heard.append(("last", x)))
    event.emit(1)
    event.emit(2)
    assert heard == [("first", 1), ("once", 1), ("last", 1), ("first", 2), ("last", 2)]


def test_a_failing_callback_is_reported_and_the_others_still_hear(monkeypatch):
    event, heard, reported = Event(), [], []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: reported.append(kind))
    event.connect(lambda: 1 / 0)
    event.connect(lambda: heard.append("after"))
    event.emit()
    assert reported == [ZeroDivisionError] and heard == ["after"]


def test_a_job_is_known_by_its_key_until_it_ends_and_a_newer_one_keeps_the_key():
    handles = []
    jobs = Jobs(launched(handles))
    first = jobs.run("projection", sum, [1, 2], on_done=print)
    assert "projection" in jobs and jobs["projection"] is first and first.args == ([1, 2],)
    assert first.callbacks == {"on_progress": None, "on_done": print}
    newer = jobs.run("projection", sum, [3])
    first.end()                                   # the older one ending does not drop the newer
    assert jobs.get("projection") is newer and len(jobs) == 1
    newer.end()
    assert "projection" not in jobs and not jobs and list(jobs) == []


def test_a_failed_job_is_told_to_the_user_quietly_when_it_was_started_quietly():
    handles, told = [], []
    app = AppState(launched(handles))
    app.error_raised.connect(lambda *args: told.append(args))
    app.jobs.run("warm-up", iter, [], quiet=True).fail("No kernels.")
    app.jobs.run("corpus", iter, []).fail("Empty file.", user_error=True)
    assert told == [("No kernels.", "Traceback…", True, True), ("Empty file.", "Traceback…", True, False)]


def test_cancel_stop_and_pause_reach_the_running_job_and_do_nothing_without_one():
    handles = []
    jobs = Jobs(launched(handles))
    jobs.cancel("train")
    jobs.stop("train")
    assert jobs.toggle_pause("train") is None and handles == []
    job = jobs.run("train", iter, [])
    jobs.stop("train")
    jobs.cancel("train")
    assert job.calls == ["stop", "cancel"]
    assert jobs.toggle_pause("train") is False        # paused now: not running
    assert jobs.toggle_pause("train") is True


def test_a_word_model_joins_the_session_once_and_is_current_when_the_views_hear_of_it():
    app = AppState()
    first, opened = Words("abc"), Words("xyz")
    seen = []
    app.model_ready.connect(lambda m: seen.append((m, app.model, [e.model for e in app.models])))
    app.make_current(first, {"pca": "kept"})
    app.make_current(opened)
    app.make_current(first)                            # made current again: not listed twice
    assert [e.model for e in app.models] == [first, opened]
    assert [e.name for e in app.models] == ["1 · abc.txt", "2 · xyz.txt"]
    assert seen[0] == (first, first, [first]) and seen[1] == (opened, opened, [first, opened])
    assert app.layouts == {}                           # layouts belong to the model they were made for


def test_a_model_without_word_vectors_is_current_but_not_listed():
    app = AppState()
    app.make_current(type("Separator", (), {"model": "dc"})())
    assert app.model is not None and app.models == []


def test_a_shown_layout_is_kept_under_its_name_and_drawn():
    app, drawn = AppState(), []
    app.layout_shown.connect(lambda name, layout: drawn.append((name, layout)))
    layout = Layout(["a", "b"], np.zeros((2, 2), np.float32), "two words")
    app.show_layout("axes", layout)
    assert app.layouts == {"axes": layout} and app.shown == "axes" and drawn == [("axes", layout)]


def test_requests_and_messages_reach_whoever_carries_them_out():
    app, heard = AppState(), []
    for name in ("model_chosen", "word_requested", "group_requested", "training_requested",
                 "error_raised", "status_shown", "selection_cleared"):
        getattr(app, name).connect(lambda *args, name=name: heard.append((name, args)))
    app.selected, app.highlighted = "king", ("royals", ["king", "queen"])
    app.choose_model("m")
    app.select_word("queen")
    app.highlight_group("pair", ("a", "b"))
    app.request_training("spec")
    app.error("Bad file.")
    app.status("Saved.", 8000)
    app.clear_selection()
    assert heard == [("model_chosen", ("m",)), ("word_requested", ("queen",)),
                     ("group_requested", ("pair", ["a", "b"])), ("training_requested", ("spec",)),
                     ("error_raised", ("Bad file.", "", True, False)), ("status_shown", ("Saved.", 8000)),
                     ("selection_cleared", ())]
    assert app.selected is None and app.highlighted is None


class KeepingView:
    """A view that keeps a part of the session, and notes when it was given it."""

    def __init__(self, app, key, value, log):
        self.app, self.key, self.value, self.log = app, key, value, log

    def state(self):
        return {self.key: self.value}

    def restore(self, fields):
        self.log.append(("restore", self.key, fields[self.key], self.app.model))


class ResultView:
    trained_model = None

    def set_model(self, model):
        self.trained_model = model


def session_views(app, log):
    views = {title: ResultView() for title in window_session.RESULT_VIEWS}
    views["Map"] = KeepingView(app, "search", "king", log)
    views["Map"].clear = lambda: log.append("map cleared")
    views["Map"].request_projection = lambda: log.append("projection requested")
    views["Compare"] = KeepingView(app, "compare", (1, 0, None), log)
    views["Count"] = KeepingView(app, "count", 300, log)
    return views


def test_a_session_is_captured_from_the_state_and_views_and_put_back_through_them(tmp_path):
    log = []
    app = AppState()
    first, second = Words("abcd"), Words("bcde")
    app.make_current(first)
    app.make_current(second)
    layout = Layout(["b", "c", "d"], np.arange(6, dtype=np.float32).reshape(3, 2), "three words")
    app.show_layout("pca", layout)
    app.selected, app.highlighted = "c", ("g", ["b", "e"])
    snapshot = window_session.capture(app, session_views(app, log), tab="Compare")
    assert snapshot.current == 1 and snapshot.views == {"search": "king", "compare": (1, 0, None), "count": 300}
    path = tmp_path / "s.eesession"
    drain(window_session.save_steps(path, snapshot))
    back = drain(window_session.open_steps(path))

    fresh, log = AppState(), []
    asked = []
    fresh.word_requested.connect(asked.append)
    fresh.group_requested.connect(lambda name, words: asked.append((name, words)))
    views = session_views(fresh, log)
    window_session.restore(fresh, views, back)
    assert [e.name for e in fresh.models] == [e.name for e in app.models] and back.tab == "Compare"
    # Each view is given its own fields before the current model is made current (Compare lists the models first).
    assert log == [("restore", "search", "king", None), ("restore", "compare", (1, 0, None), None),
                   ("restore", "count", 300, None)]
    assert fresh.model is fresh.models[1].model and fresh.shown == "pca"
    np.testing.assert_array_equal(fresh.layouts["pca"].coords, layout.coords)
    assert asked == [("g", ["b", "e"]), "c"]


def test_a_session_without_a_current_model_clears_the_map():
    log = []
    app = AppState()
    app.make_current(Words("abc"))
    snapshot = window_session.Snapshot(models=[SessionModel("1 · sgns", Words("xyz"), "12:00:00")])
    window_session.restore(app, session_views(app, log), snapshot)
    assert app.model is None and app.layouts == {} and log[-1] == "map cleared"
    assert [e.name for e in app.models] == ["1 · sgns"]


def test_the_state_and_the_session_files_import_no_qt():
    code = ("import sys, explorer.app_state, explorer.window_session; "
            "print(sorted(m for m in ('PySide6', 'pyqtgraph', 'superqt') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
