"""The Separation tab with a tiny deep clustering model and a synthetic two-source mixture."""
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QPointF, QRectF, Qt

from explorer import audio, workers
from explorer.window import live_map
from explorer.window.main_window import MainWindow
from models.audio import explore
from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, DeepClusteringNet
from models.core.events import Progress

RATE = 8000


def tiny_model(seed=0, mask_head=False):
    """An untrained tiny net is enough: the view shows whatever the model makes of the mixture."""
    import torch

    torch.manual_seed(seed)
    cfg = DeepClusteringConfig(hidden=8, layers=1, embedding_dim=4, kmeans_inits=2, device="cpu",
                               test_mixtures=3, mask_head=mask_head)
    net = DeepClusteringNet(cfg.stft().n_freqs, cfg.hidden, cfg.layers, cfg.embedding_dim,
                            mask_head=mask_head).eval()
    return DeepClusteringModel(cfg, net, RATE, {"steps": 5, "seconds": 1.0})


def two_sources(seconds=0.6):
    """A low hum with harmonics and a high chirp: each owns its own bins."""
    t = np.arange(int(seconds * RATE)) / RATE
    low = sum(0.2 / h * np.sin(2 * np.pi * 180 * h * t) for h in (1, 2, 3))
    high = 0.15 * np.sin(2 * np.pi * (1800 + 900 * t) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return np.stack([low, high]).astype(np.float32)


@pytest.fixture
def window(empty_window):
    empty_window.tabs.setCurrentWidget(empty_window.views["Separation"])
    return empty_window


@pytest.fixture
def shown(qtbot, window):
    """The view after separating the synthetic mixture with a model there."""
    view = window.views["Separation"]
    view.set_model(tiny_model())
    sources = two_sources()
    view.add_mixture("hum and chirp", sources.sum(0), sources)
    with qtbot.waitSignal(view.separated, timeout=30_000):
        view.separate_button.click()
    return view


def test_a_dc_model_is_taken_up_with_the_demo_test_mixtures_to_choose(window):
    view = window.views["Separation"]
    assert not view.separate_button.isEnabled()
    view.set_model(tiny_model())
    assert view.separate_button.isEnabled() and "BLSTM 1×8" in view.model_label.text()
    choices = [view.mixture_box.itemData(i) for i in range(view.mixture_box.count())]
    examples = explore.bundled_examples()
    assert len(examples) == 3 and choices[:3] == examples        # the bundled examples come first
    demos = choices[3:]
    assert [c.index for c in demos] == [0, 1, 2] and all(isinstance(c, explore.DemoChoice) for c in demos)


def test_a_model_with_a_mask_head_says_so_and_colours_bins_by_its_owner_not_by_k_means(qtbot, window):
    view = window.views["Separation"]
    view.set_model(tiny_model(mask_head=True))
    assert "mask head (Chimera++)" in view.model_label.text()
    assert view.colour_box.itemText(1) == "mask-head owner"
    view.set_model(tiny_model())
    assert "mask head" not in view.model_label.text() and view.colour_box.itemText(1) == "k-means cluster"


def test_a_model_just_trained_separates_the_first_test_mixture_without_a_press_of_separate(qtbot, window):
    view = window.views["Separation"]
    window.app.train_progress.emit(live_frame(np.random.default_rng(0), 1.0))
    with qtbot.waitSignal(view.separated, timeout=30_000) as shown:
        window.app.trained.emit(tiny_model())
    assert shown.args[0].name == "demo test mixture 1" and view.mixture.image.image is not None
    assert not view.live and "live" not in view.caption.text()
    qtbot.waitUntil(view.separate_button.isEnabled, timeout=10_000)


def test_a_saved_dc_model_folder_opens_in_the_background(qtbot, window, tmp_path):
    view = window.views["Separation"]
    tiny_model().save(tmp_path / "dc")
    with qtbot.waitSignal(view.open_model(str(tmp_path / "dc")).done, timeout=10_000):
        pass
    assert isinstance(view.model, DeepClusteringModel) and view.separate_button.isEnabled()


def test_an_unreadable_recording_is_named_and_nothing_else_changes(qtbot, window, tmp_path):
    view = window.views["Separation"]
    view.set_model(tiny_model())
    (tmp_path / "notes.wav").write_text("not audio")
    view.add_file(tmp_path / "notes.wav")
    with qtbot.waitSignal(view.separate().ended, timeout=10_000):
        pass
    assert "notes.wav is not a readable audio file" in view.status.text() and view.report is None
    assert view.separate_button.isEnabled()


def test_separating_shows_spectrogram_mask_scatter_sources_and_scores(shown):
    r = shown.report
    freqs, frames = r.shape
    image = shown.mixture.image
    assert image.image.dtype == np.float32 and image.image.flags.c_contiguous
    assert image.image.shape == (freqs, frames) and tuple(image.levels) == pytest.approx(r.levels)
    tint = shown.mixture.mask.image
    assert tint.shape == (freqs, frames, 4) and (tint[..., 3] > 0).sum() == r.separation.active.sum()
    shown.mask_box.setChecked(False)
    assert shown.mixture.mask.image is None
    # every point is drawn once, in the colour of its louder voice (references are known)
    assert shown.colour_box.currentData() == "truth"
    drawn = [c.data["x"].size for c in shown.clouds]
    assert sum(drawn) == len(r.points) and drawn == [int(np.sum(r.truth == k)) for k in (0, 1)]
    # the estimates add up to the mixture (binary masks) and each is drawn over its reference
    np.testing.assert_allclose(r.sources.sum(0), r.separation.mixture, atol=1e-4)
    for k in range(2):
        np.testing.assert_array_equal(shown.waves[k].estimate.yData, r.sources[k])
        assert shown.source_specs[k].image.image.shape == (freqs, frames)
    table = shown.metrics
    assert table.rowCount() >= 4
    first = [float(table.item(0, c).text()) for c in range(4)]
    assert first == pytest.approx([r.scores[k] for k in ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement")],
                                  abs=0.051)
    rows = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())]
    assert any("ideal binary" in s for s in rows) and any("ideal ratio" in s for s in rows)
    ibm = rows.index(next(s for s in rows if "ideal binary" in s))
    assert float(table.item(ibm, 0).text()) == pytest.approx(r.scores["ibm"]["si_sdr"], abs=0.051)


def test_brushing_the_spectrogram_marks_those_bins_in_the_scatter(shown):
    r = shown.report
    t, f = r.bin_centres()
    rect = QRectF(0.1, 1000.0, 0.3, 2000.0)        # 0.1-0.4 s, 1-3 kHz: where the chirp lives
    shown.spec_box.set_brush(rect)
    inside = (t >= 0.1) & (t <= 0.4) & (f >= 1000) & (f <= 3000)
    assert inside.any() and np.array_equal(shown.selection, inside)
    np.testing.assert_allclose(shown.marked.getData()[0], shown.coords[inside, 0])
    assert np.array_equal(shown.highlighted_bins(), r.bins_mask(inside))
    assert "bins brushed" in shown.selection_note.text()
    for overlay in (shown.mixture.highlight, shown.mixture.mask):     # drawn over the bins they mark
        placed = overlay.mapRectToParent(overlay.boundingRect())
        assert placed == shown.mixture.image.mapRectToParent(shown.mixture.image.boundingRect())
    shown.spec_box.clear_brush()
    assert not shown.selection.any() and shown.marked.data.size == 0


def test_brushing_the_scatter_marks_those_bins_on_the_spectrogram(shown):
    x, y = shown.coords[:, 0], shown.coords[:, 1]
    x0, x1 = np.quantile(x, [0.0, 0.5])
    y0, y1 = np.quantile(y, [0.0, 0.7])
    # a left drag on the scatter, as pyqtgraph delivers it (press point and current point)
    box = shown.scatter_box
    drag = SimpleNamespace(button=lambda: Qt.LeftButton, modifiers=lambda: Qt.NoModifier, accept=lambda: None,
                           buttonDownPos=lambda: box.mapFromView(QPointF(x0, y0)),
                           pos=lambda: box.mapFromView(QPointF(x1, y1)))
    shown.spec_box.set_brush(QRectF(0, 0, 0.1, 500))
    box.mouseDragEvent(drag)
    rect = box.brush()
    inside = (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
    assert rect.left() == pytest.approx(x0, rel=1e-3, abs=1e-3) and inside.sum() > 10
    assert np.array_equal(shown.selection, inside)
    bins = shown.highlighted_bins()
    assert np.array_equal(bins, shown.report.bins_mask(inside)) and bins.sum() == inside.sum()
    assert shown.spec_box.brush() is None           # the other brush gives way


def test_export_writes_one_wav_per_source_that_soundfile_reads_back(qtbot, shown, tmp_path):
    with qtbot.waitSignal(shown.exported, timeout=10_000) as done:
        shown.export(tmp_path)
    paths = done.args[0]
    assert [p.name for p in paths] == ["hum_and_chirp_source1.wav", "hum_and_chirp_source2.wav"]
    for k, p in enumerate(paths):
        back, rate = soundfile.read(p, dtype="float32")
        assert rate == RATE
        np.testing.assert_allclose(back, shown.report.sources[k], atol=1e-6)


def test_play_buttons_play_each_clip_with_a_playhead_that_goes_away_at_the_end(qtbot, shown):
    if audio.availability():
        pytest.skip(audio.availability())
    heads = []
    shown.player.position_changed.connect(lambda tag, s: heads.append((tag, shown.waves[0].playhead.isVisible())))
    with qtbot.waitSignal(shown.player.finished, timeout=10_000) as finished:
        shown.play_buttons[("estimate", 0)].click()
    assert finished.args == [("estimate", 0)] and heads and all(visible for _, visible in heads)
    assert not shown.waves[0].playhead.isVisible() and not shown.mixture.playhead.isVisible()
    with qtbot.waitSignal(shown.player.finished, timeout=10_000):
        shown.play_buttons[("reference", 1)].click()
    assert audio.open_streams() == 0


def test_without_portaudio_playing_says_why_and_export_still_writes(qtbot, shown, monkeypatch, tmp_path):
    """Missing PortAudio cannot be arranged inside the test run; the import fails as it would."""
    def no_library():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(audio, "_import_sounddevice", no_library)
    shown.play_buttons[("mixture", 0)].click()
    assert shown.status.text().startswith("No audio output:") and not shown.player.playing
    with qtbot.waitSignal(shown.exported, timeout=10_000) as done:
        shown.export(tmp_path)
    assert all(soundfile.info(p).samplerate == RATE for p in done.args[0])


def test_a_stereo_wav_at_another_rate_is_read_as_mono_at_the_model_rate(qtbot, window, tmp_path):
    view = window.views["Separation"]
    view.set_model(tiny_model())
    sources = two_sources(0.5)
    stereo = np.repeat(sources.sum(0), 2)                # 16 kHz by sample doubling
    path = tmp_path / "two voices.wav"
    soundfile.write(path, np.stack([stereo, stereo], 1), 2 * RATE)
    view.add_file(path)
    with qtbot.waitSignal(view.separated, timeout=30_000):
        view.separate()
    r = view.report
    assert r.name == "two voices.wav" and len(r.separation.mixture) == sources.shape[1]
    assert r.truth is None and view.colour_box.currentData() == "cluster" and view.metrics.rowCount() == 0
    assert not view.play_buttons[("reference", 0)].isEnabled()
    drawn = [c.data["x"].size for c in view.clouds]
    assert drawn == [int(np.sum(r.cluster == k)) for k in (0, 1)]
    assert r.note == "two voices.wav has 2 channels; they were mixed down to one" == view.status.text()


def test_a_mixture_beyond_full_scale_is_separated_clipped_and_the_status_says_how_many(qtbot, window, tmp_path):
    view = window.views["Separation"]
    view.set_model(tiny_model())
    loud = two_sources(0.5).sum(0) * 3.0
    over = int(np.count_nonzero(np.abs(loud) > 1))
    soundfile.write(tmp_path / "loud.wav", loud, RATE, subtype="FLOAT")
    view.add_file(tmp_path / "loud.wav")
    with qtbot.waitSignal(view.separated, timeout=30_000):
        view.separate()
    assert over > 0 and view.report.note == f"{over:,} samples of loud.wav were outside [-1, 1] and were clipped"
    assert view.status.text() == view.report.note
    assert np.abs(view.report.separation.mixture).max() <= 1.0


def test_umap_of_the_bin_embeddings_runs_in_the_background_on_demand(qtbot, shown):
    before = shown.coords.copy()
    with qtbot.waitSignal(shown.laid_out, timeout=120_000) as laid:
        shown.layout_box.setCurrentText("UMAP")
        assert shown.progress.isVisible()
    assert laid.args == ["UMAP"] and "UMAP" in shown.caption.text()
    assert shown.coords.shape == before.shape and not np.allclose(shown.coords, before)
    shown.layout_box.setCurrentText("PCA")
    np.testing.assert_array_equal(shown.coords, shown.report.pca)


def live_frame(rng, spread, step=10):
    """A deep clustering progress event as the window passes it on: 30 bins of speaker 1, 20 of
    speaker 2, placed by explorer.window.live_map."""
    snap = (spread * np.vstack([rng.normal(1, 0.5, (30, 4)), rng.normal(-1, 0.5, (20, 4))])).astype(np.float32)
    labels = ("speaker 1",) * 30 + ("speaker 2",) * 20
    frames = live_map.with_map_coords(ev for ev in [Progress(step, 100, unit="batches", snapshot=snap, labels=labels)])
    return next(frames)


def test_live_training_events_draw_the_bins_of_both_speakers(window):
    view = window.views["Separation"]
    rng = np.random.default_rng(0)
    window.app.train_progress.emit(live_frame(rng, 1.0))
    assert [c.data["x"].size for c in view.clouds] == [30, 20] and "live" in view.caption.text()
    snap = rng.normal(size=(50, 4)).astype(np.float32)
    window.app.train_progress.emit(Progress(11, 100, unit="words", snapshot=snap, labels=tuple("ab" * 25)))
    assert "batch 10" in view.caption.text()          # a text model's snapshot is not for this view


def test_the_tab_opens_with_the_bundled_model_and_its_first_example_separated(qtbot, tmp_path, monkeypatch):
    """The bundled model is stood in for by a tiny saved one: what is pinned is that showing the
    tab loads it in the background and separates the first bundled example, scored."""
    from models.audio import deep_clustering

    tiny_model().save(tmp_path / "bundled")
    monkeypatch.setattr(deep_clustering, "PRETRAINED", tmp_path / "bundled")
    w = MainWindow(corpus_path=None, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    view = w.views["Separation"]
    assert view.model is None
    with qtbot.waitSignal(view.separated, timeout=30_000) as shown:
        w.tabs.setCurrentWidget(view)
    report = shown.args[0]
    assert view.model is not None and "BLSTM 1×8" in view.model_label.text()
    assert report.name == explore.bundled_examples()[0].name and report.scores is not None
    assert view.play_buttons[("reference", 0)].text() == "Voice 1 alone"
    assert view.play_buttons[("estimate", 0)].text() == "Separated 1"
    workers.shutdown(3000)


def test_without_a_bundled_model_the_tab_says_so_and_how_to_get_one(qtbot, tmp_path, monkeypatch):
    from models.audio import deep_clustering

    monkeypatch.setattr(deep_clustering, "PRETRAINED", tmp_path / "missing")
    w = MainWindow(corpus_path=None, warm_up=False)
    qtbot.addWidget(w)
    w.show()
    view = w.views["Separation"]
    w.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(w.jobs["open-dc-model"].ended, timeout=30_000):
        pass          # the job's signals are queued: none is delivered before this waits
    assert "bundled separation model is missing" in view.model_label.text()
    assert "Train “Deep clustering”" in view.model_label.text() and view.model is None
    workers.shutdown(3000)


def test_the_live_scatter_keeps_the_clouds_in_view_however_their_spread_changes(window):
    view = window.views["Separation"]
    rng = np.random.default_rng(0)
    frames = live_map.with_map_coords(ev for ev in [
        Progress(k, 100, unit="batches", labels=("speaker 1",) * 30 + ("speaker 2",) * 20,
                 snapshot=(scale * rng.normal(size=(50, 4))).astype(np.float32))
        for k, scale in enumerate((1.0, 0.01, 0.01, 100.0, 1.0))])
    for ev in frames:
        window.app.train_progress.emit(ev)
        (x0, x1), (y0, y1) = view.scatter_box.viewRange()
        points = np.vstack([np.column_stack(c.getData()) for c in view.clouds])
        low, high = points.min(0), points.max(0)
        assert (high - low)[0] > 0.5 * (x1 - x0) and (high - low)[1] > 0.5 * (y1 - y0)   # not a dot
        assert x0 <= low[0] and high[0] <= x1 and y0 <= low[1] and high[1] <= y1     # and all in view


def test_empty_plots_span_a_second_and_the_voices_band_not_a_negative_millihertz_axis(window):
    view = window.views["Separation"]
    for spec in (view.mixture, *view.source_specs):
        (x0, x1), (y0, y1) = spec.plot.getViewBox().viewRange()
        assert 0 <= x0 < x1 <= 1.5 and 0 <= y0 and y1 >= 1000
        assert "mHz" not in spec.plot.getAxis("left").labelString()
    for wave in view.waves:
        (x0, x1), _ = wave.plot.getViewBox().viewRange()
        assert 0 <= x0 < x1


def test_file_open_model_takes_a_deep_clustering_folder_to_the_separation_tab(qtbot, window, tmp_path):
    view = window.views["Separation"]
    tiny_model().save(tmp_path / "dc")
    window.tabs.setCurrentIndex(0)
    with qtbot.waitSignal(window.open_model(str(tmp_path / "dc")).done, timeout=10_000):
        pass
    assert isinstance(view.model, DeepClusteringModel) and window.tabs.currentWidget() is view
    assert window.model is None
