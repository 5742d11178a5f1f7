"""Counting embeddings: a sparse word-word co-occurrence matrix, optionally turned into positive
pointwise mutual information (PPMI), then factorised into dense word vectors.

Three factorisations, chosen by ``method``:

- ``svd``: truncated SVD (scipy's ARPACK ``svds``); word vectors U * s^power;
- ``eig``: eigendecomposition of the symmetric matrix (``eigsh``); vectors Q * |lambda|^power;
- ``nmf``: non-negative factorisation X ~ W H by Lee and Seung's multiplicative updates, one
  update per progress step, so Stop works and the loss can be watched; vectors are W's rows.

The matrix stays sparse throughout (see :mod:`models.text.cooccurrence`). The loss reported is
the relative reconstruction error ||X - X_k||_F / ||X||_F of the matrix that was factorised.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from models.core.device import seed_everything
from models.core.events import STOP, Progress, Rate
from models.core.loop import Chunk, Pace, train_loop
from models.core.params import param, validate
from models.text.common import EVENT_SECONDS, MAP_WORDS, SNAPSHOT_SECONDS, prepare, run_stats, snapshot
from models.text.cooccurrence import count_steps
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding

NMF_EPS = 1e-12   # keeps the multiplicative updates finite where a numerator and denominator are both 0


@dataclass
class CoocConfig:
    dim: int = param(100, "Vector dimensions (factors kept)", low=2, high=1000)
    method: str = param("svd", "Factorisation: truncated SVD, eigendecomposition of the symmetric matrix, "
                        "or non-negative matrix factorisation", choices=("svd", "eig", "nmf"))
    window: int = param(5, "Context words on each side", low=1, high=50)
    ppmi: bool = param(True, "Factorise positive pointwise mutual information instead of raw counts")
    smoothing: float = param(0.75, "PPMI context-distribution smoothing: context counts raised to this "
                             "power, which tempers PMI's bias to rare contexts (1: off)", low=0.05, high=1.0,
                             advanced=True)
    distance_weighting: bool = param(True, "A pair d words apart counts 1/d (off: every pair in the window "
                                     "counts 1)", advanced=True)
    power: float = param(0.5, "svd and eig: vectors are U * s^power (1: classic LSA; 0.5 often better)",
                         low=0.0, high=1.0, advanced=True, when=("method", ("svd", "eig")))
    iterations: int = param(30, "nmf: multiplicative-update iterations", low=1, high=100_000,
                            when=("method", ("nmf",)))
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(10_000, "Keep only this many most frequent words: the matrix is this size "
                           "squared (sparse), and factorising takes longer as it grows", low=2, high=200_000)
    seed: int = param(1, "Random seed (starting vectors of the factorisation)", low=0, high=2**31 - 1,
                      advanced=True)


# --- the matrix ------------------------------------------------------------------------------

def ppmi(counts: sp.spmatrix, smoothing: float = 0.75) -> sp.csr_matrix:
    """max(0, log P(w, c) / (P(w) P_a(c))) on the nonzero counts, where P_a(c) is proportional to
    count(c)^smoothing. Zeros stay zeros (their PMI is -inf), so the result is as sparse."""
    coo = sp.coo_matrix(counts, dtype=np.float64)
    total = coo.sum()
    p_word = np.asarray(coo.sum(axis=1)).ravel() / total
    ctx = np.asarray(coo.sum(axis=0)).ravel() ** smoothing
    p_ctx = ctx / ctx.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(coo.data / total) - np.log(p_word[coo.row]) - np.log(p_ctx[coo.col])
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)


def _residual(norm2: float, captured2: float) -> float:
    """Relative error ||X - X_k|| / ||X|| of an orthogonal rank-k approximation capturing captured2."""
    return float(np.sqrt(max(0.0, 1.0 - captured2 / norm2))) if norm2 > 0 else 0.0


# --- the factorisations ----------------------------------------------------------------------

def truncated_svd(matrix: sp.spmatrix, k: int, rng: np.random.Generator):
    """The k largest singular triplets (U (n, k), s (k,) descending, Vt (k, m))."""
    v0 = rng.random(min(matrix.shape)) + 0.1
    u, s, vt = sla.svds(matrix, k=k, v0=v0)
    order = np.argsort(-s)
    return u[:, order], s[order], vt[order]


def symmetric_eig(matrix: sp.spmatrix, k: int, rng: np.random.Generator):
    """The k algebraically largest eigenpairs of a symmetric matrix (lambda descending, Q (n, k)).

    The largest, not the largest in magnitude: PPMI's leading positive directions carry meaning,
    its negative ones mostly the noise of the zeros."""
    v0 = rng.random(matrix.shape[0]) + 0.1
    lam, q = sla.eigsh(matrix, k=k, which="LA", v0=v0)
    order = np.argsort(-lam)
    return lam[order], q[:, order]


def _nmf_loss(norm2: float, W, XHt, HtH) -> float:
    """||X - W H||_F^2 from products already at hand, without forming W H."""
    return float(norm2 - 2.0 * np.sum(W * XHt) + np.sum((W.T @ W) * HtH))


def nmf_steps(X: sp.spmatrix, k: int, iterations: int, rng: np.random.Generator):
    """Lee and Seung's multiplicative updates for min ||X - W H||_F^2, W, H >= 0.

    A generator: yields ``(iteration, squared loss, W)`` after each update of W and H and returns
    ``(W, H, losses)``. Each update minimises a quadratic upper bound of the loss, so the loss never
    rises; float64 keeps rounding from breaking that. Send STOP to end after the current update.
    H is held transposed, (m, k) C-ordered, because sparse-times-dense is fastest that way.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    XT = X.T.tocsr()
    n, m = X.shape
    scale = np.sqrt(max(X.sum() / (n * m), 1e-12) / k)     # sklearn's scale for a random start
    W = scale * rng.random((n, k))
    Ht = scale * rng.random((m, k))
    norm2 = float(X.multiply(X).sum())
    losses = []
    for it in range(iterations):
        Ht *= (XT @ W) / (Ht @ (W.T @ W) + NMF_EPS)
        XHt = X @ Ht
        HtH = Ht.T @ Ht
        W *= XHt / (W @ HtH + NMF_EPS)
        losses.append(_nmf_loss(norm2, W, XHt, HtH))
        if (yield it + 1, losses[-1], W) == STOP:
            break
    return W, np.ascontiguousarray(Ht.T), losses


# --- the trainer -----------------------------------------------------------------------------

def _counting(config: CoocConfig, data, n_words: int):
    counts, stopped = yield from count_steps(data, n_words, config.window, config.distance_weighting)
    matrix = ppmi(counts, config.smoothing) if config.ppmi else counts
    return matrix, stopped


def _spectral(config: CoocConfig, matrix, k: int, rng):
    """svd or eig: one blocking library call, announced by a progress event."""
    what = "PPMI" if config.ppmi else "count"
    n = matrix.shape[0]
    if config.method == "svd":
        yield Progress(0, 1, unit="steps", message=f"Truncated SVD of the {n:,} x {n:,} {what} matrix")
        u, s, _ = truncated_svd(matrix, k, rng)
        return u * s ** config.power, _residual(float(matrix.multiply(matrix).sum()), float(np.sum(s ** 2)))
    sym = ((matrix + matrix.T) * 0.5).tocsr()       # PPMI with smoothing is not symmetric
    yield Progress(0, 1, unit="steps", message=f"Eigendecomposition of the {n:,} x {n:,} {what} matrix")
    lam, q = symmetric_eig(sym, k, rng)
    return q * np.abs(lam) ** config.power, _residual(float(sym.multiply(sym).sum()), float(np.sum(lam ** 2)))


class _Factorising:
    """The loop's steps for NMF: one multiplicative update of :func:`nmf_steps` a call, its loss
    reported relative to the matrix's norm."""

    def __init__(self, matrix, k: int, iterations: int, rng, labels):
        self.norm2 = float(matrix.multiply(matrix).sum())
        self.updates, self.iterations, self.labels = nmf_steps(matrix, k, iterations, rng), iterations, labels
        self.done, self.W = 0, None

    def relative(self, loss: float) -> float:
        return float(np.sqrt(max(loss, 0.0) / self.norm2)) if self.norm2 > 0 else 0.0

    def step(self, size: int) -> Chunk:
        self.done, loss, self.W = next(self.updates)
        return Chunk(self.done, self.relative(loss), message="Non-negative factorisation")

    def finished(self) -> bool:
        return self.done >= self.iterations

    def snapshot(self):
        return snapshot(self.W), self.labels

    def result(self, stopped: bool):
        """(W, the last relative loss, the curve) once the loop has returned."""
        if self.W is None:
            next(self.updates)      # one update at least turns the random start into vectors
        try:
            self.updates.send(STOP if stopped else None)
        except StopIteration as end:
            W, _, losses = end.value
        curve = [(i + 1, self.relative(v)) for i, v in enumerate(losses)]
        return W, curve[-1][1] if curve else float("nan"), curve


def _nmf(matrix, k: int, rng, labels, iterations: int):
    steps = _Factorising(matrix, k, iterations, rng, labels)
    run = yield from train_loop(steps, Progress(0, iterations, unit="iterations", message="Non-negative factorisation"),
                                Pace(event_seconds=EVENT_SECONDS, snapshot_seconds=SNAPSHOT_SECONDS))
    return steps.result(run.stopped)


def train(config: CoocConfig, corpus: Corpus):
    """Count, weight and factorise; a generator of :class:`Progress` returning a TrainedEmbedding."""
    validate(config)
    rng = seed_everything(config.seed)
    rate = Rate(1)
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, config.min_count, config.max_vocab)
    labels = tuple(vocab.words[:MAP_WORDS])
    matrix, stopped = yield from _counting(config, data, len(vocab))
    k = min(config.dim, len(vocab) - 1)
    if config.method == "nmf":
        # After a Stop while counting, one update still turns the random start into vectors.
        vectors, loss, losses = yield from _nmf(matrix, k, rng, labels, 1 if stopped else config.iterations)
        stopped = stopped or len(losses) < config.iterations
    else:
        vectors, loss = yield from _spectral(config, matrix, k, rng)
        losses = [(1, loss)]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    yield Progress(1, 1, loss=loss, unit="steps", message="Factorised", snapshot=snapshot(vectors), labels=labels)
    stats = run_stats("cooc", rate.elapsed, data.n_tokens, loss, "cpu", vocab, data, corpus, stopped,
                      method=config.method, dim=k, matrix_nonzeros=int(matrix.nnz),
                      matrix_density=matrix.nnz / float(len(vocab)) ** 2)
    return TrainedEmbedding("cooc", config, vocab, {"input": vectors}, stats, losses)
