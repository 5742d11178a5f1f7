"""The Matching view driven through the window with a tiny trained Siamese matcher."""
import numpy as np
import pytest
import soundfile as sf

from models.core.events import drain
from models.siamese.model import SiameseConfig, train
from models.siamese.music import SAMPLE_RATE

TINY = dict(source="random", items=12, holdout=0.25, item_beats=10.0, steps=30, batch=8, channels=8, dim=16,
            variants=1, queries=1, threads=1, device="cpu", seed=3)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMBEDDING_EXPLORER_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield drain(train(SiameseConfig(**TINY)))


@pytest.fixture
def view(qtbot, matcher, empty_window):
    w = empty_window
    v = w.views["Matching"]
    w.tabs.setCurrentWidget(v)
    with qtbot.waitSignals([v.ready, v.matched], timeout=30_000):
        w.app.trained.emit(matcher)
    yield v
    v.player.stop()


def exact_excerpt(view, item, start_s=1.0, seconds=3.0):
    wave = view.session.db.waves[item]
    a = int(start_s * SAMPLE_RATE)
    return wave[a:a + int(seconds * SAMPLE_RATE)]


def test_held_out_queries_are_offered_and_the_first_is_ranked_with_the_baseline(view, matcher):
    n_queries = matcher.stats["test_queries"]
    assert view.query_box.count() == n_queries
    for baseline in (False, True):
        rows = view.ranking(baseline)
        assert len(rows) == min(10, len(matcher.names))
        scores = [s for _, s in rows]
        assert scores == sorted(scores, reverse=True)
    assert view.metrics.item(0, 0).text() == f"{matcher.stats['top1']:.3f}"
    assert view.metrics.item(2, 1).text() == f"{matcher.stats['baseline_auc']:.3f}"


@pytest.mark.parametrize("item", [0, 7])
def test_an_exact_excerpt_ranks_its_source_first_and_is_marked_on_the_map(qtbot, view, item):
    names = view.session.db.names
    with qtbot.waitSignal(view.matched, timeout=10_000):
        view.add_query("excerpt", exact_excerpt(view, item), truth=item)
    rows = view.ranking()
    assert rows[0][0] == names[item]
    assert [s for _, s in rows] == sorted((s for _, s in rows), reverse=True)
    assert view.ranking(baseline=True)[0][0] == names[item]
    assert "ranked 1" in view.rank_notes[False].text()
    assert view.map_counts() == (len(names), 1)
    assert np.allclose(view.truth_mark.data["x"][0], view.coords[item][0])


def test_umap_on_demand_runs_in_the_worker_and_keeps_every_item_and_the_query(qtbot, view, monkeypatch):
    from models.vectors import projection

    def fake_umap(x, method):
        # numba's first compile of UMAP takes half a minute; the view's part is what is tested here
        assert method == "umap" and x.shape == (len(view.session.db), 16)
        yield projection.ProjectionProgress(1, 2, "UMAP")
        return np.ascontiguousarray(x[:, :2] * 3 + 1, dtype=np.float32)

    monkeypatch.setattr(projection, "project", fake_umap)
    with qtbot.waitSignal(view.laid_out, timeout=10_000) as laid:
        view.layout_box.setCurrentText("UMAP")
    assert laid.args == ["UMAP"]
    assert view.map_counts() == (len(view.session.db), 1)
    assert view.coords.shape == view.session.pca.shape and not np.allclose(view.coords, view.session.pca)
    assert "nearest items" in view.caption.text()


def test_a_loaded_wav_is_matched_with_its_true_source_unknown(qtbot, view, tmp_path):
    sf.write(tmp_path / "q.wav", exact_excerpt(view, 3), SAMPLE_RATE)
    with qtbot.waitSignal(view.matched, timeout=10_000):
        view.load_file(tmp_path / "q.wav")
    assert view.ranking()[0][0] == view.session.db.names[3]
    assert "unknown" in view.rank_notes[False].text() and view.map_counts()[1] == 1


def test_a_recording_beyond_full_scale_is_matched_clipped_and_the_view_says_how_many(qtbot, view, tmp_path):
    loud = exact_excerpt(view, 3) * 50.0
    over = int(np.count_nonzero(np.abs(loud) > 1))
    sf.write(tmp_path / "loud.wav", loud, SAMPLE_RATE, subtype="FLOAT")
    with qtbot.waitSignal(view.matched, timeout=10_000):
        view.load_file(tmp_path / "loud.wav")
    assert over > 0 and f"{over:,} samples of loud.wav were outside [-1, 1] and were clipped" in view.status.text()
    assert np.abs(view.query_box.currentData().wave).max() <= 1.0


def test_a_missing_wav_or_model_folder_is_said_in_the_view(qtbot, view, tmp_path):
    job = view.load_file(tmp_path / "missing.wav")
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert "not found" in view.status.text()
    job = view.open_model(tmp_path)
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert "No model found" in view.window().statusBar().currentMessage()


def test_opening_a_saved_matcher_folder_fills_the_view(qtbot, view, matcher, tmp_path):
    matcher.save(tmp_path / "m")
    view.query_box.clear()
    with qtbot.waitSignals([view.ready, view.matched], timeout=30_000):
        view.open_model(tmp_path / "m")
    assert view.query_box.count() == matcher.stats["test_queries"] and view.matcher is not matcher


def test_playing_without_an_audio_device_says_why_instead_of_failing(view, monkeypatch):
    from explorer import audio

    def no_device():
        raise audio.AudioUnavailable("No audio output: no default output device (test).")

    monkeypatch.setattr(audio, "output_device", no_device)
    assert view.play_query() is None and "No audio output" in view.status.text()
    assert view.play_item(0) is None
