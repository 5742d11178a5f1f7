import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from models.core.events import drain
from models.text import cooc
from models.text.cooccurrence import count_steps
from models.text.vocab import EncodedCorpus
from tests.models.planted import (assert_events_are_snapshots, assert_groups_separate, assert_round_trip,
                                  assert_run_stats, read_planted, run)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory)


def _encoded(sentences):
    ids = np.concatenate([np.asarray(s, dtype=np.int32) for s in sentences])
    starts = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
    return EncodedCorpus(ids, starts)


def _naive_counts(sentences, n, window, harmonic):
    X = np.zeros((n, n))
    for s in sentences:
        for p in range(len(s)):
            for q in range(len(s)):
                if p != q and abs(p - q) <= window:
                    X[s[p], s[q]] += 1.0 / abs(p - q) if harmonic else 1.0
    return X


@pytest.mark.parametrize("harmonic", [True, False])
def test_counts_match_a_plain_count_within_sentences_and_are_symmetric(harmonic):
    rng = np.random.default_rng(0)
    sentences = [list(rng.integers(0, 7, size=rng.integers(2, 15))) for _ in range(40)]
    X, stopped = drain(count_steps(_encoded(sentences), 7, 3, harmonic))
    assert sp.issparse(X) and not stopped
    np.testing.assert_allclose(X.toarray(), _naive_counts(sentences, 7, 3, harmonic))


def test_a_50k_word_vocabulary_is_counted_and_weighted_without_a_dense_matrix():
    rng = np.random.default_rng(1)
    data = _encoded([rng.integers(0, 50_000, size=50) for _ in range(2000)])
    tracemalloc.start()
    try:
        X, _ = drain(count_steps(data, 50_000, 5))
        M = cooc.ppmi(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X.shape == M.shape == (50_000, 50_000) and sp.issparse(M)
    assert peak < 200e6       # a dense 50k x 50k float64 matrix would be 20 GB


@pytest.mark.parametrize("smoothing", [1.0, 0.75])
def test_ppmi_matches_the_dense_formula(smoothing):
    X = np.array([[0, 4, 1, 0], [4, 2, 0, 3], [1, 0, 0, 6], [0, 3, 6, 1]], dtype=float)
    total = X.sum()
    ctx = X.sum(0) ** smoothing
    with np.errstate(divide="ignore"):
        pmi = np.log(X / total / np.outer(X.sum(1) / total, ctx / ctx.sum()))
    expected = np.maximum(pmi, 0)
    np.testing.assert_allclose(cooc.ppmi(sp.csr_matrix(X), smoothing).toarray(), expected, atol=1e-12)


def _low_rank(rng, n, m, rank):
    return rng.normal(size=(n, rank)) @ np.diag(np.arange(rank, 0, -1) + 1.0) @ rng.normal(size=(rank, m))


def test_truncated_svd_reconstructs_a_low_rank_matrix():
    rng = np.random.default_rng(2)
    A = _low_rank(rng, 30, 25, 4)
    U, s, Vt = cooc.truncated_svd(sp.csr_matrix(A), 4, rng)
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(U @ np.diag(s) @ Vt, A, atol=1e-8)
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False)[:4], rtol=1e-10)


def test_eigendecomposition_reconstructs_a_symmetric_matrix():
    rng = np.random.default_rng(3)
    B = rng.normal(size=(30, 5))
    S = B @ np.diag([5.0, 4, 3, 2, 1]) @ B.T           # symmetric, rank 5, positive semi-definite
    lam, Q = cooc.symmetric_eig(sp.csr_matrix(S), 5, rng)
    assert np.all(np.diff(lam) <= 0)
    np.testing.assert_allclose(Q @ np.diag(lam) @ Q.T, S, atol=1e-8)
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-10)


def test_nmf_stays_non_negative_and_its_loss_never_rises():
    rng = np.random.default_rng(4)
    planted = rng.random((40, 6)) @ rng.random((6, 30))       # non-negative, rank 6
    for X in (sp.csr_matrix(planted), sp.random(40, 30, density=0.3, random_state=5) * 10):
        W, H, losses = drain(cooc.nmf_steps(X, 6, 200, rng))
        assert W.min() >= 0 and H.min() >= 0 and len(losses) == 200
        rises = np.diff(losses)
        assert np.all(rises <= 1e-12 * losses[0]), rises.max()      # no rise beyond float rounding
        assert losses[-1] == pytest.approx(np.sum((X.toarray() - W @ H) ** 2), rel=1e-9)
        if X.nnz == planted.size:
            assert losses[-1] < 1e-3 * np.sum(planted ** 2)      # it finds the planted factors


@pytest.fixture(scope="module", params=["svd", "eig", "nmf"])
def trained(request, corpus):
    config = cooc.CoocConfig(dim=8, method=request.param, iterations=60, min_count=1, seed=1)
    return run(cooc.train(config, corpus))


def test_each_factorisation_puts_group_members_closer_than_other_words(trained):
    model, events = trained
    assert_groups_separate(model.vectors)
    assert_events_are_snapshots(events)
    assert_run_stats(model.stats)
    assert model.stats["method"] == model.config.method and 0 <= model.stats["final_loss"] < 1


def test_each_factorisation_saves_and_loads_identically(trained, tmp_path):
    assert_round_trip(trained[0], tmp_path / "m")


@pytest.mark.parametrize("method", ["svd", "nmf"])
def test_stop_while_counting_or_factorising_returns_a_model_early(corpus, method):
    config = cooc.CoocConfig(dim=8, method=method, iterations=500, min_count=1)
    counting, _ = run(cooc.train(config, corpus), stop_when=lambda ev: ev.message == "Counting co-occurrences")
    assert counting.stats["stopped_early"] and counting.tensors["input"].shape == (24, 8)
    if method == "nmf":
        model, _ = run(cooc.train(config, corpus), stop_when=lambda ev: ev.unit == "iterations")
        assert model.stats["stopped_early"] and len(model.losses) < 500
