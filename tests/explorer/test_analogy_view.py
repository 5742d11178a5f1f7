"""The analogy view: answers, arrows on the map, unknown words, custom axes, the batch benchmark."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.views.analogy import FAILURE
from models.vectors.evaluation import analogy, evaluate_analogies
from models.vectors.projection import pca
from models.text.embedding import TrainedEmbedding
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from tests.explorer.conftest import window_showing

CAPITALS = [("athens", "greece"), ("paris", "france"), ("rome", "italy"), ("berlin", "germany")]


def planted_analogies(n_extra=120, seed=0):
    """Capitals and countries with one shared offset (so capital : country analogies hold),
    one pair deliberately off the offset (berlin : germany), and noise words."""
    rng = np.random.default_rng(seed)
    dim = 24
    offset = 3.0 * rng.normal(size=dim)
    words, rows = [], []
    for k, (capital, country) in enumerate(CAPITALS):
        base = 3.0 * rng.normal(size=dim)
        shift = offset if country != "germany" else -offset
        words += [capital, country]
        rows += [base, base + shift + 0.05 * rng.normal(size=dim)]
    words += [f"noise{i}" for i in range(n_extra)]
    rows += list(rng.normal(size=(n_extra, dim)))
    counts = np.arange(len(words), 0, -1, dtype=np.int64)
    return TrainedEmbedding("sgns", SGNSConfig(dim=dim), Vocabulary(words, counts),
                            {"input": np.array(rows, dtype=np.float32)}, {}, [])


@pytest.fixture
def window(qtbot):
    return window_showing(qtbot, planted_analogies(), "Analogies")


def ask(view, a, b, c, method="3CosAdd"):
    view.a_edit.setText(a)
    view.b_edit.setText(b)
    view.c_edit.setText(c)
    view.method_box.setCurrentText(method)
    view.solve_button.click()


@pytest.mark.parametrize("method", ["3CosAdd", "3CosMul"])
def test_answers_are_listed_with_scores_and_inputs_excluded(window, method):
    view = window.views["Analogies"]
    ask(view, "athens", "greece", "paris", method)
    shown = view.answers()
    expected = analogy(window.model.vectors, "athens", "greece", "paris", 10, method.lower())
    assert [w for w, _ in shown] == [w for w, _ in expected] and len(shown) == 10
    assert shown[0][0] == "france"
    assert not {"athens", "greece", "paris"} & {w for w, _ in shown}
    np.testing.assert_allclose([s for _, s in shown], [s for _, s in expected], atol=5e-4)


def test_arrows_join_the_right_map_points_and_the_four_words_are_labelled(window):
    view = window.views["Analogies"]
    assert window.map.parent() is view.map_holder       # the map is beside the controls
    ask(view, "athens", "greece", "rome")
    m = window.map
    ends = m.arrow_ends()
    assert len(ends) == 2
    for (start, end), (a, b) in zip(ends, [("athens", "greece"), ("rome", "italy")]):
        np.testing.assert_allclose(start, m.position(a), atol=1e-5)
        np.testing.assert_allclose(end, m.position(b), atol=1e-5)
    assert {"athens", "greece", "rome", "italy"} <= set(m.visible_labels())


def test_unknown_words_are_named_and_nothing_is_drawn(window):
    view = window.views["Analogies"]
    ask(view, "athens", "greece", "madrid")
    assert "Not in the vocabulary: madrid" in view.note.text()
    assert view.table.rowCount() == 0 and window.map.arrow_ends() == []


def test_words_off_the_map_are_placed_with_the_same_pca_transform(qtbot, window):
    window.map.count_box.setValue(50)
    with qtbot.waitSignal(window.projection_done, timeout=30_000):
        window.map.apply_button.click()
    view = window.views["Analogies"]
    ask(view, "noise60", "noise61", "athens")
    full = window.model.vectors
    unit = full.unit
    # The PCA of the 50 map words, applied to every word, is the exact answer for the off-map ones.
    centred = unit[:50] - unit[:50].mean(0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    ref = (unit - unit[:50].mean(0)) @ vt[:2].T
    sign = np.sign((ref[:50] * pca(unit[:50])).sum(0))
    for w in ("noise60", "noise61"):
        np.testing.assert_allclose(window.map.position(w), ref[full.index[w]] * sign, atol=1e-3)
    assert "Placed with the map's own projection" in view.note.text()
    assert len(window.map.arrow_ends()) == 2


def test_custom_axes_place_each_word_by_its_cosine_with_two_directions(window):
    view = window.views["Analogies"]
    for edit, w in zip((view.x_from, view.x_to, view.y_from, view.y_to), ("athens", "greece", "rome", "berlin")):
        edit.setText(w)
    view.axes_button.click()
    v = window.model.vectors
    dx = v.unit[v.index["greece"]] - v.unit[v.index["athens"]]
    dy = v.unit[v.index["berlin"]] - v.unit[v.index["rome"]]
    expected = v.unit[v.index["paris"]] @ np.stack([dx / np.linalg.norm(dx), dy / np.linalg.norm(dy)], 1)
    np.testing.assert_allclose(window.map.position("paris"), expected, atol=1e-5)
    assert window.map_layout == "axes" and "athens → greece" in window.map.caption.text()


def test_batch_mode_reports_section_accuracy_and_draws_a_clicked_failure(qtbot, window, tmp_path):
    questions = tmp_path / "tiny.txt"
    questions.write_text(": capitals\nathens greece paris france\nparis france rome italy\n"
                         "athens greece berlin germany\n: unknown words\nathens greece madrid spain\n")
    view = window.views["Analogies"]
    view.file_edit.setText(str(questions))
    view.run_button.click()
    with qtbot.waitSignal(window.jobs["analogy-batch"].ended, timeout=30_000):
        pass
    report = evaluate_analogies(window.model.vectors, questions)
    capitals = report.sections[0]
    assert capitals.answered == 3 and capitals.correct == 2   # berlin : germany is off the offset
    rows = view.section_rows()
    assert rows["capitals"] == (f"{capitals.accuracy:.1%}", "2 / 3", "0")
    assert rows["unknown words"] == ("–", "0 / 0", "1")

    top = view.report.topLevelItem(0)
    assert top.childCount() == 1
    failure = top.child(0)
    a, b, c, expected, got = failure.data(0, FAILURE)
    assert (a, b, c, expected) == ("athens", "greece", "berlin", "germany")
    view.report.expandItem(top)
    rect = view.report.visualItemRect(failure)
    qtbot.mouseClick(view.report.viewport(), Qt.LeftButton, pos=rect.center())
    ends = window.map.arrow_ends()
    assert len(ends) == 2
    np.testing.assert_allclose(ends[1][0], window.map.position("berlin"), atol=1e-5)
    np.testing.assert_allclose(ends[1][1], window.map.position(got), atol=1e-5)
    assert window.map._overlay.get("germany") is not None      # where the answer should have been


def test_batch_mode_can_be_cancelled(qtbot, window):
    view = window.views["Analogies"]
    view.run_button.click()                                    # the bundled questions-words.txt
    job = window.jobs["analogy-batch"]
    assert view.cancel_button.isVisible()
    with qtbot.waitSignal(job.ended, timeout=30_000):
        view.cancel_button.click()
    assert job.outcome in ("cancelled", "done")
    assert view.run_button.isVisible() and not view.cancel_button.isVisible()
