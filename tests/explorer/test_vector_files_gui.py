"""Opening and exporting vector files through the window, and colouring a 100,000-point map."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from explorer.vector_files import EXPORT_FORMATS, OPEN_FILTER, OpenedVectors, format_for_filter, projector_name
from models.vectors.formats import FORMATS, read_vectors, write_vectors
from models.vectors.store import WordVectors
from tests.explorer.test_map import known_embedding


def random_vectors(n, dim=8, seed=0, metadata=None):
    rng = np.random.default_rng(seed)
    return WordVectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32), metadata)


@pytest.fixture
def window(empty_window):
    return empty_window


def open_and_wait(qtbot, window, path):
    with qtbot.waitSignal(window.projection_done, timeout=30_000):
        window.open_vectors(str(path))


def test_opening_a_good_file_makes_it_the_current_model(qtbot, window, tmp_path):
    path = tmp_path / "small.vec"
    write_vectors(known_embedding().vectors, path, "fasttext")
    with qtbot.waitSignal(window.model_ready, timeout=30_000) as ready:
        window.open_vectors(str(path))
    assert isinstance(ready.args[0], OpenedVectors) and window.model is ready.args[0]
    assert window.model.vectors.words == known_embedding().vectors.words
    qtbot.waitUntil(lambda: len(window.map.words) == len(window.model.vectors), timeout=30_000)
    assert "first 207 words of small.vec" in window.map.caption.text()
    window.select_word("illinois")
    assert window.neighbours.neighbour_words()[0] == "chicago"


def test_a_bad_file_names_its_line_and_keeps_the_previous_model(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, _write(tmp_path / "good.txt", known_embedding().vectors))
    before = window.model
    bad = tmp_path / "bad.txt"
    bad.write_text("3 4\na 1 2 3 4\nb 1 2 x 4\nc 1 2 3 4\n")
    with qtbot.waitSignal(window.open_vectors(str(bad)).ended, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: window._dialog is not None and window._dialog.isVisible(), timeout=5000)
    text = window._dialog.text()
    assert "bad.txt" in text and "line 3" in text
    assert window._dialog.icon() == QMessageBox.Warning
    assert window.model is before and "b" not in window.model.vectors
    window._dialog.close()


def _write(path, vectors, fmt="auto"):
    write_vectors(vectors, path, fmt)
    return path


def test_the_file_dialogs_offer_every_format_from_its_record():
    vector_files = OPEN_FILTER.split(";;")[0]
    for f in FORMATS:
        assert format_for_filter(f.dialog_filter) == f.name       # the save dialog's entry names it
        assert all(f"*{e}" in vector_files for e in f.extensions)  # the open dialog shows its files


@pytest.mark.parametrize("fmt", [fmt for _, fmt, _ in EXPORT_FORMATS])
def test_export_writes_every_format_in_the_worker(qtbot, window, tmp_path, fmt):
    window.set_model(known_embedding())
    qtbot.waitUntil(lambda: "projection" not in window.jobs, timeout=30_000)
    suffix = {"word2vec-binary": ".bin", "fasttext": ".vec", "tsv": ".tsv", "npy": ".npy"}.get(fmt, ".txt")
    target = tmp_path / f"out{suffix}"
    with qtbot.waitSignal(window.export_vectors(str(target), fmt).done, timeout=30_000):
        pass
    back = read_vectors(projector_name(target, fmt), fmt)
    assert back.words == window.model.vectors.words
    np.testing.assert_allclose(back.matrix, window.model.vectors.matrix, rtol=1e-6)


def test_dropping_a_file_on_the_window_opens_it(qtbot, window, tmp_path):
    path = _write(tmp_path / "dropped.txt", known_embedding().vectors)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.model_ready, timeout=30_000):
        window.dropEvent(event)
    assert window.model.path == path
    qtbot.waitUntil(lambda: "projection" not in window.jobs, timeout=30_000)


def _assert_one_brush_per_layer(map_view, n):
    layers = map_view.colour_layers()
    assert len(layers) > 1 and not map_view.points.isVisible()
    assert sum(len(item.data) for item in layers) == n
    for item in layers:
        # A per-point brush would fill the data's "brush" field; one brush lives in opts.
        assert all(b is None for b in item.data["brush"][:1000])
    assert len({item.opts["brush"].color().name() for item in layers}) == len(layers)


def test_colouring_100k_points_by_cluster_and_frequency_uses_one_brush_per_group(qtbot, window):
    n = 100_000
    window.set_model(OpenedVectors(random_vectors(n), Path("big.txt"), "word2vec"))
    qtbot.waitUntil(lambda: "projection" not in window.jobs, timeout=30_000)
    window.map.count_box.setValue(n)
    with qtbot.waitSignal(window.projection_done, timeout=60_000):
        window.map.apply_button.click()
    assert len(window.map.words) == n

    window.map.colour_box.setCurrentText("Frequency")
    window.map.colour_box.activated.emit(window.map.colour_box.currentIndex())
    _assert_one_brush_per_layer(window.map, n)
    assert window.map._colour_bar is not None

    window.map.colour_box.setCurrentText("k-means clusters")
    window.map.colour_box.activated.emit(window.map.colour_box.currentIndex())
    qtbot.waitUntil(lambda: window.map._legend is not None, timeout=60_000)
    _assert_one_brush_per_layer(window.map, n)
    assert window.map._colour_bar is None

    window.map.colour_box.setCurrentText("One colour")
    window.map.colour_box.activated.emit(window.map.colour_box.currentIndex())
    assert window.map.points.isVisible() and not window.map.colour_layers()
    QApplication.processEvents()


def test_colour_by_a_metadata_column_gives_a_legend_of_its_classes(qtbot, window):
    classes = ["animal", "number", "colour"]
    vectors = random_vectors(300, metadata={"class": [classes[i % 3] for i in range(300)]})
    window.set_model(OpenedVectors(vectors, Path("meta.tsv"), "tsv"))
    qtbot.waitUntil(lambda: "projection" not in window.jobs and len(window.map.words) == 300, timeout=30_000)
    window.map.colour_box.setCurrentText("Metadata: class")
    window.map.colour_box.activated.emit(window.map.colour_box.currentIndex())
    names = sorted(item.name() for item in window.map.colour_layers())
    assert names == sorted(classes)
    _assert_one_brush_per_layer(window.map, 300)
