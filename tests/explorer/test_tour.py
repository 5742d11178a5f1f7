"""The Module menu: each slide, run with small settings on a small corpus, shows what it is about."""
import re

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from explorer import tour
from explorer.vector_files import OpenedVectors
from models.vectors.similarity import MODULE_WORDS
from models.text.glove import weighting
from models.text.mlm import CONTEXT_SENTENCES
from tests.explorer.test_matching_view import TINY as SIAMESE
from tests.models.planted import GROUP_A, GROUP_B

# Sentences a lecture would use, repeated among the planted groups' sentences; the place names as
# rare as in the bundled corpus (champaign 4, indianapolis 3, bloomington 1).
LECTURE = (["the king is a man and the queen is a woman"] * 30 + ["paris is the capital of france"] * 20
           + ["berlin is the capital of germany"] * 20 + ["chicago is a big city in illinois"] * 10
           + ["the chicken crossed the road in indiana"] * 10 + list(CONTEXT_SENTENCES) * 5
           + ["champaign is in illinois"] * 4 + ["indianapolis is in indiana"] * 3 + ["bloomington indiana"])
WORDS = dict(dim=16, epochs=2, min_count=1, sample=0.0, threads=1)
TORCH = dict(dim=16, layers=1, heads=2, ff=32, max_len=16, steps=30, batch=8, device="cpu")


@pytest.fixture
def corpus_file(tmp_path):
    """The corpus the shared ``window`` fixture opens: planted groups and the lecture's sentences."""
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(GROUP_A if i % 2 else GROUP_B, size=12)) for i in range(600)] + LECTURE
    rng.shuffle(lines)
    path = tmp_path / "lecture.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def window(window):
    window.tour.overrides = dict(WORDS)
    return window


def times_in(path, word: str) -> int:
    return sum(line.split().count(word) for line in path.read_text().splitlines())


def show(qtbot, window, title: str) -> None:
    index = next(i for i, s in enumerate(window.tour.slides) if s.title == title)
    with qtbot.waitSignal(window.tour.shown):
        window.tour.show_slide(index)
    assert window.tour.note.heading.text().startswith(f"<b>Slide {index + 1} of 12: {title}")


def press(window, label: str) -> None:
    next(b for b in window.tour.note.buttons if b.text() == label).click()


def trained(qtbot, window, count: int = 1) -> None:
    """Wait until ``count`` models were trained by the slide and its last training has ended."""
    qtbot.waitUntil(lambda: len(window.views["Compare"].session) >= count and "train" not in window.jobs,
                    timeout=60_000)


def test_the_module_menu_has_one_entry_per_slide_each_with_two_sentences(qtbot, window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Module")
    titles = [a.text() for a in menu.actions()]
    assert titles == [f"{i + 1}. {s.title}" for i, s in enumerate(tour.SLIDES)] and len(titles) == 12
    for slide in tour.SLIDES:
        assert len(re.findall(r"[.!?](?:\s|$)", slide.look)) == 2, slide.title
    with qtbot.waitSignal(window.tour.shown) as shown:
        menu.actions()[0].trigger()
    assert shown.args == [0] and window.tour.dock.isVisible()
    assert window.tour.note.text.text() == tour.SLIDES[0].look
    hint = window.minimumSizeHint()       # the note above the tabs still lets the window fit a small screen
    assert hint.width() <= 1400 and hint.height() <= 860


def test_one_hot_shows_the_identity_table_of_the_six_words_whatever_the_cap(qtbot, window, corpus_file):
    window.tour.overrides = dict(min_count=1, max_vocab=2)      # a cap no place name is within
    show(qtbot, window, "One-hot vectors")
    assert window.panel.spec.name == "onehot" and window.panel.form.config().max_vocab == 2
    view = window.views["One-hot"]
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.table_shown is not None, timeout=10_000)
    t = view.table_shown
    assert t.words == list(MODULE_WORDS)
    assert t.counts == [times_in(corpus_file, w) for w in MODULE_WORDS]
    assert view.table.rowCount() == 6 and view.table.columnCount() == 7
    cells = np.array([[float(view.table.item(r, c).text()) for c in range(6)] for r in range(6)])
    np.testing.assert_array_equal(cells, np.eye(6))
    assert view.table.horizontalHeaderItem(0).text() == f"dim {t.dims[0]:,}"
    assert view.table.item(0, 6).text() == f"0 × {t.vocab_size - 6:,}"


def test_analogy_draws_the_parallelogram_and_the_capitals_on_a_press(qtbot, window):
    show(qtbot, window, "Difference vectors with meaning")
    view = window.views["Analogies"]
    qtbot.waitUntil(lambda: len(window.map.arrow_ends()) == 2 and bool(view.answers()), timeout=60_000)
    assert window.tabs.currentWidget() is view
    assert (view.a_edit.text(), view.b_edit.text(), view.c_edit.text()) == ("man", "king", "woman")
    press(window, "france : paris :: germany : ?")
    assert (view.a_edit.text(), view.b_edit.text(), view.c_edit.text()) == ("france", "paris", "germany")
    ends = window.map.arrow_ends()
    assert len(ends) == 2
    np.testing.assert_allclose(ends[0][0], window.map.position("france"))
    np.testing.assert_allclose(ends[1][0], window.map.position("germany"))


def test_similarity_shows_the_six_words_and_says_how_often_the_corpus_holds_them(qtbot, window, corpus_file,
                                                                                tmp_path, monkeypatch):
    show(qtbot, window, "The similarity matrix")
    view = window.views["Heatmap"]
    trained(qtbot, window)
    qtbot.waitUntil(lambda: sorted(view.words) == sorted(MODULE_WORDS), timeout=10_000)
    assert window.tabs.currentWidget() is view and view.matrix.shape == (6, 6)
    said = window.tour.note.extra.text()
    for w in ("champaign", "indianapolis", "bloomington"):
        assert f"{w} {times_in(corpus_file, w)}×" in said
    assert "File > Open Vectors" in said
    vectors = tmp_path / "pretrained.txt"
    vectors.write_text("2 3\nillinois 1 0 0\nchicago 0.9 0.1 0\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(vectors), ""))
    with qtbot.waitSignal(window.model_ready, timeout=10_000) as opened:
        press(window, "Open vectors…")
    assert isinstance(opened.args[0], OpenedVectors) and opened.args[0].vectors.words == ["illinois", "chicago"]


def test_x_wh_draws_x_beside_its_factors_and_states_the_error(qtbot, window):
    view = window.views["X ≈ WH"]
    show(qtbot, window, "X ≈ W H")
    qtbot.waitUntil(lambda: view.factors is not None, timeout=30_000)
    f = view.factors
    n = len(f.words)
    assert f.method == "svd" and f.X.shape == (n, n) and f.W.shape == (n, 20) and f.H.shape == (20, n)
    for key, a in (("X", f.X), ("W", f.W), ("H", f.H), ("WH", f.W @ f.H)):
        image = view.plots[key][1].image
        assert image.shape == a.shape
        np.testing.assert_allclose(image, a, rtol=1e-5, atol=1e-5)
    assert f"{f.error:.3f}" in view.note.text() and 0 < f.error < 1
    press(window, "NMF")
    qtbot.waitUntil(lambda: view.factors.method == "nmf", timeout=30_000)
    assert view.factors.W.min() >= 0 and view.factors.H.min() >= 0


def test_softmax_and_negative_sampling_costs_are_set_side_by_side_per_pair(qtbot, window):
    window.tour.overrides = dict(WORDS, steps=20, batch=64)
    show(qtbot, window, "Skip-gram with the full softmax")
    trained(qtbot, window, 2)
    softmax, sgns = (e.model for e in window.views["Compare"].session)
    assert (softmax.model, sgns.model) == ("softmax", "sgns")
    assert softmax.stats["threads"] == sgns.stats["threads"] == 1
    a, b = tour.cost_per_pair(softmax), tour.cost_per_pair(sgns)
    said = window.tour.note.extra.text()
    assert f"full softmax {a:.1f} µs" in said and f"negative sampling {b:.2f} µs" in said
    assert window.tabs.currentWidget() is window.views["Compare"]


def test_cbow_beside_skip_gram_in_compare_with_scores(qtbot, window):
    view = window.views["Compare"]
    with qtbot.waitSignal(view.scored, timeout=60_000):
        show(qtbot, window, "CBOW beside skip-gram")
    a, b = view.pair()
    assert (a.model.model, b.model.model) == ("sgns", "cbow")
    assert a.model.stats["corpus"] == b.model.stats["corpus"]
    assert window.tabs.currentWidget() is view and view.table.rowCount() == 2


def test_negative_sampling_scores_the_centre_words_pairs_as_training_goes(qtbot, window):
    window.tour.overrides = dict(WORDS, epochs=60)
    view = window.views["Negatives"]
    samples = []
    view.scored.connect(samples.append)
    view.every = 0.05
    show(qtbot, window, "Negative sampling")
    assert window.tabs.currentWidget() is view and view.centre() == "king"
    trained(qtbot, window)
    assert len(samples) >= 2 and samples[0].step < samples[-1].step
    last = samples[-1]
    assert {w for w, _ in last.contexts} <= set("the is a man and queen woman".split())
    assert len(last.negatives) == 5 and "king" not in {w for w, _ in last.negatives}
    assert view.table.rowCount() == len(last.contexts) + 5
    assert view.table.item(0, 2).text() == f"{last.contexts[0][1]:.3f}"
    assert window.model.model == "sgns" and window.model.stats["epochs_done"] == 60


def test_glove_draws_f_and_the_counts_of_the_pairs_it_weighs(qtbot, window):
    view = window.views["GloVe f(x)"]
    show(qtbot, window, "GloVe's weighting f(x)")
    assert window.panel.spec.name == "glove" and window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.counts is not None, timeout=30_000)
    x, y = view.f_curve.getData()
    np.testing.assert_allclose(y, weighting(10 ** x, 100.0, 0.75), rtol=1e-6)     # x is drawn as log10
    edges, n = view.histogram
    assert n.sum() == view.counts.size and edges[0] == view.counts.min()
    assert f"{view.counts.size:,} word pairs" in view.note.text()


def test_fasttext_shows_the_ngrams_of_chicken_and_an_unseen_words_neighbours(qtbot, window):
    show(qtbot, window, "FastText: subwords")
    trained(qtbot, window)
    qtbot.waitUntil(lambda: window.selected == "chicken", timeout=10_000)
    assert "n = 3:  <ch chi hic ick cke ken en>" in window.neighbours.subwords.text()
    assert "n = 6:  <chick chicke hicken icken>" in window.neighbours.subwords.text()
    press(window, "An unseen word")
    assert window.selected in tour.UNSEEN and window.selected not in window.model.vocab
    assert "Never seen in training" in window.neighbours.hint.text()
    assert len(window.neighbours.neighbour_words()) == 10


def test_contextual_compares_the_two_chicken_sentences(qtbot, window):
    window.tour.overrides = dict(WORDS, **TORCH)
    view = window.views["Contextual"]
    with qtbot.waitSignal(view.compared, timeout=60_000) as compared:
        show(qtbot, window, "Contextual vectors")
    report = compared.args[0]
    assert report.word == "chicken" and report.sentences == list(CONTEXT_SENTENCES)
    assert report.vectors.shape[0] == 2 and window.tabs.currentWidget() is view


def test_siamese_matches_a_query_by_example(qtbot, window):
    window.tour.overrides = dict(SIAMESE)
    view = window.views["Matching"]
    with qtbot.waitSignal(view.matched, timeout=120_000) as matched:
        show(qtbot, window, "Siamese query by example")
    assert window.tabs.currentWidget() is view and matched.args[0] is view.result
    assert len(view.ranking()) > 0


def test_deep_clustering_separates_the_bundled_example(qtbot, window, tmp_path, monkeypatch):
    from models.audio import deep_clustering
    from tests.explorer.test_separation_view import tiny_model

    tiny_model().save(tmp_path / "bundled")
    monkeypatch.setattr(deep_clustering, "PRETRAINED", tmp_path / "bundled")
    view = window.views["Separation"]
    with qtbot.waitSignal(view.separated, timeout=30_000) as separated:
        show(qtbot, window, "Deep clustering")
    assert window.tabs.currentWidget() is view
    assert separated.args[0].scores is not None and view.play_buttons[("estimate", 1)].text() == "Separated 2"


def test_a_slide_chosen_while_a_model_trains_says_so_and_starts_nothing(qtbot, window):
    window.tour.overrides = dict(WORDS, epochs=200)
    show(qtbot, window, "Difference vectors with meaning")
    job = window.jobs["train"]
    show(qtbot, window, "CBOW beside skip-gram")
    assert window.jobs["train"] is job and "press Stop" in window.tour.note.extra.text()
    with qtbot.waitSignal(job.ended, timeout=10_000):
        window.stop_training()


def test_a_slides_training_ending_after_another_slide_was_chosen_leaves_that_slide_shown(qtbot, window):
    window.tour.overrides = dict(WORDS, epochs=200)
    show(qtbot, window, "Difference vectors with meaning")
    job = window.jobs["train"]
    show(qtbot, window, "X ≈ W H")          # trains nothing, so it may be shown meanwhile
    with qtbot.waitSignal(job.ended, timeout=10_000):
        window.stop_training()
    assert window.tabs.currentWidget() is window.views["X ≈ WH"]
    assert window.map.arrow_ends() == [] and window.views["Analogies"].answers() == []
    qtbot.waitUntil(lambda: window.views["X ≈ WH"].factors is not None, timeout=30_000)
