import numpy as np
import pytest

from explorer import workers
from explorer.main_window import MainWindow

GROUP_A = [f"animal{i}" for i in range(12)]
GROUP_B = [f"number{i}" for i in range(12)]


def planted_corpus(path, lines=3000, seed=0):
    """Sentences drawn from one of two word groups: words co-occur only within their group."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for _ in range(lines):
            group = GROUP_A if rng.random() < 0.5 else GROUP_B
            f.write(" ".join(rng.choice(group, size=12)) + "\n")
    return path


@pytest.fixture
def corpus_file(tmp_path):
    return planted_corpus(tmp_path / "planted.txt")


@pytest.fixture
def window(qtbot, corpus_file):
    w = MainWindow(corpus_path=corpus_file, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.corpus is not None, timeout=10_000)
    yield w
    workers.shutdown(3000)


def set_params(window, **values):
    for name, value in values.items():
        window.panel.form.set_value(name, value)
