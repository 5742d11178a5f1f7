"""The window trains through the worker bridge; tests wait on signals, never on sleeps."""
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QMessageBox

from explorer import workers
from explorer.window import live_map
from explorer.window.main_window import MainWindow
from tests.explorer.conftest import GROUP_A, GROUP_B, set_params


def test_training_from_the_window_learns_the_planted_groups(qtbot, window):
    window.panel.select_model("sgns")
    set_params(window, dim=20, epochs=3, min_count=1, sample=0.0)
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        qtbot.mouseClick(window.panel.train_button, Qt.LeftButton)
    model = ready.args[0]
    v = model.vectors
    within = np.mean([v.similarity(GROUP_A[0], w) for w in GROUP_A[1:]])
    across = np.mean([v.similarity(GROUP_A[0], w) for w in GROUP_B])
    assert within > across + 0.2
    assert window.panel.loss_plot.points() > 0
    assert "Trained" in window.panel.status.text()
    # the buttons change when the job has ended, which comes just after the model
    qtbot.waitUntil(lambda: window.panel.train_button.isEnabled() and not window.panel.stop_button.isEnabled(),
                    timeout=10_000)


def test_cbow_trains_from_the_window_too(qtbot, window):
    window.panel.select_model("cbow")
    set_params(window, dim=20, epochs=3, min_count=1, sample=0.0)
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        window.panel.train_button.click()
    v = ready.args[0].vectors
    assert ready.args[0].model == "cbow"
    assert v.similarity(GROUP_B[0], GROUP_B[1]) > v.similarity(GROUP_B[0], GROUP_A[1])


def test_stop_midway_keeps_a_usable_model_within_a_second(qtbot, window):
    set_params(window, dim=20, epochs=200, min_count=1, sample=0.0)
    window.panel.train_button.click()
    with qtbot.waitSignal(window.jobs["train"].progress, timeout=30_000):
        pass
    with qtbot.waitSignal(window.model_ready, timeout=30_000) as ready:
        stop_clicked = time.perf_counter()
        window.panel.stop_button.click()
    assert time.perf_counter() - stop_clicked < 1.0
    model = ready.args[0]
    assert model.stats["stopped_early"] is True and model.stats["epochs_done"] < 200
    assert np.isfinite(model.vectors.matrix).all()
    assert "Stopped early" in window.panel.status.text()
    window.select_word(GROUP_A[0])
    assert len(window.neighbours.neighbour_words()) == 10


def train_then_stop(qtbot, window):
    """Press Train, then Stop once training has made a step; the model kept."""
    window.panel.train_button.click()
    with qtbot.waitSignal(window.jobs["train"].progress, timeout=30_000,
                          check_params_cb=lambda ev: ev.epochs > 0 and ev.step > 0):
        pass
    with qtbot.waitSignal(window.model_ready, timeout=30_000) as stopped:
        window.panel.stop_button.click()
    return stopped.args[0]


def test_continue_goes_on_from_where_stop_left_the_model(qtbot, window):
    window.panel.select_model("cbow")
    set_params(window, dim=20, epochs=40, min_count=1, sample=0.0)
    assert not window.panel.continue_button.isEnabled()        # nothing to continue yet
    first = train_then_stop(qtbot, window)
    assert first.stats["stopped_early"]
    qtbot.waitUntil(window.panel.continue_button.isEnabled, timeout=10_000)     # once the job has ended
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        window.panel.continue_button.click()
    model = ready.args[0]
    assert model.stats["epochs_done"] == 40 and not model.stats["stopped_early"]
    assert model.stats["resumed_at_words"] == first.stats["words_done"] > 0
    assert model.losses[:len(first.losses)] == first.losses
    assert window.panel.loss_plot.points() > len(first.losses)
    # finished: continuing again needs more epochs, and the panel says so
    qtbot.waitUntil(window.panel.continue_button.isEnabled, timeout=10_000)     # once the job has ended
    window.panel.continue_button.click()
    qtbot.waitUntil(lambda: "Raise Epochs" in window.panel.status.text(), timeout=10_000)
    qtbot.waitUntil(window.panel.train_button.isEnabled, timeout=10_000)


@pytest.mark.parametrize("name, params, position", [
    ("fasttext", dict(dim=16, epochs=40, min_count=1, sample=0.0, buckets=2000), "words"),
    ("glove", dict(dim=16, epochs=3000, min_count=1, threads=1), "pairs")])
def test_continue_is_offered_for_fasttext_and_glove_and_finishes_their_run(qtbot, window, name, params, position):
    window.panel.select_model(name)
    set_params(window, **params)
    first = train_then_stop(qtbot, window)
    assert first.model == name and first.stats["stopped_early"]
    qtbot.waitUntil(window.panel.continue_button.isEnabled, timeout=10_000)     # once the job has ended
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        window.panel.continue_button.click()
    model = ready.args[0]
    assert model.model == name and model.stats["epochs_done"] == params["epochs"]
    assert not model.stats["stopped_early"]
    assert model.stats[f"resumed_at_{position}"] == first.stats[f"{position}_done"] > 0
    assert model.losses[:len(first.losses)] == first.losses


def test_continue_goes_on_training_a_stopped_masked_language_model(qtbot, window):
    """A model that is not word vectors (shown by its own view) is continued from the panel too."""
    window.panel.select_model("mlm")
    set_params(window, dim=16, layers=1, heads=2, ff=32, max_len=16, min_count=1, steps=3000, batch=8)
    window.panel.train_button.click()
    with qtbot.waitSignal(window.jobs["train"].progress, timeout=30_000,
                          check_params_cb=lambda ev: ev.unit == "steps" and ev.step > 0):
        pass
    with qtbot.waitSignal(window.trained, timeout=30_000) as stopped:
        window.panel.stop_button.click()
    first = stopped.args[0]
    assert first.model == "mlm" and first.stats["stopped_early"]
    qtbot.waitUntil(window.panel.continue_button.isEnabled, timeout=10_000)     # once the job has ended
    set_params(window, steps=first.stats["steps_done"] + 20)
    with qtbot.waitSignal(window.trained, timeout=60_000) as ready:
        window.panel.continue_button.click()
    model = ready.args[0]
    assert model.stats["resumed_at_step"] == first.stats["steps_done"] > 0
    assert model.stats["steps_done"] == first.stats["steps_done"] + 20 and not model.stats["stopped_early"]
    assert model.losses[:len(first.losses)] == first.losses and len(model.losses) > len(first.losses)
    assert window.views["Contextual"].trained_model is model
    qtbot.waitUntil(window.panel.continue_button.isEnabled, timeout=10_000)
    window.panel.continue_button.click()
    qtbot.waitUntil(lambda: "Raise Steps" in window.panel.status.text(), timeout=10_000)
    qtbot.waitUntil(window.panel.train_button.isEnabled, timeout=10_000)


def test_closing_the_window_during_training_leaves_no_thread_running(qtbot, corpus_file):
    w = MainWindow(corpus_path=corpus_file, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.corpus is not None, timeout=10_000)
    set_params(w, dim=20, epochs=500, min_count=1)
    w.panel.train_button.click()
    with qtbot.waitSignal(w.jobs["train"].progress, timeout=30_000):
        pass
    job = w.jobs["train"]
    started = time.perf_counter()
    w.close()
    qtbot.waitUntil(lambda: not workers.active_jobs(), timeout=2000)
    assert time.perf_counter() - started < 2.0
    assert job.outcome == "cancelled"


def test_the_event_loop_keeps_running_while_training(qtbot, window):
    """A 10 ms timer probe: the longest gap between ticks while the trainer runs in the pool."""
    set_params(window, dim=50, epochs=300, min_count=1)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.panel.train_button.click()
    timer.stop()
    assert len(gaps) > 20
    assert max(gaps) < 0.25, f"event loop stalled for {max(gaps) * 1000:.0f} ms"


def test_an_unusable_corpus_is_explained_and_training_stays_off(qtbot, window, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    window.open_corpus(str(empty))
    with qtbot.waitSignal(window.jobs["corpus"].failed, timeout=10_000):
        pass
    dialog = window.findChild(QMessageBox, "error_dialog")
    assert dialog is not None and dialog.isVisible() and "is empty" in dialog.text()
    assert "is empty" in window.panel.corpus_info.text()
    assert not window.panel.train_button.isEnabled()
    dialog.close()


def test_too_few_words_for_the_min_count_is_reported_in_the_panel(qtbot, window):
    set_params(window, min_count=100_000)
    window.panel.train_button.click()
    with qtbot.waitSignal(window.jobs["train"].failed, timeout=10_000):
        pass
    assert "lower the minimum count" in window.panel.status.text()
    dialog = window.findChild(QMessageBox, "error_dialog")
    assert dialog.isVisible()
    dialog.close()
    qtbot.waitUntil(lambda: window.panel.train_button.isEnabled(), timeout=5000)


def test_a_bug_inside_the_trainer_shows_the_details_within_a_second_and_the_app_stays_usable(
        qtbot, window, monkeypatch):
    """A bug is planted in the kernel (a ZeroDivisionError on its first call): the real code has
    none to trigger on purpose."""
    from models.text import word2vec

    real_run, raised = word2vec._CpuKernel.run, []

    def broken(self, *args):
        raised.append(time.perf_counter())
        raise ZeroDivisionError("planted bug")
    monkeypatch.setattr(word2vec._CpuKernel, "run", broken)
    set_params(window, dim=20, epochs=2, min_count=1)
    window.panel.train_button.click()
    qtbot.waitUntil(lambda: (d := window.findChild(QMessageBox, "error_dialog")) is not None and d.isVisible(),
                    timeout=10_000)
    shown = time.perf_counter()
    dialog = window.findChild(QMessageBox, "error_dialog")
    assert shown - raised[0] < 1.0
    assert dialog.icon() == QMessageBox.Critical and "planted bug" in dialog.text()
    assert "Traceback" in dialog.detailedText() and "broken" in dialog.detailedText()
    dialog.close()
    qtbot.waitUntil(lambda: window.panel.train_button.isEnabled(), timeout=5000)
    monkeypatch.setattr(word2vec._CpuKernel, "run", real_run)
    with qtbot.waitSignal(window.model_ready, timeout=60_000) as ready:
        window.panel.train_button.click()
    assert ready.args[0].stats["epochs_done"] == 2


def test_the_masked_language_models_speed_counts_steps_not_sentences(qtbot, window):
    """The speed shown is in the unit of the progress bar: 32 sentences a step must not read as 32 steps."""
    window.panel.select_model("mlm")
    set_params(window, dim=16, layers=1, heads=2, ff=32, max_len=16, min_count=1, steps=120, batch=32)
    seen = []
    window.train_progress.connect(lambda ev: seen.append((time.perf_counter(), ev)) if ev.items_per_second else None)
    with qtbot.waitSignal(window.trained, timeout=60_000):
        window.panel.train_button.click()
    (t0, first), (t1, last) = seen[len(seen) // 4], seen[-1]
    steps_per_second = (last.step - first.step) / (t1 - t0)
    assert last.unit == "steps" and 0.2 < last.items_per_second / steps_per_second < 5


def test_the_next_runs_live_map_drops_the_last_models_cluster_colours_and_legend(qtbot, window):
    window.panel.select_model("sgns")
    set_params(window, dim=16, epochs=1, min_count=1, sample=0.0)
    with qtbot.waitSignal(window.projection_done, timeout=60_000):
        window.panel.train_button.click()
    window.map.colour_box.setCurrentText("k-means clusters")
    window.map.colour_box.activated.emit(window.map.colour_box.currentIndex())
    qtbot.waitUntil(lambda: len(window.map.colour_layers()) > 1, timeout=30_000)
    qtbot.waitUntil(window.panel.train_button.isEnabled, timeout=10_000)
    set_params(window, epochs=3)
    window.panel.train_button.click()
    with qtbot.waitSignal(window.train_progress, timeout=30_000,
                          check_params_cb=lambda ev: isinstance(ev, live_map.MapProgress)):
        pass
    legends = [i for i in window.map.plot.scene().items() if isinstance(i, pg.LegendItem)]
    assert window.map.colour_layers() == [] and legends == []
    assert window.map.colour_box.currentText() == "One colour"
    with qtbot.waitSignal(window.projection_done, timeout=60_000):
        pass
