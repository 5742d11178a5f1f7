"""Drive the real app on an X display and capture the screen at each main view.

    xvfb-run -s "-screen 0 1400x860x24" env QT_QPA_PLATFORM=xcb .venv/bin/python tools/screenshots.py
    ... tools/screenshots.py --words           # stop after the word views (training, maps, analogy, heatmap)
    ... tools/screenshots.py --vectors FILE    # only the analogy and heatmap views, on a vector file
    ... tools/screenshots.py --separation      # only the separation view (the bundled model, seconds)
    ... tools/screenshots.py --matching [--static FILE]   # only the matching and contextual views
                                          # (trains small siamese and mlm models, ~5 min; FILE: word
                                          # vectors for the contextual view's static map)
    ... tools/screenshots.py --tour        # four slides of the Module menu (one-hot, X ~ W H,
                                          # negative sampling, GloVe's f(x); ~2 min)

Writes assets/screenshots/*.png with imagemagick's ``import -window root``: what a person sees,
window decorations and all. Training uses the default settings on the bundled corpus.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

OUT = Path(__file__).resolve().parents[1] / "assets" / "screenshots"


def wait_for(signal, timeout_s: float) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def pause(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def shot(name: str) -> None:
    pause(0.5)
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", str(OUT / f"{name}.png")], check=True)
    print("wrote", OUT / f"{name}.png")


def open_window(**kwargs):
    """The application and its window, shown at the virtual screen's size and corner."""
    from explorer.app import create_app
    from explorer.main_window import MainWindow

    app = create_app(sys.argv)      # the window's start-up settings, as a person gets them
    w = MainWindow(**kwargs)
    w.resize(1400, 860)
    w.move(0, 0)
    w.show()
    return app, w


def shoot_analogy(w) -> None:
    """paris : france :: berlin : ? on a PCA map, where words off the map can be placed too."""
    w.map.method_box.setCurrentText("PCA")
    w.map.count_box.setValue(2000)
    w.map.apply_button.click()
    wait_for(w.projection_done, 120)
    view = w.views["Analogies"]
    w.tabs.setCurrentWidget(view)
    for edit, word in zip((view.a_edit, view.b_edit, view.c_edit), ("paris", "france", "berlin")):
        edit.setText(word)
    view.solve()
    view.run_button.click()
    wait_for(w.jobs["analogy-batch"].ended, 300)
    shot("analogy")


def shoot_heatmap(w) -> None:
    view = w.views["Heatmap"]
    w.tabs.setCurrentWidget(view)
    view.words_edit.setText("france germany paris berlin red blue")
    view.show_words()
    view.one_hot_box.setChecked(True)
    pause(0.3)
    if len(view.words) > 2:
        view._cell_clicked(0, 1)
    shot("heatmap")


def shoot_compare(w, second: str = "cooc", word: str = "france") -> None:
    """A second model (PPMI + SVD by default) beside the current one: the two maps in one frame, a
    word's neighbours in both, and the session's models scored in the table."""
    w.panel.select_model(second)
    w.panel.train_button.click()
    wait_for(w.model_ready, 900)
    wait_for(w.projection_done, 120)
    view = w.views["Compare"]
    w.tabs.setCurrentWidget(view)
    view.count_box.setValue(1000)
    view.refresh_maps()
    view.select(word)
    view.score_button.click()
    wait_for(view.scored, 600)
    shot("compare")


def shoot_separation(w) -> None:
    """The tab as it opens (the bundled model, its first example), then its recorded example."""
    from PySide6.QtCore import QRectF

    view = w.views["Separation"]
    w.tabs.setCurrentWidget(view)
    wait_for(view.separated, 300)
    view.mixture_box.setCurrentIndex(2)          # two recorded speakers the model never heard
    view.separate()
    wait_for(view.separated, 300)
    view.spec_box.set_brush(QRectF(1.0, 150, 1.0, 900))
    shot("separation")


def separation_only() -> int:
    app, w = open_window(warm_up=False)
    wait_for(w.corpus_loaded, 60)
    shoot_separation(w)
    w.close()
    app.quit()
    return 0


# small enough to train in a few minutes on two cores, large enough to look like the real thing
MATCHING_TRAINING = {"items": 100, "steps": 300}
CONTEXTUAL_TRAINING = {"dim": 64, "ff": 128, "steps": 800, "batch": 32}


def _train(w, model: str, settings: dict) -> None:
    w.panel.select_model(model)
    for name, value in settings.items():
        w.panel.form.set_value(name, value)
    w.panel.train_button.click()
    wait_for(w.trained, 1800)


def shoot_matching(w) -> None:
    """A held-out noisy query of a Bach chorale, its ten best matches beside the baseline's."""
    view = w.views["Matching"]
    w.tabs.setCurrentWidget(view)
    _train(w, "siamese", MATCHING_TRAINING)
    if view.session is None:
        wait_for(view.ready, 300)
    if view.result is None:
        wait_for(view.matched, 60)
    if view.query_box.count() > 4:
        view.query_box.setCurrentIndex(4)
        view.match_current()
        wait_for(view.matched, 60)
    shot("matching")


def shoot_contextual(w) -> None:
    """The module's two "chicken" sentences: one vector per occurrence, and the static vector beside."""
    view = w.views["Contextual"]
    w.tabs.setCurrentWidget(view)
    _train(w, "mlm", CONTEXTUAL_TRAINING)
    if view.report is None:
        wait_for(view.compared, 60)
    shot("contextual")


def matching_only(static: str | None) -> int:
    app, w = open_window(warm_up=False)
    wait_for(w.corpus_loaded, 60)
    if static:
        w.open_vectors(static)
        wait_for(w.projection_done, 120)
    shoot_matching(w)
    shoot_contextual(w)
    w.close()
    app.quit()
    return 0


def views_only(path: str) -> int:
    app, w = open_window(corpus_path=None, warm_up=False)
    w.open_vectors(path)
    wait_for(w.projection_done, 120)
    shoot_analogy(w)
    shoot_heatmap(w)
    w.close()
    app.quit()
    return 0


def wait_until(done, timeout_s: float) -> None:
    """Let the event loop run until ``done()`` (a view that has no signal for it) or the timeout."""
    for _ in range(int(timeout_s * 10)):
        if done():
            return
        pause(0.1)


# The slides shot for the README, each with what says it is drawn: the most telling of the twelve.
TOUR_SHOTS = (("tour_one_hot", 0, lambda w: w.views["One-hot"].table_shown is not None),
              ("tour_x_wh", 3, lambda w: w.views["X ≈ WH"].factors is not None),
              ("tour_negatives", 6, lambda w: "train" not in w.jobs and w.views["Negatives"].sample is not None),
              ("tour_glove", 7, lambda w: w.views["GloVe f(x)"].histogram is not None))


def tour_only() -> int:
    app, w = open_window(warm_up=False)
    wait_for(w.corpus_loaded, 60)
    for name, slide, shown in TOUR_SHOTS:
        w.tour.show_slide(slide)
        wait_until(lambda: shown(w), 600)
        shot(name)
    w.close()
    app.quit()
    return 0


def main() -> int:
    if "--tour" in sys.argv:
        return tour_only()
    if "--vectors" in sys.argv:
        return views_only(sys.argv[sys.argv.index("--vectors") + 1])
    if "--separation" in sys.argv:
        return separation_only()
    if "--matching" in sys.argv:
        return matching_only(sys.argv[sys.argv.index("--static") + 1] if "--static" in sys.argv else None)
    from models.text.presets import WORD_GROUPS

    app, w = open_window()
    wait_for(w.corpus_loaded, 60)
    w.panel.train_button.click()
    pause(12)
    shot("training")
    wait_for(w.model_ready, 900)
    wait_for(w.projection_done, 60)
    w.select_word("monday")
    shot("map_pca")
    w.map.method_box.setCurrentText("UMAP")
    w.map.apply_button.click()
    wait_for(w.projection_done, 300)
    name = next(n for n in WORD_GROUPS if n.startswith("Countries"))
    w.highlight_group(name, WORD_GROUPS[name])
    w.select_word("france")
    shot("map_umap")
    shoot_analogy(w)
    shoot_heatmap(w)
    if "--words" in sys.argv:      # only the views of the word model trained above
        w.close()
        return 0
    shoot_compare(w)
    shoot_separation(w)
    shoot_matching(w)
    shoot_contextual(w)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
