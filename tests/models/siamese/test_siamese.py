import numpy as np
import pytest
import soundfile as sf
import torch

from models.core.events import drain
from models.errors import UserError
from models.siamese import losses
from models.siamese.audio import load_wav, log_mel
from models.siamese.database import QuerySettings, build_database, make_query
from models.siamese.model import (SiameseConfig, SiameseMatcher, baseline_scores, ranking_metrics,
                                  split_items, train)
from models.siamese.music import SAMPLE_RATE, chorale_names, read_chorale
from tests.stopping import stopped_at_step

TINY = dict(source="random", items=12, holdout=0.25, item_beats=10.0, steps=30, batch=8, channels=8, dim=16,
            variants=1, queries=1, threads=1, device="cpu", seed=3)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("cache")
        mp.setenv("EMBEDDING_EXPLORER_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def trained(cache):
    return drain(train(SiameseConfig(**TINY)))


def test_pair_loss_is_the_modules_formula_and_its_gradient_matches_autograd():
    g = torch.Generator().manual_seed(0)
    zi = torch.randn(20, 8, generator=g, dtype=torch.float64, requires_grad=True)
    zj = torch.randn(20, 8, generator=g, dtype=torch.float64, requires_grad=True)
    y = (torch.rand(20, generator=g) < 0.5).double()
    scale, bias = 0.7, -0.3
    loss = losses.pair_loss(zi, zj, y, scale, bias)
    s = torch.sigmoid(scale * (zi * zj).sum(-1) + bias)
    assert torch.allclose(loss, (-y * torch.log(s) - (1 - y) * torch.log(1 - s)).mean())
    loss.backward()
    gi, gj = losses.pair_loss_grad(zi.detach(), zj.detach(), y, scale, bias)
    assert torch.allclose(gi, zi.grad) and torch.allclose(gj, zj.grad)


def test_pair_loss_stays_finite_for_confident_wrong_pairs():
    z = torch.ones(2, 4) * 100
    loss = losses.pair_loss(z, z, torch.tensor([0.0, 0.0]))
    assert torch.isfinite(loss) and loss > 1000


def test_contrastive_and_triplet_losses_vanish_when_pairs_are_already_separated():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert losses.contrastive_loss(a, a, torch.ones(2), margin=1.0) < 1e-10
    assert losses.contrastive_loss(a, -a, torch.zeros(2), margin=1.0) == 0
    assert losses.triplet_loss(a, a, -a, margin=0.4) == 0
    assert losses.triplet_loss(a, -a, a, margin=0.4) > 0
    assert losses.batch_hard_triplet_loss(a, a, margin=0.4) == 0


def test_database_is_deterministic_cached_and_rendered_with_audio(cache):
    first = build_database("random", 6, 8.0, seed=5)
    again = build_database("random", 6, 8.0, seed=5)
    other = build_database("random", 6, 8.0, seed=6)
    assert first.folder is not None and (first.folder / "items.json").exists()
    assert len(list((first.folder / "wav").glob("*.wav"))) == 6
    assert all(np.array_equal(a, b) for a, b in zip(first.waves, again.waves))
    assert not np.array_equal(first.waves[0], other.waves[0])
    assert all(np.abs(w).max() > 0.1 and np.isfinite(w).all() for w in first.waves)


def test_queries_are_short_noisy_excerpts_in_another_timbre(cache):
    db = build_database("random", 6, 8.0, seed=5)
    rng = np.random.default_rng(0)
    q, variant, start = make_query(db, 2, rng, QuerySettings(excerpt_s=2.0))
    assert len(q) == 2 * SAMPLE_RATE and np.isfinite(q).all()
    assert variant.timbre != db.timbres[2] and 0 <= start <= db.duration(2)


def test_database_refuses_an_unknown_source(cache):
    with pytest.raises(UserError, match="Unknown melody source"):
        build_database("jazz", 4)


def test_bundled_bach_chorale_has_soprano_and_bass_in_singing_range():
    assert len(chorale_names()) > 300
    melody = read_chorale(chorale_names()[0], 16.0)
    pitches = [n.pitch for n in melody.notes]
    assert len(pitches) > 16 and 30 <= min(pitches) and max(pitches) <= 90
    assert 15.0 <= melody.beats <= 16.0


def test_baseline_gives_an_exact_excerpt_its_best_alignment():
    rng = np.random.default_rng(1)
    items = [torch.from_numpy(rng.standard_normal((8, 50)).astype(np.float32)) for _ in range(3)]
    query = items[1][:, 17:37][None]
    scores = baseline_scores(query, items)
    assert scores.argmax().item() == 1 and scores[0, 1] == pytest.approx(1.0, abs=1e-4)


def test_ranking_metrics_of_a_perfect_and_a_reversed_ranking():
    scores = torch.eye(6) + 0.01 * torch.arange(6.0)
    m = ranking_metrics(scores, np.arange(6))
    assert m == {"top1": 1.0, "top5": 1.0, "auc": 1.0}
    assert ranking_metrics(-scores, np.arange(6))["top1"] == 0.0


def test_split_keeps_held_out_items_apart():
    tr, te = split_items(20, 0.3, seed=1)
    assert len(te) == 6 and not set(tr) & set(te) and len(tr) + len(te) == 20


def test_exact_excerpt_of_an_item_ranks_its_source_first(trained, cache):
    db = build_database(TINY["source"], TINY["items"], TINY["item_beats"], seed=0)
    rng = np.random.default_rng(2)
    for item in (0, 5, 11):
        n = SAMPLE_RATE * 3
        start = int(rng.integers(0, len(db.waves[item]) - n))
        assert trained.match(db.waves[item][start:start + n], k=3)[0][0] == db.names[item]


def test_training_reports_progress_and_metrics_next_to_the_baseline(trained):
    s = trained.stats
    for key in ("top1", "top5", "auc", "baseline_top1", "baseline_top5", "baseline_auc"):
        assert 0.0 <= s[key] <= 1.0
    assert s["steps_done"] == TINY["steps"] and s["test_items"] == 3 and s["final_loss"] == s["final_loss"]
    assert trained.losses and trained.losses[-1][0] == TINY["steps"]


def test_save_and_load_give_identical_scores(trained, tmp_path):
    trained.save(tmp_path / "m")
    again = SiameseMatcher.load(tmp_path / "m")
    wave = np.random.default_rng(0).standard_normal(SAMPLE_RATE * 4).astype(np.float32) * 0.1
    assert np.array_equal(trained.scores(wave), again.scores(wave))
    assert again.stats == trained.stats and again.names == trained.names


def test_stop_ends_training_early_and_returns_a_usable_model(cache):
    gen = train(SiameseConfig(**{**TINY, "steps": 500}))
    model = stopped_at_step(gen, 3)
    assert model.stats["stopped_early"] and model.stats["steps_done"] < 10
    assert len(model.match(np.zeros(SAMPLE_RATE, dtype=np.float32), k=2)) == 2


def test_any_wav_is_read_as_mono_at_the_matchers_rate(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    sf.write(tmp_path / "q.wav", stereo, 44100)
    wave = load_wav(tmp_path / "q.wav").samples
    assert wave.ndim == 1 and abs(len(wave) - SAMPLE_RATE) <= 1
    peak = log_mel(wave).mean(-1).argmax().item()
    assert 0 < peak < 63
    with pytest.raises(UserError, match="not found"):
        load_wav(tmp_path / "missing.wav")
