"""Every word-vector model trains from the window, draws its loss, and FastText answers for unseen words."""
import pytest

from tests.explorer.conftest import GROUP_A, GROUP_B, set_params

TINY = {
    "sgns": dict(dim=16, epochs=2, min_count=1, sample=0.0),
    "cbow": dict(dim=16, epochs=2, min_count=1, sample=0.0),
    "softmax": dict(dim=16, steps=40, batch=64, min_count=1, sample=0.0),
    "glove": dict(dim=16, epochs=3, min_count=1),
    "fasttext": dict(dim=16, epochs=2, min_count=1, sample=0.0, buckets=2000),
    "cooc-svd": dict(dim=8, min_count=1, method="svd"),
    "cooc-eig": dict(dim=8, min_count=1, method="eig"),
    "cooc-nmf": dict(dim=8, min_count=1, method="nmf", iterations=15),
}
AXIS = {"sgns": "words processed", "cbow": "words processed", "fasttext": "words processed",
        "softmax": "pairs processed", "glove": "pairs processed", "cooc-svd": "steps", "cooc-eig": "steps",
        "cooc-nmf": "iterations"}


def train(qtbot, window, name, **params):
    window.panel.select_model(name.split("-")[0])
    set_params(window, **params)
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        window.panel.train_button.click()
    return ready.args[0]


def bottom_label(plot) -> str:
    return plot.getPlotItem().getAxis("bottom").labelText


@pytest.mark.parametrize("name", list(TINY))
def test_each_text_model_trains_from_the_window_and_draws_its_loss(qtbot, window, name):
    model = train(qtbot, window, name, **TINY[name])
    assert model.model == name.split("-")[0]
    plot = window.panel.loss_plot
    assert plot.points() > 0
    assert bottom_label(plot) == AXIS[name]
    assert "Trained." in window.panel.status.text()


def test_softmax_reports_its_cost_per_step_beside_the_rate(qtbot, window):
    model = train(qtbot, window, "softmax", **TINY["softmax"])
    status = window.panel.status.text()
    assert f"{model.stats['ms_per_step']:.1f} ms/step" in status and "pairs/s" in status


def test_onehot_trains_and_says_it_has_no_loss(qtbot, window):
    model = train(qtbot, window, "onehot", min_count=1)
    assert model.vectors.dim == len(GROUP_A) + len(GROUP_B)
    assert "no loss" in window.panel.status.text()
    assert window.panel.loss_plot.points() == 0


@pytest.mark.parametrize("name", ["softmax", "onehot"])
def test_the_panel_states_the_vocabulary_cap(window, name):
    window.panel.select_model(name)
    assert "capped" in window.panel.description.text()
    assert window.panel.description.isVisible()


def test_fasttext_answers_neighbours_for_an_unseen_word_and_shows_its_ngrams(qtbot, window):
    train(qtbot, window, "fasttext", **TINY["fasttext"], min_n=3, max_n=4)
    window.select_word("animal99")
    near = window.neighbours.neighbour_words()
    assert len(near) == 10
    assert sum(w in GROUP_A for w in near) >= 8
    assert "Never seen in training" in window.neighbours.hint.text()
    assert window.neighbours.subwords.isVisible()
    window.select_word("chicken")
    assert "n = 3:  <ch chi hic ick cke ken en>" in window.neighbours.subwords.text()
    assert "n = 4:  <chi chic hick icke cken ken>" in window.neighbours.subwords.text()


def test_subwords_stay_hidden_for_models_without_them(qtbot, window):
    train(qtbot, window, "sgns", **TINY["sgns"])
    window.select_word(GROUP_A[0])
    assert len(window.neighbours.neighbour_words()) == 10
    assert not window.neighbours.subwords.isVisible()
    window.select_word("animal99")
    assert "not in the vocabulary" in window.neighbours.hint.text()
