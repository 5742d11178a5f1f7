"""The window under hostile files: words shown escaped and never read as HTML, a worker's panic
ending as a dialog, and a session whose numbers or types are wrong refused with the window left as
it was."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from explorer import workers
from explorer.views.compare import SideMap
from explorer.views.neighbours import NeighboursPanel
from explorer.views.plain import point_tip
from explorer.window.vector_files import OpenedVectors
from models.printable import printable
from tests.explorer.window.test_vector_files import random_vectors
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


TAG = "<img src=/x.png>"         # obeyed as HTML, Qt would read /x.png to draw it


def test_no_label_of_the_window_guesses_whether_its_text_is_html(empty_window):
    """Qt reads a label's text as HTML when it looks like HTML (Qt.mightBeRichText): every label
    that may show a file's words or a path is plain text, and the rich ones say so on purpose."""
    for i in range(empty_window.tabs.count()):          # views that build their widgets when shown
        empty_window.tabs.setCurrentIndex(i)
    labels = empty_window.findChildren(QLabel)
    guessing = [label.text()[:40] or label.objectName() for label in labels if label.textFormat() == Qt.AutoText]
    assert len(labels) > 40 and guessing == []


def test_words_and_names_in_rich_text_titles_and_tooltips_are_escaped(qtbot):
    panel = NeighboursPanel()
    qtbot.addWidget(panel)
    panel.show_subwords(TAG, (3, 4))
    assert "&lt;img src=/x.png&gt;" in panel.subwords_title.text()
    side = SideMap()                     # a model's name from a session file titles the compare map
    qtbot.addWidget(side)
    side.set_points([], np.zeros((0, 2)), f"{TAG} · PCA")
    assert side.plotItem.titleLabel.item.toPlainText() == f"{TAG} · PCA"
    assert "&lt;img" in point_tip(0, 0, TAG) and Qt.mightBeRichText(point_tip(0, 0, TAG))


def test_metadata_classes_and_axis_words_reach_the_map_escaped(qtbot, empty_window):
    """The map's legend and axis titles are HTML in pyqtgraph: a class of a metadata file and a
    word put there are escaped."""
    vectors = random_vectors(60, metadata={"class": [TAG if i % 2 else "plain" for i in range(60)]})
    empty_window.set_model(OpenedVectors(vectors, Path("meta.tsv"), "tsv"))
    view = empty_window.map
    qtbot.waitUntil(lambda: "projection" not in empty_window.jobs and len(view.words) == 60, timeout=30_000)
    view.colour_box.setCurrentText("Metadata: class")
    view.colour_box.activated.emit(view.colour_box.currentIndex())
    assert sorted(item.name() for item in view.colour_layers()) == ["&lt;img src=/x.png&gt;", "plain"]
    view.set_axis_labels(f"cosine with {TAG}", None)
    assert "&lt;img" in view.plot.getPlotItem().getAxis("bottom").labelText


def test_an_error_quoting_a_hostile_name_is_shown_as_text(qtbot, empty_window):
    empty_window.show_error(f"{TAG}.wav is not a readable audio file.")
    qtbot.waitUntil(lambda: empty_window._dialog is not None and empty_window._dialog.isVisible(), timeout=5000)
    assert empty_window._dialog.textFormat() == Qt.PlainText and TAG in empty_window._dialog.text()
    empty_window._dialog.reject()


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
