"""The window under hostile files: words shown escaped, a worker's panic ending as a dialog, and a
session whose numbers or types are wrong refused with the window left as it was."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from explorer import workers
from explorer.views.neighbours import NeighboursPanel
from models.printable import printable
from tests.hostile.cases import HOSTILE_WORDS, Stage


class Panic(BaseException):
    """What a Rust binding raises when it panics: not an Exception, so no ``except Exception`` sees it."""


def _panics():
    yield None
    raise Panic("called `Result::unwrap()` on an `Err` value")


def test_a_panic_in_a_worker_ends_as_a_failure_not_a_silent_thread_death(qtbot):
    job = workers.Job("open", _panics)
    with qtbot.waitSignal(job.failed, timeout=5000) as failed, qtbot.waitSignal(job.ended, timeout=5000):
        job.start()
    assert "Panic" in failed.args[0].message and job.outcome == "failed"


def test_a_memory_error_in_a_worker_says_what_to_do(qtbot):
    def exhausted():
        yield None
        raise MemoryError()
    job = workers.Job("open", exhausted)
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start()
    assert "close other programs" in failed.args[0].message


def test_words_from_a_file_are_shown_escaped_in_the_neighbours_panel(qtbot):
    panel = NeighboursPanel()
    qtbot.addWidget(panel)
    words = list(HOSTILE_WORDS.values())
    panel.show_neighbours("<img src=x>\u202e", [(w, 0.5) for w in words])
    shown = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert shown == [printable(w) for w in words] and all(s.isprintable() for s in shown)
    assert "&lt;img src=x&gt;\\u202e" in panel.title.text()        # rich text: the tag shown, not obeyed


@pytest.mark.parametrize("state,notes", [
    ({"count": 10**30}, None),
    ({}, [{"name": "m", "added": "", "scores": {"analogy": [1, 2]}}]),
    ({}, [{"name": "m", "added": "", "scores": {f"section: {i}": 0.5 for i in range(3000)}}]),
    ({"current": "0"}, None),
], ids=["a count of 10**30", "a score that is a list", "3000 score sections", "a current model that is text"])
def test_a_session_with_wrong_numbers_or_types_is_refused_and_the_window_kept(qtbot, empty_window, tmp_path,
                                                                               state, notes):
    path = Stage(tmp_path).session("bad.eesession", state, notes)
    with qtbot.waitSignal(empty_window.open_session(path).ended, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: empty_window._dialog is not None and empty_window._dialog.isVisible(), timeout=5000)
    assert empty_window._dialog.icon() == QMessageBox.Warning and str(path) in empty_window._dialog.text()
    assert empty_window.model is None and empty_window.views["Compare"].session == []
    assert "session" not in empty_window.jobs          # a later open is not refused


def test_a_session_naming_a_corpus_shows_the_path_and_reads_nothing_unasked(qtbot, empty_window, tmp_path):
    path = Stage(tmp_path).session("shadow.eesession", {"corpus": "/etc/shadow\x1b[2J"})
    with qtbot.waitSignal(empty_window.open_session(path).done, timeout=30_000):
        pass
    offer = empty_window.findChild(QMessageBox, "corpus_offer")
    assert offer.isVisible() and "/etc/shadow\\x1b[2J" in offer.text()
    assert empty_window.corpus is None and "corpus" not in empty_window.jobs
    offer.reject()
    assert empty_window.corpus is None and "corpus" not in empty_window.jobs
