"""The similarity heatmap: cosines in clustered order, the one-hot twin, clicks and exports."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from explorer.views.heatmap import read_csv_matrix
from models.vectors.similarity import cluster_order, cosine_matrix
from tests.explorer.conftest import window_showing
from tests.explorer.views.test_map import known_embedding


@pytest.fixture
def window(qtbot):
    return window_showing(qtbot, known_embedding(), "Heatmap")


def test_default_words_show_their_cosines_and_name_the_missing_one(window):
    view = window.views["Heatmap"]
    assert "Not in the vocabulary: bloomington" in view.note.text()
    assert sorted(view.words) == sorted(["illinois", "chicago", "champaign", "indiana", "indianapolis"])
    np.testing.assert_allclose(view.matrix, cosine_matrix(window.model.vectors, view.words), atol=1e-6)
    shown = view.cosine.image.image
    np.testing.assert_allclose(shown, view.matrix)
    texts = [t.textItem.toPlainText() for t in view.cosine.texts[:len(view.words) ** 2]]
    assert texts == [f"{v:.2f}" for v in view.matrix.ravel()]
    assert view.cosine.image.levels is not None and list(view.cosine.image.levels) == [-1.0, 1.0]


def test_order_follows_the_clustering_so_near_words_are_adjacent(window):
    view = window.views["Heatmap"]
    view.words_edit.setText("monday illinois filler3 chicago tuesday")
    view.show_words()
    typed = ["monday", "illinois", "filler3", "chicago", "tuesday"]
    order = cluster_order(cosine_matrix(window.model.vectors, typed))
    assert view.words == [typed[i] for i in order]
    i, j = view.words.index("illinois"), view.words.index("chicago")
    assert abs(i - j) == 1          # the planted near pair sits side by side


def test_one_hot_twin_is_the_identity_and_appears_on_demand(window):
    view = window.views["Heatmap"]
    assert not view.one_hot_widget.isVisible()
    view.one_hot_box.setChecked(True)
    assert view.one_hot_widget.isVisible()
    np.testing.assert_array_equal(view.one_hot.image.image, np.eye(len(view.words)))


def test_clicking_a_cell_marks_both_words_on_the_map(qtbot, window):
    view = window.views["Heatmap"]
    assert window.map.parent() is view.map_holder
    row, col = 0, 2
    vb = view.cosine.plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    pos = view.cosine_widget.mapFromScene(scene)
    with qtbot.waitSignal(view.pair_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(view.cosine_widget.viewport(), Qt.LeftButton, pos=pos)
    a, b = view.words[row], view.words[col]
    assert clicked.args == [a, b]
    assert {a, b} <= set(window.map._marked) and {a, b} <= set(window.map.visible_labels())
    assert f"cos({a}, {b}) = {view.matrix[row, col]:.3f}" in view.cell_note.text()


def test_csv_export_round_trips(window, tmp_path):
    view = window.views["Heatmap"]
    path = tmp_path / "sim.csv"
    view.export_csv(path)
    words, matrix = read_csv_matrix(path)
    assert words == view.words
    np.testing.assert_array_equal(matrix, view.matrix)


def test_png_export_writes_an_image(window, tmp_path):
    from PySide6.QtGui import QImage

    view = window.views["Heatmap"]
    path = tmp_path / "heatmap.png"
    view.export_png(path)
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 100


def test_a_hidden_heatmap_draws_a_new_model_only_when_its_tab_is_shown(qtbot, empty_window):
    # A tab nobody looks at costs the window's thread nothing as a model arrives.
    w = empty_window
    view = w.views["Heatmap"]
    with qtbot.waitSignal(w.projection_done, timeout=30_000):
        w.set_model(known_embedding())
    assert not view.isVisible() and view.words == []
    w.tabs.setCurrentWidget(view)
    assert sorted(view.words) == sorted(["illinois", "chicago", "champaign", "indiana", "indianapolis"])


def test_with_long_words_and_one_hot_beside_it_both_matrices_fit_whole_in_a_1400_pixel_window(qtbot, window):
    view = window.views["Heatmap"]
    window.resize(1400, 860)
    view.words_edit.setText("illinois chicago champaign indiana indianapolis monday")
    view.show_words()
    view.one_hot_box.setChecked(True)
    qtbot.waitUntil(lambda: view.one_hot_widget.width() > 0)
    assert window.minimumSizeHint().width() <= 1400 and window.width() <= 1400
    for matrix, widget in ((view.cosine, view.cosine_widget), (view.one_hot, view.one_hot_widget)):
        # The plot inside each widget is no wider than the widget: nothing of it is cut off...
        qtbot.waitUntil(lambda: matrix.plot.geometry().width() <= widget.viewport().width())
        # ...and its view holds every column and row.
        (x0, x1), (y0, y1) = matrix.plot.getViewBox().viewRange()
        assert x0 <= 0 and x1 >= len(view.words) and y0 <= 0 and y1 >= len(view.words)
        title = matrix.plot.titleLabel
        assert title.item.boundingRect().width() <= title.geometry().width()    # the title whole


def test_columns_of_long_words_are_named_cut_to_their_width(qtbot, window):
    view = window.views["Heatmap"]
    view.words_edit.setText("illinois chicago champaign indiana indianapolis monday")
    view.show_words()
    view.one_hot_box.setChecked(True)
    qtbot.waitUntil(lambda: view.one_hot_widget.width() > 0)
    names = view.cosine.column_names
    assert len(names) == len(view.words)
    for word, name in zip(view.words, names):
        assert name == word or (name.endswith("…") and word.startswith(name[:-1]) and len(name) >= 3)
