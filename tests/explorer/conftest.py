import pytest

from explorer import workers
from explorer.main_window import MainWindow
from explorer.tuning import tune_window

from tests.models.planted import GROUP_A, GROUP_B, planted_corpus  # noqa: F401 (shared by the GUI tests)

# The windows here are made directly, not through explorer.app: give them the start-up's settings.
tune_window()


@pytest.fixture(autouse=True)
def no_bundled_separation_model(monkeypatch, tmp_path_factory):
    """Showing the Separation tab opens the bundled model (21 MB) and separates an example in the
    background, a job that would race with what a test does there: tests get an empty place
    instead, and the tests of that opening point it at a model of their own."""
    from models.audio import deep_clustering

    monkeypatch.setattr(deep_clustering, "PRETRAINED", tmp_path_factory.getbasetemp() / "no-bundled-model")


@pytest.fixture
def corpus_file(tmp_path):
    return planted_corpus(tmp_path / "planted.txt", lines=3000)


@pytest.fixture
def window(qtbot, corpus_file):
    w = MainWindow(corpus_path=corpus_file, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.corpus is not None, timeout=10_000)
    yield w
    workers.shutdown(3000)


@pytest.fixture
def empty_window(qtbot):
    """A window with no corpus and no model."""
    w = MainWindow(corpus_path=None, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    workers.shutdown(3000)


def set_params(window, **values):
    for name, value in values.items():
        window.panel.form.set_value(name, value)


def window_showing(qtbot, model, tab: str) -> MainWindow:
    """A window without a corpus, ``model`` current with its map drawn, on ``tab``."""
    w = MainWindow(corpus_path=None, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.projection_done, timeout=30_000):
        w.set_model(model)
    w.tabs.setCurrentWidget(w.views[tab])
    return w
