"""The comparison view: two session models mapped in one frame, neighbour overlap, the benchmark table."""
import csv

import numpy as np
import pytest

from explorer.views.projection_map import SELECTED
from models.text.embedding import TrainedEmbedding
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from tests.explorer.conftest import set_params

FAMILY = "king queen man woman boy girl brother sister father mother son daughter".split()
CAPITALS = "paris france berlin germany rome italy madrid spain tokyo japan athens greece".split()
THINGS = "tiger cat book paper computer keyboard internet plane car train television radio".split()


def embedding(words, matrix):
    counts = np.arange(len(words), 0, -1, dtype=np.int64) * 10
    return TrainedEmbedding("sgns", SGNSConfig(dim=matrix.shape[1]), Vocabulary(words, counts),
                            {"input": matrix.astype(np.float32)}, {"seconds": 1.5}, [])


def add(qtbot, window, model):
    with qtbot.waitSignal(window.projection_done, timeout=30_000):
        window.set_model(model)


@pytest.fixture
def view(empty_window):
    w = empty_window
    v = w.views["Compare"]
    w.tabs.setCurrentWidget(v)
    return v


def test_a_rotated_copy_aligns_back_onto_the_first_map(qtbot, view):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    m = rng.normal(size=(300, 16))
    q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    add(qtbot, view.window(), embedding(words, m))
    add(qtbot, view.window(), embedding(words, m @ q))
    assert [e.name for e in view.session] == ["1 · sgns", "2 · sgns"]
    assert (view.a_box.currentIndex(), view.b_box.currentIndex()) == (0, 1)
    a, b = view.map_a.coords, view.map_b.coords
    assert a.shape == (300, 2) and view.map_b.words == view.map_a.words
    assert np.abs(a - b).max() < 1e-4 * np.ptp(a)
    assert view.mean_overlap() == pytest.approx(1.0)


def test_selecting_in_one_map_highlights_the_word_in_both(qtbot, view):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(100)]
    add(qtbot, view.window(), embedding(words, rng.normal(size=(100, 8))))
    add(qtbot, view.window(), embedding(words, rng.normal(size=(100, 8))))
    view.map_b.word_clicked.emit("w7")
    for side in (view.map_a, view.map_b):
        assert side.marked["w7"] == SELECTED
        assert len(side.marked) == 11 and "w7" in side.visible_labels()
    view.search.setText("w9")
    view.search.returnPressed.emit()
    assert view.map_a.marked["w9"] == view.map_b.marked["w9"] == SELECTED


def test_neighbour_overlap_on_a_hand_made_case(qtbot, view):
    """Two clusters of 11 words; the second model swaps w0 and w11 between them. At 10 neighbours a
    swapped word keeps none of its neighbours and every other word keeps 9 of 10."""
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(22)]
    home = np.eye(8)[[0] * 11 + [1] * 11]
    swapped = home.copy()
    swapped[[0, 11]] = swapped[[11, 0]]
    noise = 0.01 * rng.normal(size=(22, 8))
    add(qtbot, view.window(), embedding(words, home + noise))
    add(qtbot, view.window(), embedding(words, swapped + noise))
    assert view.mean_overlap() == pytest.approx(20 * 0.9 / 22)
    view.select("w0")
    assert view.selected_overlap() == 0.0
    view.select("w5")
    assert view.selected_overlap() == pytest.approx(0.9)
    assert "Left only: w0" in view.overlap_label.text() and "Right only: w11" in view.overlap_label.text()


def benchmark_corpus(path, lines=2000, seed=0):
    """Sentences within one of three groups of words that the bundled benchmarks ask about."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for _ in range(lines):
            group = (FAMILY, CAPITALS, THINGS)[rng.integers(3)]
            f.write(" ".join(rng.choice(group, size=10)) + "\n")
    return path


def test_the_table_scores_every_session_model_once_and_exports_csv(qtbot, tmp_path):
    from explorer import workers
    from explorer.window.main_window import MainWindow

    w = MainWindow(corpus_path=benchmark_corpus(tmp_path / "bench.txt"), warm_up=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.corpus is not None, timeout=10_000)
    view = w.views["Compare"]
    for name, params in (("sgns", dict(dim=16, epochs=2, min_count=1, sample=0.0)),
                         ("cooc", dict(dim=8, min_count=1, method="svd"))):
        w.panel.select_model(name)
        set_params(w, **params)
        with qtbot.waitSignal(w.projection_done, timeout=60_000):
            w.panel.train_button.click()
    w.tabs.setCurrentWidget(view)
    assert view.table.rowCount() == 2 and "2 not scored" in view.table_note.text()
    with qtbot.waitSignal(view.scored, timeout=30_000):
        view.score_button.click()
    cols = view.columns()
    for row in view.table_rows():
        figures = dict(zip(cols, row))
        assert 0.0 <= figures["semantic"] <= 1.0 and 0.0 < figures["analogy coverage"] < 1.0
        assert -1.0 <= figures["WS353 ρ"] <= 1.0 and -1.0 <= figures["SimLex ρ"] <= 1.0
        assert figures["section: family"] == figures["section: family"]      # answered, not NaN
        assert figures["training s"] > 0 and figures["vocabulary"] == 36
    qtbot.waitUntil(lambda: "compare-scores" not in w.jobs, timeout=5000)
    view.score_button.click()            # everything is scored: nothing runs again
    assert "compare-scores" not in w.jobs

    out = view.export_csv(tmp_path / "models.csv")
    with open(out, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == cols and len(table) == 3
    assert [r[0] for r in table[1:]] == ["1 · sgns", "2 · cooc (svd)"]
    assert float(table[1][cols.index("WS353 ρ")]) == pytest.approx(view.table_rows()[0][cols.index("WS353 ρ")],
                                                                   abs=1e-5)
    workers.shutdown(3000)


def test_hidden_maps_are_drawn_when_the_tab_is_shown_or_a_word_is_selected(qtbot, empty_window):
    w = empty_window
    view = w.views["Compare"]
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(50)]
    add(qtbot, w, embedding(words, rng.normal(size=(50, 8))))
    add(qtbot, w, embedding(words, rng.normal(size=(50, 8))))
    assert not view.isVisible() and view.map_a.words == [] and len(view.session) == 2
    view.select("w3")                    # reading the maps draws them first
    assert view.selected == "w3" and view.map_a.words == view.map_b.words and len(view.map_a.words) == 50
    add(qtbot, w, embedding(words, rng.normal(size=(50, 8))))
    assert view.b_box.currentIndex() == 2 and view._maps.pending
    w.tabs.setCurrentWidget(view)
    assert not view._maps.pending and view.pair()[1] is view.session[2]


def test_an_earlier_model_of_the_session_is_made_current_again_from_the_table(qtbot, view):
    rng = np.random.default_rng(0)
    first, second = (embedding(FAMILY + THINGS, rng.normal(size=(24, 8))) for _ in range(2))
    add(qtbot, view.window(), first)
    add(qtbot, view.window(), second)
    assert view.window().model is second and not view.current_button.isEnabled()
    view.table.selectRow(0)
    with qtbot.waitSignal(view.window().projection_done, timeout=30_000):
        view.current_button.click()
    assert view.window().model is first and len(view.session) == 2
