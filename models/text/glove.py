"""GloVe (Pennington, Socher and Manning, 2014): weighted least squares on log co-occurrence counts.

For each nonzero X_ij of the symmetric, 1/distance-weighted co-occurrence matrix the loss is
0.5 f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2 with f(x) = min(1, (x / x_max)^alpha), so rare
pairs count less and very frequent ones do not dominate. Training is AdaGrad as in glove.c: a numba
kernel walks the shuffled nonzeros, one lock-free thread per share ("Hogwild"), and the word
vectors are w + c at the end. The loss reported is the mean of that term per nonzero.

A run can stop and go on later (``train(..., resume=model)``): the model keeps the AdaGrad sums
with the weights, and its state says which epoch and which entry of the shuffled order come next.
The order is shuffled once per run from the seed the run started with, as glove.c's shuffle tool
does, so it is the same after a restart (even if the seed setting was changed meanwhile); the loss
curve has a point per fixed block of entries (see models.text.resume). So with one thread a run
stopped and resumed gives the same weights and curve as one straight through.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np

from models.core.device import seed_everything, set_threads
from models.core.events import Progress
from models.core.loop import LossCurve, Pace, Sweep, continued, train_loop
from models.core.params import param, validate
from models.text.common import MAP_WORDS, SNAPSHOT_SECONDS, prepare, run_stats, snapshot
from models.text.cooccurrence import count_steps
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.resume import ResumeState, corpus_to_train, not_the_corpus

CHUNK_SECONDS = 0.15    # work between two yields: Stop and progress take effect this often
FIRST_CHUNK = 20_000    # entries in the first call, before CHUNK_SECONDS has been measured
MIN_CHUNK = 1000        # entries a call at least: fewer and the call costs more than its work
GRAD_CLIP = 100.0       # glove.c's bound on each component of a vector's gradient
LIGHT_WEIGHT = 0.05     # a pair weighing less than this in the loss barely moves its words' vectors


@dataclass
class GloVeConfig:
    dim: int = param(100, "Vector dimensions", low=2, high=1000)
    # Defaults for corpora of a few million to tens of millions of tokens, as Stanford's text8 demo
    # (17M tokens): there most pairs co-occur less than once (1/d weighting), and the paper's x_max
    # of 100, chosen for billions of tokens, would weigh nine pairs in ten under 0.05.
    window: int = param(15, "Context words on each side; a pair d words apart counts 1/d", low=1, high=50)
    epochs: int = param(15, "Passes over the nonzero co-occurrences", low=1, high=10_000)
    x_max: float = param(10.0, "Counts at or above x_max get full weight in the loss (the paper's 100 "
                         "suits corpora of billions of words)", low=1e-3, high=1e9, advanced=True)
    alpha: float = param(0.75, "Exponent of the weighting (x / x_max)^alpha below x_max", low=0.0, high=5.0,
                         advanced=True)
    lr: float = param(0.05, "AdaGrad initial learning rate of the vectors (the biases' is 1, as in glove.c)",
                       low=1e-6, high=10.0, advanced=True)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(20_000, "Keep only this many most frequent words (0: no cap)", low=0,
                           high=10_000_000, advanced=True)
    threads: int = param(0, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    seed: int = param(1, "Random seed (one thread gives the same vectors every run)", low=0, high=2**31 - 1,
                      advanced=True)

    # The window decides the co-occurrence entries the state counts through.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("window",)


@dataclass
class GloVeState(ResumeState):
    """ResumeState counting co-occurrence entries, not sentences: the next entry of the epoch in
    the shuffled order, how many there are, and the seed that shuffled them."""
    entry: int = 0
    corpus_entries: int = 0       # 0: the count was stopped before it finished
    order_seed: int = 0


def weighting(x, x_max: float, alpha: float = 0.75) -> np.ndarray:
    """f(x) = min(1, (x / x_max)^alpha): the weight of a co-occurrence count in the loss."""
    return np.minimum(1.0, (np.asarray(x, dtype=np.float64) / x_max) ** alpha)


@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _train_chunk(W, C, bw, bc, gW, gC, gbw, gbc, rows, cols, logx, fx, a, b, lr, n_threads, loss_out):
    """One AdaGrad step per nonzero in [a, b), ``n_threads`` threads each on a contiguous share.

    As in glove.c, the squared-gradient sums start at 1. A vector's sums accumulate the lr-scaled
    gradient (each component clipped to +-GRAD_CLIP first), so its first step is exactly
    -lr * gradient; a bias steps by its plain gradient over the root of its sums, so its first step
    is -1 * gradient. The biases must move that fast: they carry each word's log frequency, and
    if they lag, the vectors carry it instead, along one direction shared by every word, which
    leaves words of middling frequency at cosines near 1 to each other. Entry e's loss lands in
    loss_out[e - a].
    """
    dim = W.shape[1]
    span = b - a
    for t in numba.prange(n_threads):
        lo = a + span * t // n_threads
        hi = a + span * (t + 1) // n_threads
        for e in range(lo, hi):
            i, j = rows[e], cols[e]
            diff = bw[i] + bc[j] - logx[e]
            for k in range(dim):
                diff += W[i, k] * C[j, k]
            fdiff = fx[e] * diff
            loss_out[e - a] = 0.5 * fdiff * diff
            for k in range(dim):
                gw = lr * min(max(fdiff * C[j, k], -GRAD_CLIP), GRAD_CLIP)
                gc = lr * min(max(fdiff * W[i, k], -GRAD_CLIP), GRAD_CLIP)
                W[i, k] -= gw / math.sqrt(gW[i, k])
                C[j, k] -= gc / math.sqrt(gC[j, k])
                gW[i, k] += gw * gw
                gC[j, k] += gc * gc
            bw[i] -= fdiff / math.sqrt(gbw[i])
            bc[j] -= fdiff / math.sqrt(gbc[j])
            gbw[i] += fdiff * fdiff
            gbc[j] += fdiff * fdiff


class _Params:
    """Word and context vectors, biases and their AdaGrad sums, initialised as glove.c does."""

    def __init__(self, n: int, dim: int, rng: np.random.Generator):
        self.W = ((rng.random((n, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.C = ((rng.random((n, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.bw = ((rng.random(n, dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.bc = ((rng.random(n, dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.gW, self.gC = np.ones_like(self.W), np.ones_like(self.C)
        self.gbw, self.gbc = np.ones_like(self.bw), np.ones_like(self.bc)

    # Tensor names of the weights and of their AdaGrad sums, as a model saves them.
    NAMES = {"W": "words", "C": "output", "bw": "word_bias", "bc": "context_bias",
             "gW": "words_gradsq", "gC": "output_gradsq", "gbw": "word_bias_gradsq", "gbc": "context_bias_gradsq"}

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray]) -> "_Params":
        """Copies of a saved model's weights and AdaGrad sums (the model itself is left as it is)."""
        params = cls.__new__(cls)
        for attr, name in cls.NAMES.items():
            setattr(params, attr, np.array(tensors[name], dtype=np.float32, copy=True))
        return params

    def step(self, entries, a: int, b: int, lr: float, threads: int) -> np.ndarray:
        """AdaGrad over entries [a, b); returns the loss of each."""
        rows, cols, logx, fx = entries
        loss = np.empty(b - a)
        _train_chunk(self.W, self.C, self.bw, self.bc, self.gW, self.gC, self.gbw, self.gbc,
                     rows, cols, logx, fx, a, b, lr, max(1, min(threads, b - a)), loss)
        return loss

    def tensors(self) -> dict[str, np.ndarray]:
        return {"input": self.W + self.C, **{name: getattr(self, attr) for attr, name in self.NAMES.items()}}


def _entries(counts, config: GloVeConfig, seed: int):
    """The nonzeros as (rows, cols, log x, f(x)) arrays, shuffled once as glove.c's shuffle tool does,
    so every share of the kernel sees a mix of frequent and rare words. The order is a function of
    ``seed`` and the counts only (a stream apart from the starting weights'), so a resumed run
    walks the same order."""
    coo = counts.tocoo()
    order = np.random.default_rng((seed, 1)).permutation(coo.nnz)
    return (coo.row[order].astype(np.int32), coo.col[order].astype(np.int32),
            np.log(coo.data[order]).astype(np.float32),
            weighting(coo.data[order], config.x_max, config.alpha).astype(np.float32))


def light_share(fx: np.ndarray) -> float:
    """The share of nonzeros weighing less than LIGHT_WEIGHT in the loss."""
    return float(np.mean(fx < LIGHT_WEIGHT)) if len(fx) else 0.0


def weight_warning(fx: np.ndarray, x_max: float) -> str:
    """A sentence for the progress line when most pairs weigh next to nothing ("" otherwise): then
    most words learn at a fraction of the rate and stay near their random start, because x_max is
    too high for the corpus's counts. Every event of the run carries it, so it stays in view."""
    light = light_share(fx)
    if light <= 0.5:
        return ""
    return (f"{light:.0%} of the co-occurring pairs weigh under {LIGHT_WEIGHT} at x_max {x_max:g}: "
            f"lower x_max for a corpus this small")


def _map_vectors(params: _Params) -> np.ndarray:
    return snapshot(params.W[:MAP_WORDS] + params.C[:MAP_WORDS])


def train(config: GloVeConfig, corpus: Corpus, resume: TrainedEmbedding | None = None):
    """Count, then fit GloVe; a generator of :class:`Progress` returning a TrainedEmbedding.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more
    epochs), continued from where it ended."""
    validate(config)
    threads = set_threads(config.threads)
    t0 = time.perf_counter()
    vocab, data, state, losses, stopped = yield from corpus_to_train(config, "glove", corpus, resume, GloVeState)
    labels = tuple(vocab.words[:MAP_WORDS])
    rng = seed_everything(config.seed)
    params = _Params(len(vocab), config.dim, rng) if resume is None else _Params.from_tensors(resume.tensors)
    order_seed = config.seed if resume is None else state.order_seed
    entries, nnz, stopped = yield from _entries_of(config, data, len(vocab), corpus, resume, state, order_seed, stopped)
    warning = weight_warning(entries[3], config.x_max) if entries is not None else ""
    sweep = Sweep(config.epochs, nnz, lambda epoch, a, b: (params.step(entries, a, b, config.lr, threads), None),
                  lambda: (_map_vectors(params), labels), LossCurve(nnz, losses, state.bin_loss, state.bin_pairs),
                  state.epoch, state.entry, message=warning)
    verb = "Continuing" if resume is not None else "Training"
    first = sweep.first(f"{verb} GloVe on {threads} thread(s)" + (f". {warning}" if warning else ""), "pairs")
    run = yield from train_loop(sweep, first, Pace(CHUNK_SECONDS, FIRST_CHUNK, MIN_CHUNK, nnz,
                                                   snapshot_seconds=SNAPSHOT_SECONDS), stopped)
    stats = run_stats("glove", time.perf_counter() - t0, data.n_tokens, run.loss, "cpu", vocab, data, corpus,
                      not sweep.finished(), threads=threads, epochs_done=sweep.epoch, pairs_done=run.done,
                      nonzeros=nnz, pairs_per_second=run.per_second)
    continued(stats, resume, "resumed_at_pairs", run.start)
    state_out = GloVeState(sweep.epoch, 0, sweep.curve.bin_loss, sweep.curve.bin_pairs, data.n_sentences,
                           data.n_tokens, entry=sweep.at, corpus_entries=nnz, order_seed=order_seed)
    return TrainedEmbedding("glove", config, vocab, params.tensors(), stats, sweep.curve.points, state_out.to_json())


def _entries_of(config: GloVeConfig, data, n_words: int, corpus, resume, state: GloVeState, order_seed: int,
                stopped: bool):
    """A generator stage giving (entries or None, their number, stopped): the co-occurrences
    counted and shuffled, unless a STOP came first; a resumed run's must be as many as before."""
    nnz = state.corpus_entries
    if stopped:
        return None, nnz, True
    counts, stopped = yield from count_steps(data, n_words, config.window, harmonic=True)
    if stopped:
        return None, nnz, True
    if nnz and counts.nnz != nnz:
        raise not_the_corpus(corpus, resume, f"{counts.nnz:,} co-occurring pairs", f"{nnz:,}")
    return _entries(counts, config, order_seed), counts.nnz, False


def pair_counts(config: GloVeConfig, corpus: Corpus):
    """The co-occurrence count x of every word pair GloVe's loss weighs by f(x), counted as
    :func:`train` counts them (same vocabulary, window and 1/d weighting); a generator of Progress
    returning a float64 array with one entry per nonzero pair."""
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, config.min_count, config.max_vocab)
    counts, _ = yield from count_steps(data, len(vocab), config.window, harmonic=True)
    return counts.data.copy()
