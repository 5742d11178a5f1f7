"""Skip-gram and CBOW trainers, driven as plain generators without Qt."""
import numpy as np
import pytest
import torch

from models.core.events import STOP, Progress, drain
from models.core.params import ConfigError
from models.text import word2vec
from models.text.corpus import read_corpus
from models.text.sampling import keep_probabilities, noise_distribution, noise_table
from models.text.word2vec import CBOWConfig, SGNSConfig
from models.text.word2vec_torch import TorchKernel
from tests.explorer.conftest import GROUP_A, GROUP_B, planted_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("c") / "planted.txt", lines=2000))


def group_gap(vectors) -> float:
    """Mean cosine within the planted groups minus mean cosine across them."""
    within = np.mean([vectors.similarity(g[0], w) for g in (GROUP_A, GROUP_B) for w in g[1:]])
    across = np.mean([vectors.similarity(GROUP_A[i], GROUP_B[i]) for i in range(len(GROUP_A))])
    return within - across


@pytest.mark.parametrize("config_cls", [SGNSConfig, CBOWConfig])
def test_training_separates_the_planted_groups_and_the_loss_falls(corpus, config_cls):
    model = drain(word2vec.train(config_cls(dim=20, epochs=3, min_count=1, sample=0.0, threads=2), corpus))
    assert group_gap(model.vectors) > 0.3
    losses = [loss for _, loss in model.losses]
    # Two threads train two halves of the corpus at once, so the curve's untrained start (a loss
    # near 6 log 2 = 4.2) may sit at either half's first block; the end is far below it.
    assert len(losses) >= 2 and max(losses[:len(losses) // 3]) > losses[-1] + 1.0
    assert model.stats["words_done"] == 3 * model.stats["corpus_tokens"]
    assert 0 < model.stats["final_loss"] < 10


@pytest.mark.parametrize("cbow", [False, True])
def test_the_batched_torch_kernel_learns_the_same_groups(corpus, cbow):
    """The CUDA path's kernel, run on the CPU: no GPU is available where the tests run."""
    from models.text.vocab import build_vocab, encode

    cfg = (CBOWConfig if cbow else SGNSConfig)(dim=20, min_count=1, sample=0.0)
    vocab = build_vocab(corpus.sentences, 1)
    data = encode(corpus.sentences, vocab)
    rng = np.random.default_rng(0)
    W = ((rng.random((len(vocab), 20), dtype=np.float32) - 0.5) / 20).astype(np.float32)
    kernel = TorchKernel(W, np.zeros_like(W), data, keep_probabilities(vocab.counts, 0.0),
                         vocab.counts, cfg, cbow, torch.device("cpu"))
    for epoch in range(3):
        loss, pairs = kernel.run(0, data.n_sentences, epoch * data.n_tokens, 3 * data.n_tokens, 100 + epoch)
        assert pairs.sum() > 0 and np.isfinite(loss.sum())
    from models.vectors.store import WordVectors

    assert group_gap(WordVectors(vocab.words, kernel.weights()[0])) > 0.3


def test_one_thread_and_a_seed_give_the_same_vectors_every_run(corpus):
    cfg = SGNSConfig(dim=16, epochs=1, min_count=1, threads=1, seed=7)
    a, b = drain(word2vec.train(cfg, corpus)), drain(word2vec.train(cfg, corpus))
    np.testing.assert_array_equal(a.tensors["input"], b.tensors["input"])
    c = drain(word2vec.train(SGNSConfig(dim=16, epochs=1, min_count=1, threads=1, seed=8), corpus))
    assert not np.array_equal(a.tensors["input"], c.tensors["input"])


def test_stop_returns_the_model_so_far_at_the_next_event(corpus):
    gen = word2vec.train(SGNSConfig(dim=16, epochs=1000, min_count=1, sample=0.0), corpus)
    events = [next(gen) for _ in range(3)]
    assert all(isinstance(e, Progress) for e in events)
    with pytest.raises(StopIteration) as end:
        gen.send(STOP)
    model = end.value.value
    assert model.stats["stopped_early"] and model.stats["epochs_done"] < 1000
    assert np.isfinite(model.tensors["input"]).all()


def test_events_carry_copies_of_the_top_rows_not_live_weights(corpus):
    gen = word2vec.train(SGNSConfig(dim=8, epochs=2, min_count=1), corpus)
    snaps = [e for e in iter(lambda: next(gen, None), None) if e.snapshot is not None]
    assert snaps and snaps[0].snapshot.shape == (len(snaps[0].labels), 8)
    first = snaps[0].snapshot.copy()
    assert np.array_equal(first, snaps[0].snapshot)     # training went on; the event did not change


def test_out_of_range_settings_are_refused_with_the_parameter_named(corpus):
    with pytest.raises(ConfigError, match="window must be at least 1"):
        drain(word2vec.train(SGNSConfig(window=0), corpus))


def test_subsampling_keeps_rare_words_and_drops_frequent_ones():
    counts = np.array([1_000_000, 10_000, 10])
    p = keep_probabilities(counts, 1e-3)
    assert p[2] == 1.0 and p[0] < p[1] <= 1.0
    t = 1e-3 * counts.sum()
    assert p[0] == pytest.approx((np.sqrt(counts[0] / t) + 1) * t / counts[0], rel=1e-6)


def test_the_noise_table_follows_the_unigram_distribution_to_the_three_quarters():
    counts = np.array([800, 100, 100])
    table = noise_table(counts, size=100_000)
    share = np.bincount(table, minlength=3) / len(table)
    np.testing.assert_allclose(share, noise_distribution(counts), atol=1e-3)


def test_a_diverging_run_stops_and_keeps_the_last_finite_weights(corpus, monkeypatch):
    """The kernel's loss is clipped, so no setting makes it overflow on this small corpus; the test
    poisons the weights with NaN after a few chunks, as an overflow would."""
    real_run, calls = word2vec._CpuKernel.run, []

    def run(self, *args):
        loss, pairs = real_run(self, *args)
        calls.append(1)
        if len(calls) == 40:
            self.W[:] = np.nan
            return np.full_like(loss, np.nan), pairs
        return loss, pairs
    monkeypatch.setattr(word2vec._CpuKernel, "run", run)
    monkeypatch.setattr(word2vec, "CHUNK_SECONDS", 0.002)    # many small chunks
    model = drain(word2vec.train(SGNSConfig(dim=16, epochs=200, min_count=1, sample=0.0), corpus))
    assert len(calls) == 40
    assert "Lower the learning rate" in model.stats["diverged"]
    assert model.stats["stopped_early"] and model.stats["epochs_done"] < 200
    assert np.isfinite(model.tensors["input"]).all() and np.isfinite(model.tensors["output"]).all()


def test_skip_gram_counts_the_pairs_it_trained_on(corpus):
    # Window 1 and no subsampling: every word pairs with each neighbour, 2 (n - 1) pairs a sentence.
    model = drain(word2vec.train(SGNSConfig(dim=8, window=1, epochs=2, min_count=1, sample=0.0, threads=1), corpus))
    expected = 2 * sum(2 * (len(s) - 1) for s in corpus.sentences)
    assert model.stats["pairs_done"] == expected
