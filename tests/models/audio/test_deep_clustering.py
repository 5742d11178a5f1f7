import json

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from models.audio import demo
from models.audio.clustering import kmeans
from models.audio.clustering_losses import bin_weights, deep_clustering_loss, whitened_kmeans_loss
from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, load_model, train
from models.core.checkpoint import CheckpointError
from models.core.events import STOP, Progress
from models.errors import UserError
from models.registry import get

TINY_DATA = dict(train_per_voice=2, valid_mixtures=2, test_mixtures=2)
TINY_MODEL = dict(hidden=8, layers=1, embedding_dim=4, batch_size=2, chunk_seconds=0.3, kmeans_inits=2,
                  threads=1, device="cpu", **TINY_DATA)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    """One demo-data cache for the whole module: speaking it takes a few seconds."""
    folder = tmp_path_factory.getbasetemp() / "audio-cache"
    monkeypatch.setenv(demo.CACHE_ENV, str(folder))
    return folder


def _run(gen):
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value


def _dense_loss(v, y, w):
    """The definition, with the N x N affinity matrices, the pair (i, j) weighted by w_i w_j."""
    diff = v @ v.transpose(1, 2) - y @ y.transpose(1, 2)
    pairs = w[:, :, None] * w[:, None, :]
    return (pairs * diff ** 2).sum(dim=(1, 2)) / w.sum(1) ** 2


@pytest.mark.parametrize("weights", ["audible", "magnitude"])
def test_low_rank_loss_equals_the_n_by_n_form_and_so_does_its_gradient(weights):
    gen = torch.Generator().manual_seed(0)
    v = torch.nn.functional.normalize(torch.randn(3, 50, 6, generator=gen, dtype=torch.float64), dim=-1)
    y = torch.nn.functional.one_hot(torch.randint(2, (3, 50), generator=gen), 2).double()
    w = (torch.rand(3, 50, generator=gen) > 0.3).double()
    if weights == "magnitude":
        w = w * torch.rand(3, 50, generator=gen, dtype=torch.float64) * 3
    v1, v2 = v.clone().requires_grad_(), v.clone().requires_grad_()
    fast, slow = deep_clustering_loss(v1, y, w), _dense_loss(v2, y, w)
    assert fast.shape == (3,)
    torch.testing.assert_close(fast, slow)
    fast.sum().backward()
    slow.sum().backward()
    torch.testing.assert_close(v1.grad, v2.grad)
    assert float(deep_clustering_loss(y, y).max()) < 1e-12          # embeddings equal to labels: perfect


def test_magnitude_weights_count_the_loud_bins_most_and_leave_out_the_silent_ones():
    gen = torch.Generator().manual_seed(0)
    mix = torch.randn(2, 9, 30, generator=gen, dtype=torch.complex64)
    mix[0] *= 100.0                              # one mixture far louder than the other
    mix[:, :, :5] *= 1e-4                        # five frames of near silence, 80 dB down
    audible = bin_weights(mix, 40.0)
    loud = bin_weights(mix, 40.0, "magnitude")
    assert set(audible.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(loud > 0, audible > 0)
    # a mixture weighs the same however loud: its audible bins average 1
    torch.testing.assert_close((loud.sum(1) / audible.sum(1)), torch.ones(2))
    magnitude = mix.abs().flatten(1)
    on = audible[0] > 0
    assert torch.equal(torch.argsort(loud[0][on]), torch.argsort(magnitude[0][on]))


def test_whitened_kmeans_loss_is_the_k_means_cost_of_the_ideal_clusters_in_whitened_embeddings():
    """Against its definition: whiten the (regularised) embeddings, then D minus the trace is the
    within-cluster scatter left, as k-means would count it, with the cluster sizes regularised alike."""
    gen = torch.Generator().manual_seed(0)
    v = torch.nn.functional.normalize(torch.randn(2, 60, 5, generator=gen, dtype=torch.float64), dim=-1)
    y = torch.nn.functional.one_hot(torch.randint(2, (2, 60), generator=gen), 2).double()
    w = (torch.rand(2, 60, generator=gen) > 0.3).double()
    loss = whitened_kmeans_loss(v, y, w)
    for b in range(2):
        vb, yb = v[b] * w[b, :, None], y[b] * w[b, :, None]
        evals, evecs = torch.linalg.eigh(vb.T @ vb + torch.eye(5, dtype=torch.float64))
        white = vb @ evecs @ torch.diag(evals ** -0.5) @ evecs.T
        projection = yb @ torch.linalg.inv(yb.T @ yb + torch.eye(2, dtype=torch.float64)) @ yb.T
        expected = 5 - torch.trace(white.T @ projection @ white)
        torch.testing.assert_close(loss[b], expected)
    apart = torch.cat([y, torch.zeros(2, 60, 3, dtype=torch.float64)], -1)       # one direction per source
    assert float(whitened_kmeans_loss(apart, y, w).max()) < float(loss.min()) - 1.0
    # near D minus the sources: with some 20 bins a source the identities still take a little
    assert float(whitened_kmeans_loss(apart, y, w).max()) < 5 - 2 + 0.25


def test_kmeans_separates_two_obvious_clusters_the_same_way_every_time():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(300, 5, generator=gen) * 0.1 + torch.tensor([1.0, 0, 0, 0, 0])
    b = torch.randn(200, 5, generator=gen) * 0.1 - torch.tensor([1.0, 0, 0, 0, 0])
    x = torch.cat([a, b])
    labels, centroids = kmeans(x, 2, inits=3, generator=torch.Generator().manual_seed(0))
    assert labels[:300].unique().numel() == 1 and labels[300:].unique().numel() == 1
    assert labels[0] != labels[-1]
    assert torch.allclose(centroids[labels[0]], a.mean(0), atol=1e-5)
    again, _ = kmeans(x, 2, inits=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(labels, again)


def test_demo_data_is_made_once_deterministically_and_split_by_voice(tmp_path, monkeypatch):
    spec = demo.DemoSpec(train_per_voice=1, valid_mixtures=2, test_mixtures=2, seed=5)
    blobs = []
    for where in ("a", "b"):
        monkeypatch.setenv(demo.CACHE_ENV, str(tmp_path / where))
        events, folder = _run(demo.generate_steps(spec, workers=2))
        assert events and events[-1].step == events[-1].total_steps and events[-1].unit == "utterances"
        blobs.append({p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
                      if p.is_file()})
    assert blobs[0] == blobs[1] and "train.safetensors" in blobs[0] and "examples/mix0.wav" in blobs[0]
    events, _ = _run(demo.generate_steps(spec))
    assert events == []                                          # cached: nothing is spoken again
    data = demo.load(spec)
    assert data.sample_rate == 8000 and len(data.train) == len(demo.TRAIN_VOICES)
    for m in data.valid + data.test:
        assert m.sources.shape == (2, len(m.mixture)) and -5 <= m.gain_db <= 5
        np.testing.assert_allclose(m.sources.sum(0), m.mixture, atol=1e-6)
        level = 20 * np.log10(np.sqrt((m.sources[0] ** 2).mean() / (m.sources[1] ** 2).mean()))
        assert level == pytest.approx(m.gain_db, abs=1e-3)
    manifest = json.loads((data.folder / "manifest.json").read_text())
    sentences = manifest["sentences"]
    assert not set(sentences["test"]) & set(sentences["train"]) and not set(sentences["valid"]) & set(sentences["train"])
    assert not {tuple(v) for v in manifest["voices"]["test"]} & {tuple(v) for v in manifest["voices"]["train"]}
    # a damaged cache: one utterance of the test split cut away, so its mixtures lack a voice
    test = load_file(str(data.folder / "test.safetensors"))
    test["speaker"], test["offsets"] = test["speaker"][:-1], test["offsets"][:-1]
    test["audio"] = test["audio"][:test["offsets"][-1]]
    save_file(test, str(data.folder / "test.safetensors"))
    with pytest.raises(UserError, match="utterances for 2 mixtures") as refused:
        demo.load(spec)
    assert str(data.folder) in str(refused.value) and "Delete that folder" in str(refused.value)


def test_training_batches_mix_two_different_voices():
    events, data = _run(demo.load_steps(demo.DemoSpec(**TINY_DATA)))
    rng = np.random.default_rng(0)
    batch = demo.sample_batch(data.train, rng, 6, 2000)
    assert batch.shape == (6, 2, 2000) and batch.dtype == np.float32
    assert (np.abs(batch).max(axis=2) > 0).all()


@pytest.mark.parametrize("objective, weights", [("affinity", "audible"), ("whitened-kmeans", "audible"),
                                                ("affinity", "magnitude")])
def test_a_tiny_model_trains_its_loss_falls_and_it_separates(objective, weights):
    config = DeepClusteringConfig(steps=40, minutes=5, lr=1e-2, objective=objective, bin_weights=weights,
                                  **TINY_MODEL)
    events, model = _run(train(config, None))
    batches = [e for e in events if e.unit == "batches" and e.total_steps]
    assert batches and batches[-1].step == 40 and all(isinstance(e, Progress) for e in events)
    assert any("validation loss" in e.message for e in batches)
    assert any(e.snapshot is not None and len(e.labels) == len(e.snapshot) for e in batches)
    first = np.mean([l for _, l in model.losses[:5]])
    last = np.mean([l for _, l in model.losses[-5:]])
    assert last < first
    s = model.stats
    assert s["steps"] == 40 and s["test_mixtures"] == 2 and s["device"] == "cpu"
    assert s["test_ibm_si_sdr_improvement"] > s["test_si_sdr_improvement"] - 3   # the oracle is a ceiling
    assert np.isfinite(s["test_sdr"]) and np.isfinite(s["test_irm_sdr_improvement"])
    m = demo.load(config.demo_spec()).test[0]
    sep = model.separate(m.mixture)
    assert sep.sources.shape == (2, len(m.mixture))
    np.testing.assert_allclose(sep.sources.sum(0), m.mixture, atol=1e-4)   # binary masks split the mixture


def test_stop_ends_training_early_and_still_returns_a_tested_model():
    gen = train(DeepClusteringConfig(steps=10_000, minutes=5, **TINY_MODEL), None)
    ev = next(gen)
    while ev.unit != "batches" or not ev.total_steps:
        ev = next(gen)
    events, model = [], None
    try:
        ev = gen.send(STOP)
        events, model = _run(gen)
    except StopIteration as stop:
        model = stop.value
    assert model.stats["stopped_early"] and model.stats["steps"] < 10_000
    assert np.isfinite(model.stats["test_si_sdr_improvement"])


def test_save_then_load_gives_identical_separations(tmp_path):
    config = DeepClusteringConfig(steps=3, minutes=5, **TINY_MODEL)
    _, model = _run(train(config, None))
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors", "run.json"]
    run = json.loads((tmp_path / "m" / "run.json").read_text())
    assert {"test_si_sdr_improvement", "test_ibm_si_sdr_improvement", "seconds", "steps"} <= set(run)
    back = load_model(tmp_path / "m")
    assert back.config == model.config and back.sample_rate == 8000 and back.losses == model.losses
    wave = demo.load(config.demo_spec()).test[1].mixture
    a, b = model.separate(wave), back.separate(wave)
    np.testing.assert_array_equal(a.embeddings, b.embeddings)
    np.testing.assert_array_equal(a.sources, b.sources)


def test_loading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="No model found"):
        DeepClusteringModel.load(tmp_path)


def test_registered_as_dc_without_a_corpus():
    spec = get("dc")
    assert spec.uses_corpus is False and spec.config_cls is DeepClusteringConfig and spec.train is train
