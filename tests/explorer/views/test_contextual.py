"""The Contextual view driven through the window with a small masked LM built directly."""
import numpy as np
import pytest
import torch

from models.text.mlm import SPECIALS, MLMConfig, MLMNet, TrainedMLM
from models.text.vocab import Vocabulary
from tests.explorer.views.test_map import known_embedding

WORDS = ["i", "like", "the", "new", "chicken", "place", "on", "third", "street", "played", "at", "dark", "night",
         "soup", "illinois", "chicago"]


def tiny_mlm(seed=0):
    """Untrained weights are enough here: the view's job is to show what the vectors are."""
    cfg = MLMConfig(dim=16, layers=1, heads=2, ff=32, max_len=16, dropout=0.0)
    torch.manual_seed(seed)
    net = MLMNet(len(WORDS) + len(SPECIALS), cfg).eval()
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    vocab = Vocabulary(WORDS, np.arange(len(WORDS), 0, -1, dtype=np.int64))
    return TrainedMLM(cfg, vocab, state, {"masked_accuracy": 0.25})


@pytest.fixture
def view(qtbot, empty_window):
    w = empty_window
    v = w.views["Contextual"]
    w.tabs.setCurrentWidget(v)
    with qtbot.waitSignal(v.compared, timeout=10_000):
        w.app.trained.emit(tiny_mlm())
    return v


def compare(qtbot, view, word, *sentences):
    view.word_edit.setText(word)
    view.sentences_edit.setPlainText("\n".join(sentences))
    job = view.compare()
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    return view.report if job.outcome == "done" else None


def test_the_preset_chicken_sentences_give_a_symmetric_table_with_ones_on_the_diagonal(view):
    sims = view.similarity_table()
    assert sims.shape == (2, 2)
    assert np.allclose(sims, sims.T) and np.allclose(np.diag(sims), 1.0)
    assert sims[0, 1] < 0.9999                       # two different sentences, two different vectors
    assert [o.label for o in view.report.occurrences] == ["S1", "S2"]
    assert "third" in view.sentence_list.text() and view.report.missing == []


def test_identical_sentences_give_identical_vectors(qtbot, view):
    r = compare(qtbot, view, "chicken", "i like chicken soup", "i like chicken soup", "dark chicken night")
    assert np.allclose(r.similarity[0, 1], 1.0, atol=1e-5)
    assert r.similarity[0, 2] < 0.9999


def test_every_occurrence_gets_its_own_vector_and_its_own_point(qtbot, view):
    r = compare(qtbot, view, "chicken", "chicken chicken soup", "i played chicken")
    assert [o.label for o in r.occurrences] == ["S1·1", "S1·2", "S2"] and r.similarity.shape == (3, 3)
    assert len(view.occurrences.data) == 3
    assert len(view.context_words.data) == len("chicken chicken soup i played chicken".split()) - 3


def test_sentences_without_the_word_and_unknown_words_are_named(qtbot, view):
    r = compare(qtbot, view, "chicken", "i like chicken", "no such word here", "chicken in zanzibar")
    assert r.missing == [1] and r.similarity.shape == (2, 2)
    assert "Without “chicken” (left out): S2" in view.status.text()
    assert "zanzibar" in view.status.text() and "[UNK]" in view.status.text()


def test_a_word_missing_from_the_vocabulary_or_every_sentence_is_named(qtbot, view):
    assert compare(qtbot, view, "zanzibar", "zanzibar is far") is None
    assert "'zanzibar' is not in the masked language model's vocabulary" in view.status.text()
    assert compare(qtbot, view, "soup", "i like chicken") is None
    assert "'soup' occurs in none of the sentences" in view.status.text()
    assert view.window()._dialog is None


def test_the_static_vector_of_the_loaded_word2vec_model_is_shown_on_its_own_map(qtbot, view):
    assert "No word2vec-style model" in view.static_note.text()
    with qtbot.waitSignal(view.window().projection_done, timeout=30_000):
        view.window().set_model(known_embedding())
    r = compare(qtbot, view, "chicago", "i like chicago", "chicago at night")
    assert r.static is not None and r.static.words[:2] == ["chicago", "illinois"]
    assert len(view.static_word.data) == 1 and len(view.static_points.data) == len(r.static.words) - 1
    assert "nearest: illinois" in view.static_note.text()
    assert "Two different spaces" in view.spaces_note.text()
    r = compare(qtbot, view, "soup", "chicken soup")
    assert r.static is None and "not in the loaded word vectors" in view.static_note.text()
