"""File > Save Session and Open Session through the window, and saves that meet a full disk or a
denied rename: the previous file stays whole and the window says what to do."""

import numpy as np
import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from explorer import window_session
from explorer.main_window import MainWindow
from explorer.vector_files import OpenedVectors
from models.core.events import drain
from models.core.session import SavedModel, Session, SessionError, save_session
from models.text.embedding import TrainedEmbedding
from models.text.presets import WORD_GROUPS
from models.vectors.formats import write_vectors
from models.vectors.store import WordVectors
from tests.explorer.conftest import GROUP_A, GROUP_B, set_params
from tests.explorer.test_map import known_embedding
from tests.faults import ADVICE, FAULTS, temp_files
from tests.models.test_session import make


def _fresh_window(qtbot) -> MainWindow:
    w = MainWindow(corpus_path=None, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    return w


def _error_text(qtbot, window) -> str:
    qtbot.waitUntil(lambda: window._dialog is not None and window._dialog.isVisible(), timeout=5000)
    assert window._dialog.icon() == QMessageBox.Warning, window._dialog.text()      # the user's to fix: no traceback
    text = window._dialog.text()
    window._dialog.close()
    return text


def _wait(qtbot, job, timeout=60_000):
    assert job is not None
    with qtbot.waitSignal(job.ended, timeout=timeout):
        pass
    return job


def test_a_saved_session_opens_in_a_fresh_window_as_it_was_left(qtbot, window, tmp_path):
    # Two models: vectors of the planted words read from a file, then a skip-gram trained on the
    # planted corpus, so that the Compare tab has shared words to show.
    vec = tmp_path / "small.vec"
    words = GROUP_A + GROUP_B
    write_vectors(WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 8))), vec, "fasttext")
    with qtbot.waitSignal(window.projection_done, timeout=30_000):
        window.open_vectors(str(vec))
    window.panel.select_model("sgns")
    set_params(window, dim=12, epochs=2, min_count=1, sample=0.0)
    with qtbot.waitSignal(window.projection_done, timeout=60_000):
        window.panel.train_button.click()
    # Two layouts of the trained model: custom axes, then back to PCA (shown).
    view = window.views["Analogies"]
    for edit, w in zip((view.x_from, view.x_to, view.y_from, view.y_to), (*GROUP_A[:2], *GROUP_B[:2])):
        edit.setText(w)
    view.axes_button.click()
    with qtbot.waitSignal(window.projection_done, timeout=30_000):
        window.project("pca", window.map.count_box.value())
    assert set(window.layouts) == {"pca", "axes"} and window.map_layout == "pca"
    # Selections, a score in the Compare table, and the Compare tab open.
    window.map.search.setText(GROUP_A[3])
    window.select_word(GROUP_A[3])
    name = next(iter(WORD_GROUPS))
    window.highlight_group(name, WORD_GROUPS[name])
    compare = window.views["Compare"]
    compare.session[0].scores = {"analogy": 0.25, "WS353 ρ": float("nan")}
    compare.select(GROUP_B[2])
    window.tabs.setCurrentWidget(compare)
    qtbot.waitUntil(lambda: not window.jobs, timeout=30_000)

    path = tmp_path / "work.eesession"
    with qtbot.waitSignal(window.save_session(path).done, timeout=60_000) as saved:
        pass
    assert saved.args == [path] and path.is_file() and temp_files(tmp_path) == []

    w2 = _fresh_window(qtbot)
    projected = []
    w2.projection_done.connect(projected.append)
    with qtbot.waitSignal(w2.open_session(path).done, timeout=60_000):
        pass
    # Models: the same two, in order, with their names, times and scores; the trained one current.
    c2 = w2.views["Compare"]
    assert [e.name for e in c2.session] == [e.name for e in compare.session]
    assert [e.added for e in c2.session] == [e.added for e in compare.session]
    assert c2.session[0].scores["analogy"] == 0.25 and np.isnan(c2.session[0].scores["WS353 ρ"])
    assert isinstance(c2.session[0].model, OpenedVectors) and c2.session[0].model.path == vec
    assert isinstance(w2.model, TrainedEmbedding) and w2.model is c2.session[1].model
    assert w2.model.vocab.words == window.model.vocab.words and w2.model.config == window.model.config
    for k, t in window.model.tensors.items():
        np.testing.assert_array_equal(w2.model.tensors[k], t)
    np.testing.assert_array_equal(c2.session[0].model.vectors.matrix, compare.session[0].model.vectors.matrix)
    # The map: drawn from the file, not recomputed; every layout kept.
    assert "projection" not in w2.jobs and projected == []
    assert w2.map_layout == "pca" and w2.map.words == window.map.words
    np.testing.assert_array_equal(w2.map.coords, window.map.coords)
    assert w2.map.caption.text() == window.map.caption.text() and w2.map.method_box.currentText() == "PCA"
    with qtbot.waitSignal(w2.projection_done, timeout=5000):
        w2.project("pca", w2.map.count_box.value())     # kept: shown again without a job
    assert "projection" not in w2.jobs
    w2.app.show_layout("axes", w2.layouts["axes"])
    np.testing.assert_array_equal(w2.map.coords, window.layouts["axes"].coords)
    assert w2.map.plot.getPlotItem().getAxis("bottom").labelText.startswith("cosine with")
    # Selections and the tab.
    assert w2.selected == GROUP_A[3] and w2.neighbours.neighbour_words() == window.neighbours.neighbour_words()
    assert w2.highlighted == (name, WORD_GROUPS[name])
    assert w2.neighbours.group_note.text() == window.neighbours.group_note.text()
    assert w2.neighbours.groups.currentText() == name and w2.map.search.text() == GROUP_A[3]
    assert c2.selected == GROUP_B[2] and c2.pair()[1].model is w2.model
    assert w2.tabs.tabText(w2.tabs.currentIndex()) == "Compare"
    # The corpus it was trained on is offered, by its path, and read only once the user says so.
    offer = w2.findChild(QMessageBox, "corpus_offer")
    assert offer.isVisible() and str(window.corpus.path) in offer.text() and w2.corpus is None
    assert "corpus" not in w2.jobs
    offer.open_button.click()
    qtbot.waitUntil(lambda: w2.corpus is not None, timeout=30_000)
    assert w2.corpus.path == window.corpus.path


def test_save_and_open_session_are_in_the_file_menu_with_shortcuts(window):
    actions = {a.text(): a for a in window.menuBar().actions()[0].menu().actions()}
    assert actions["Save session…"].shortcut() == QKeySequence("Ctrl+Shift+S")
    assert actions["Open session…"].shortcut() == QKeySequence("Ctrl+Shift+O")


@pytest.fixture
def with_model(qtbot):
    w = _fresh_window(qtbot)
    with qtbot.waitSignal(w.projection_done, timeout=30_000):
        w.set_model(known_embedding())
    return w


def test_a_damaged_session_is_explained_and_the_window_keeps_its_model(qtbot, with_model, tmp_path):
    good = tmp_path / "good.eesession"
    _wait(qtbot, with_model.save_session(good))
    before = with_model.model
    bad = tmp_path / "cut.eesession"
    bad.write_bytes(good.read_bytes()[:-200])
    _wait(qtbot, with_model.open_session(bad))
    text = _error_text(qtbot, with_model)
    assert str(bad) in text and "damaged" in text
    assert with_model.model is before and len(with_model.views["Compare"].session) == 1
    with_model.select_word("illinois")          # still usable
    assert with_model.neighbours.neighbour_words()[0] == "chicago"
    job = _wait(qtbot, with_model.open_session(good))
    assert job.outcome == "done" and with_model.model.vectors.words == before.vectors.words


def test_the_models_of_the_separation_and_contextual_tabs_come_back_to_them(qtbot, with_model, tmp_path):
    dc, mlm = make("dc"), make("mlm")
    with_model.views["Separation"].set_model(dc)
    with_model.views["Contextual"].set_model(mlm)
    qtbot.waitUntil(lambda: not with_model.jobs, timeout=30_000)
    path = tmp_path / "audio.eesession"
    assert _wait(qtbot, with_model.save_session(path)).outcome == "done"
    w2 = _fresh_window(qtbot)
    assert _wait(qtbot, w2.open_session(path)).outcome == "done"
    for title, model in (("Separation", dc), ("Contextual", mlm)):
        back = w2.views[title].trained_model
        assert type(back) is type(model) and back is not model
        assert back.config == model.config
        for k, t in model.checkpoint().tensors.items():
            np.testing.assert_array_equal(back.checkpoint().tensors[k], t)
    assert w2.views["Matching"].trained_model is None
    qtbot.waitUntil(lambda: not w2.jobs, timeout=30_000)


@pytest.mark.parametrize("state, phrase", [
    ({"current": 3}, "the current model"),
    ({"current": 0, "layouts": {"pca": {"words": ["illinois", "chicago"], "caption": ""}}},
     "the pca layout.s coordinates"),
    ({"current": 0, "layouts": {"pca": {"words": ["nope"] * 30, "caption": ""}}}, "the pca layout's words"),
    ({"current": 0, "selected": 5}, "a text field"),
    ({"current": 0, "compare": [0, 7, None]}, "the compared pair"),
])
def test_a_session_whose_state_does_not_fit_its_models_is_refused_before_the_window_changes(tmp_path, state, phrase):
    """The archive is whole (its checksums pass) but was not written by this program's Save."""
    path = tmp_path / "odd.eesession"
    model = known_embedding()
    save_session(path, Session([SavedModel(model.checkpoint(), {"name": "1", "added": ""})],
                               {"layout.pca": np.zeros((30, 2), np.float32)}, {"layouts": {}, **state}))
    with pytest.raises(SessionError, match=f"{path}.* is damaged .malformed: {phrase}"):
        drain(window_session.open_steps(path))


def _short_norm(ckpt):
    ckpt.tensors["norm.weight"] = ckpt.tensors["norm.weight"][:-1]


def _repeat_word(ckpt):
    ckpt.extra["vocab"]["words"][3] = ckpt.extra["vocab"]["words"][2]


def _nan_weight(ckpt):
    ckpt.tensors["input"][0, 0] = np.nan


@pytest.mark.parametrize("kind, edit, phrase", [
    ("mlm", _short_norm, "is damaged: model 1 holds a 'mlm' model whose parts do not fit together .weights that"),
    ("sgns", _repeat_word, "is damaged: model 1 holds a 'sgns' model .*.a repeated, empty or non-text word"),
    ("sgns", _nan_weight, r"is damaged .models/0\.safetensors holds NaN or infinite weights"),
], ids=["net-weights-short", "repeated-word", "nan-weight"])
def test_a_session_whose_model_fails_only_when_used_is_refused_before_the_window_changes(tmp_path, kind, edit,
                                                                                        phrase):
    """These were accepted: the masked LM's network is built when the Contextual view first uses
    it, and a repeated word or a NaN weight is never noticed at all."""
    ckpt = make(kind).checkpoint()
    ckpt.tensors = {k: np.array(v) for k, v in ckpt.tensors.items()}
    edit(ckpt)
    note = {"view": "Contextual"} if kind == "mlm" else {"name": "1", "added": ""}
    path = tmp_path / "odd.eesession"
    save_session(path, Session([SavedModel(ckpt, note)], {}, {"layouts": {}, "current": None if kind == "mlm" else 0}))
    with pytest.raises(SessionError, match=f"{path} {phrase}") as info:
        drain(window_session.open_steps(path))
    assert "\n" not in str(info.value)


def test_a_foreign_file_opened_as_a_session_is_named_in_the_message(qtbot, with_model, tmp_path):
    other = tmp_path / "notes.eesession"
    other.write_text("not a session\n")
    _wait(qtbot, with_model.open_session(other))
    text = _error_text(qtbot, with_model)
    assert str(other) in text and "not an Embedding Explorer session file" in text


# --- a full disk or a denied rename while saving ------------------------------------------------
SAVES = {
    # name: (start the save through the window, the file whose previous version must survive)
    "model": (lambda w, p: w.save_model(str(p)), lambda p: p / "model.safetensors"),
    "vectors": (lambda w, p: w.export_vectors(str(p), "word2vec"), lambda p: p),
    "session": (lambda w, p: w.save_session(p), lambda p: p),
}
TARGETS = {"model": "m", "vectors": "vectors.txt", "session": "s.eesession"}
# The fault hits the model's checkpoint, written last of its four files; the others have one file.
NTH = {"model": 4, "vectors": 1, "session": 1}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("what", SAVES)
def test_a_failed_save_keeps_the_previous_file_and_tells_the_user_what_to_do(qtbot, with_model, tmp_path,
                                                                          monkeypatch, what, fault):
    start, kept = SAVES[what]
    target = tmp_path / TARGETS[what]
    assert _wait(qtbot, start(with_model, target)).outcome == "done"
    before = kept(target).read_bytes()
    injected = FAULTS[fault](monkeypatch, nth=NTH[what])
    job = _wait(qtbot, start(with_model, target))
    monkeypatch.undo()
    assert injected.fired and job.outcome == "failed"
    text = _error_text(qtbot, with_model)
    assert ADVICE[fault] in text and "unchanged" in text and str(target) in text
    assert kept(target).read_bytes() == before
    assert temp_files(kept(target).parent) == []
    assert text in with_model.statusBar().currentMessage()
