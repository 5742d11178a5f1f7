"""The map and neighbour views driven through the window with a known embedding."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QTextDocument

from explorer.views.projection_map import SELECTED, place_labels
from models.text.embedding import TrainedEmbedding
from models.text.presets import WORD_GROUPS
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig


def known_embedding(n_extra=200, seed=0):
    """Module words with 'illinois' near 'chicago'; 'bloomington' deliberately absent."""
    rng = np.random.default_rng(seed)
    words = ["illinois", "chicago", "champaign", "indiana", "indianapolis", "monday", "tuesday"]
    words += [f"filler{i}" for i in range(n_extra)]
    m = rng.normal(size=(len(words), 16)).astype(np.float32)
    m[1] = m[0] + 0.05 * rng.normal(size=16)
    counts = np.arange(len(words), 0, -1, dtype=np.int64) * 10
    return TrainedEmbedding("sgns", SGNSConfig(dim=16), Vocabulary(words, counts), {"input": m}, {}, [])


@pytest.fixture
def loaded(qtbot, empty_window):
    w = empty_window
    with qtbot.waitSignal(w.projection_done, timeout=30_000):
        w.set_model(known_embedding())
    return w


def test_search_selects_the_word_lists_ten_neighbours_and_labels_it(qtbot, loaded):
    qtbot.keyClicks(loaded.map.search, "Illinois")
    qtbot.keyClick(loaded.map.search, Qt.Key_Return)
    assert loaded.selected == "illinois"
    words = loaded.neighbours.neighbour_words()
    assert len(words) == 10 and words[0] == "chicago"
    sims = [float(loaded.neighbours.table.item(r, 1).text()) for r in range(10)]
    assert sims == sorted(sims, reverse=True)
    assert "illinois" in loaded.map.visible_labels()


def test_unknown_word_is_named_instead_of_showing_noise(loaded):
    loaded.select_word("bloomington")
    assert "“bloomington” is not in the vocabulary" in loaded.neighbours.hint.text()
    assert loaded.neighbours.table.rowCount() == 0


def test_a_word_group_with_missing_words_says_which(loaded):
    name = next(n for n in WORD_GROUPS if "Illinois" in n)
    loaded.highlight_group(name, WORD_GROUPS[name])
    assert "Not in the vocabulary: bloomington" in loaded.neighbours.group_note.text()
    assert set(loaded.map.visible_labels()) <= set(WORD_GROUPS[name]) and "chicago" in loaded.map._marked


def test_clicking_a_point_selects_its_word(qtbot, loaded):
    i = loaded.map.words.index("monday")
    vb = loaded.map.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(*loaded.map.coords[i]))
    pos = loaded.map.plot.mapFromScene(scene)
    qtbot.mouseClick(loaded.map.plot.viewport(), Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: loaded.selected is not None, timeout=2000)
    clicked = loaded.selected
    # The click lands on the nearest point under the cursor: monday, or one drawn on top of it.
    assert np.linalg.norm(loaded.map.position(clicked) - loaded.map.coords[i]) < 1e-3 * np.ptp(loaded.map.coords)
    assert loaded.map._marked[clicked] == SELECTED


def test_hovering_a_point_gives_its_word_as_tip(loaded):
    assert loaded.map.points.opts["hoverable"]
    shown = QTextDocument()
    shown.setHtml(loaded.map.points.opts["tip"](0, 0, "chicago"))     # a tooltip is rich text
    assert shown.toPlainText() == "chicago"


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_switching_the_map_to_tsne_or_umap_runs_in_the_background(qtbot, loaded, method):
    before = loaded.map.coords.copy()
    loaded.map.method_box.setCurrentIndex(list(["pca", "tsne", "umap"]).index(method))
    with qtbot.waitSignal(loaded.projection_done, timeout=120_000) as done:
        loaded.map.apply_button.click()
        assert loaded.map.progress.isVisible()
    assert done.args == [method]
    assert loaded.map.coords.shape == before.shape and not np.allclose(loaded.map.coords, before)
    qtbot.waitUntil(lambda: not loaded.map.progress.isVisible(), timeout=5000)   # hidden as the job ends


def test_labels_never_overlap():
    rng = np.random.default_rng(0)
    anchors = rng.uniform(0, 200, size=(60, 2))
    sizes = [(rng.uniform(20, 60), 14.0) for _ in range(60)]
    spots = place_labels(anchors, sizes)
    boxes = [(x, y, w, h) for s, (w, h) in zip(spots, sizes) if s is not None for x, y in [s]]
    assert 0 < len(boxes) < 60
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    assert spots[0] is not None  # the most important label is always placed


def test_a_label_at_the_edge_goes_inside_the_view_where_a_spot_is_free():
    from PySide6.QtCore import QRectF

    view = QRectF(0, 0, 200, 100)
    # The second label's right spot is taken by the first, and its left one would run off the view.
    spots = place_labels(np.array([[70.0, 50.0], [30.0, 50.0]]), [(60.0, 14.0), (50.0, 14.0)], bounds=view)
    assert spots == [(74.0, 43.0), (5.0, 32.0)]              # right of its point; above its point
    assert place_labels(np.array([[70.0, 50.0], [30.0, 50.0]]), [(60.0, 14.0), (50.0, 14.0)])[1] == (-24.0, 43.0)
    # With no free spot inside, a label is still placed rather than dropped.
    assert place_labels(np.array([[199.0, 99.0]]), [(40.0, 14.0)], bounds=view)[0] is not None


def test_the_map_labels_its_most_frequent_words_in_view_and_none_on_a_crowded_live_frame(qtbot):
    from explorer.views.projection_map import NEARBY_LABELS, MapView

    m = MapView()
    qtbot.addWidget(m)
    m.resize(800, 600)
    m.show()
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(500)]
    m.set_points(words, rng.normal(size=(500, 2)), fit=True)
    nearby = [w for w, _ in m._nearby()]
    assert len(nearby) == NEARBY_LABELS and nearby == sorted(nearby, key=lambda w: int(w[1:]))
    assert "w0" in nearby                                   # the most frequent word, in view
    m.set_points(words, rng.normal(size=(500, 2)), live=True)
    assert m._nearby() == []
