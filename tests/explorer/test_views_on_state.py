"""Every view is built on the application's state alone, with no window, and follows it."""
from pathlib import Path

import numpy as np

from explorer import workers
from explorer.app_state import AppState
from explorer.main_window import build_view, extra_views
from explorer.vector_files import OpenedVectors
from explorer.views.projection_map import MapView
from models.vectors.store import WordVectors

WORDS = [f"w{i}" for i in range(60)]


def vectors(seed: int) -> OpenedVectors:
    matrix = np.random.default_rng(seed).normal(size=(len(WORDS), 8)).astype(np.float32)
    return OpenedVectors(WordVectors(WORDS, matrix), Path(f"v{seed}.txt"), "text")


def test_every_view_is_built_on_the_state_alone_and_asks_it_for_what_another_widget_does(qtbot):
    app, map_view = AppState(workers.launch), MapView()
    qtbot.addWidget(map_view)
    views = {}
    for view_cls in extra_views():
        views[view_cls.title] = build_view(view_cls, app, map_view)
        qtbot.addWidget(views[view_cls.title])
    asked = []
    app.model_chosen.connect(lambda model: asked.append(("current", model)))
    app.group_requested.connect(lambda name, words: asked.append(("group", name, words)))
    first, second = vectors(0), vectors(1)
    app.make_current(first)
    app.make_current(second)
    compare = views["Compare"]
    assert [e.model for e in compare.session] == [first, second] and compare.a_box.count() == 2
    assert views["Analogies"]._completer.model().stringList()[:3] == WORDS[:3]
    compare.make_current(0)
    views["Heatmap"].pair_clicked.emit("w1", "w2")
    assert asked == [("current", first), ("group", "w1 · w2", ["w1", "w2"])]
    workers.shutdown(3000)
