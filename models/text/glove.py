"""GloVe (Pennington, Socher and Manning, 2014): weighted least squares on log co-occurrence counts.

For each nonzero X_ij of the symmetric, 1/distance-weighted co-occurrence matrix the loss is
0.5 f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2 with f(x) = min(1, (x / x_max)^alpha), so rare
pairs count less and very frequent ones do not dominate. Training is AdaGrad as in glove.c: a numba
kernel walks the shuffled nonzeros, one lock-free thread per share ("Hogwild"), and the word
vectors are w + c at the end. The loss reported is the mean of that term per nonzero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from models.core.device import seed_everything, set_threads
from models.core.events import STOP, Every, Progress, Rate
from models.core.params import param, validate
from models.text.common import MAP_WORDS, SNAPSHOT_SECONDS, check_finite, prepare, run_stats, snapshot
from models.text.cooccurrence import count_steps
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding

CHUNK_SECONDS = 0.15    # work between two yields: Stop and progress take effect this often


@dataclass
class GloVeConfig:
    dim: int = param(100, "Vector dimensions", low=2, high=1000)
    window: int = param(10, "Context words on each side; a pair d words apart counts 1/d", low=1, high=50)
    epochs: int = param(10, "Passes over the nonzero co-occurrences", low=1, high=10_000)
    x_max: float = param(100.0, "Counts at or above x_max get full weight in the loss", low=1e-3, high=1e9,
                         advanced=True)
    alpha: float = param(0.75, "Exponent of the weighting (x / x_max)^alpha below x_max", low=0.0, high=5.0,
                         advanced=True)
    lr: float = param(0.05, "AdaGrad initial learning rate", low=1e-6, high=10.0, advanced=True)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(20_000, "Keep only this many most frequent words (0: no cap)", low=0,
                           high=10_000_000, advanced=True)
    threads: int = param(0, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    seed: int = param(1, "Random seed (one thread gives the same vectors every run)", low=0, high=2**31 - 1,
                      advanced=True)


def weighting(x, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """f(x) = min(1, (x / x_max)^alpha): the weight of a co-occurrence count in the loss."""
    return np.minimum(1.0, (np.asarray(x, dtype=np.float64) / x_max) ** alpha)


@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _train_chunk(W, C, bw, bc, gW, gC, gbw, gbc, rows, cols, logx, fx, a, b, lr, loss_out):
    """One AdaGrad step per nonzero in [a, b), ``len(loss_out)`` threads each on a contiguous share.

    As in glove.c, the squared-gradient sums start at 1 and accumulate the lr-scaled gradient, so
    a parameter's first step is exactly -lr * gradient. Loss sums per thread land in loss_out.
    """
    n_threads = loss_out.shape[0]
    dim = W.shape[1]
    span = b - a
    for t in numba.prange(n_threads):
        lo = a + span * t // n_threads
        hi = a + span * (t + 1) // n_threads
        loss = 0.0
        for e in range(lo, hi):
            i, j = rows[e], cols[e]
            diff = bw[i] + bc[j] - logx[e]
            for k in range(dim):
                diff += W[i, k] * C[j, k]
            fdiff = fx[e] * diff
            loss += 0.5 * fdiff * diff
            step = lr * fdiff
            for k in range(dim):
                gw = step * C[j, k]
                gc = step * W[i, k]
                W[i, k] -= gw / math.sqrt(gW[i, k])
                C[j, k] -= gc / math.sqrt(gC[j, k])
                gW[i, k] += gw * gw
                gC[j, k] += gc * gc
            bw[i] -= step / math.sqrt(gbw[i])
            bc[j] -= step / math.sqrt(gbc[j])
            gbw[i] += step * step
            gbc[j] += step * step
        loss_out[t] = loss


class _Params:
    """Word and context vectors, biases and their AdaGrad sums, initialised as glove.c does."""

    def __init__(self, n: int, dim: int, rng: np.random.Generator):
        self.W = ((rng.random((n, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.C = ((rng.random((n, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.bw = ((rng.random(n, dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.bc = ((rng.random(n, dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.gW, self.gC = np.ones_like(self.W), np.ones_like(self.C)
        self.gbw, self.gbc = np.ones_like(self.bw), np.ones_like(self.bc)

    def step(self, entries, a: int, b: int, lr: float, threads: int) -> float:
        """AdaGrad over entries [a, b); returns the loss summed over them."""
        rows, cols, logx, fx = entries
        loss = np.zeros(max(1, min(threads, b - a)))
        _train_chunk(self.W, self.C, self.bw, self.bc, self.gW, self.gC, self.gbw, self.gbc,
                     rows, cols, logx, fx, a, b, lr, loss)
        return float(loss.sum())

    def tensors(self) -> dict[str, np.ndarray]:
        return {"input": self.W + self.C, "words": self.W, "output": self.C,
                "word_bias": self.bw, "context_bias": self.bc}


def _entries(counts, config: GloVeConfig, rng: np.random.Generator):
    """The nonzeros as (rows, cols, log x, f(x)) arrays, shuffled once as glove.c's shuffle tool does,
    so every share of the kernel sees a mix of frequent and rare words."""
    coo = counts.tocoo()
    order = rng.permutation(coo.nnz)
    return (coo.row[order].astype(np.int32), coo.col[order].astype(np.int32),
            np.log(coo.data[order]).astype(np.float32),
            weighting(coo.data[order], config.x_max, config.alpha).astype(np.float32))


def train(config: GloVeConfig, corpus: Corpus):
    """Count, then fit GloVe; a generator of :class:`Progress` returning a TrainedEmbedding."""
    validate(config)
    threads = set_threads(config.threads)
    rng = seed_everything(config.seed)
    clock = Rate(1)
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, config.min_count, config.max_vocab)
    labels = tuple(vocab.words[:MAP_WORDS])
    counts, stopped = yield from count_steps(data, len(vocab), config.window, harmonic=True)
    entries = _entries(counts, config, rng)
    params = _Params(len(vocab), config.dim, rng)
    nnz = len(entries[0])
    total = config.epochs * nnz
    rate, snap_due = Rate(total), Every(SNAPSHOT_SECONDS)
    losses: list[tuple[int, float]] = []
    done, epoch, last_loss, chunk = 0, 0, float("nan"), min(nnz, 20_000)
    yield Progress(0, total, 0, config.epochs, unit="pairs", message=f"Training GloVe on {threads} thread(s)",
                   snapshot=snapshot(params.W + params.C), labels=labels)
    while epoch < config.epochs and not stopped:
        a = 0
        while a < nnz:
            b = min(nnz, a + chunk)
            t0 = rate.elapsed
            loss = params.step(entries, a, b, config.lr, threads)
            took = rate.elapsed - t0
            chunk = max(1000, int(chunk * min(4.0, max(0.25, CHUNK_SECONDS / max(took, 1e-4)))))
            last_loss = loss / (b - a)
            done += b - a
            a = b
            check_finite(last_loss)
            losses.append((done, last_loss))
            speed, eta = rate.update(done)
            snap = snapshot(params.W + params.C) if snap_due() else None
            reply = yield Progress(done, total, epoch + 1, config.epochs, last_loss, speed, eta, unit="pairs",
                                   snapshot=snap, labels=labels if snap is not None else None)
            if reply == STOP:
                stopped = True
                break
        epoch += 0 if stopped else 1
    seconds = clock.elapsed
    stats = run_stats("glove", seconds, data.n_tokens, last_loss, "cpu", vocab, data, corpus, stopped,
                      threads=threads, epochs_done=epoch, pairs_done=done, nonzeros=nnz,
                      pairs_per_second=done / rate.elapsed if rate.elapsed > 0 else 0.0)
    return TrainedEmbedding("glove", config, vocab, params.tensors(), stats, losses)
