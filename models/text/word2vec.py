"""Skip-gram and CBOW with negative sampling (Mikolov et al., 2013), trained as a progress generator.

Two kernels do the same arithmetic:

- on the CPU, a numba kernel in the style of word2vec.c: lock-free parallel SGD ("Hogwild") over
  parts of the corpus, one thread per part, the GIL released so the window stays responsive;
- on CUDA, batched Torch (:mod:`models.text.word2vec_torch`, imported only then, so that a run
  on the CPU never loads Torch): pairs are drawn on the CPU, gradients are computed for thousands
  of pairs at once and added back with ``index_add_``.

Both apply the same rules: frequent-word subsampling, a window shrunk at random per word,
negatives from the unigram^0.75 distribution, a learning rate decayed linearly to 1e-4 of its start.
The CPU's skip-gram draws one set of negatives per centre word, shared by its context words
(:func:`~models.text.sgns_kernel.shared_negatives_window`), where word2vec.c draws a set per pair.
The loss reported is the mean negative-sampling loss per positive pair,
-log s(u.v) - sum_k log s(-u.n_k), computed exactly (not a running sum that overflows).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from models.core.device import device_name, seed_everything, set_threads
from models.core.loop import Pace, continued, train_loop
from models.core.params import param, validate
from models.text.common import MAP_WORDS, SNAPSHOT_SECONDS, snapshot
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.resume import corpus_to_train, epoch_seed, sentence_sweep, sweep_state
from models.text.sampling import keep_probabilities
from models.text.sgns_kernel import (draw, negative_sampling_step, next_random, noise_sampler, sentence_rate,
                                     sentence_state, shared_negatives_window, subsampled)
from models.text.vocab import EncodedCorpus

CHUNK_SECONDS = 0.15      # work between two yields: Stop and progress take effect this often
FIRST_CHUNK = 2000        # sentences in the first call, before CHUNK_SECONDS has been measured


@dataclass
class SGNSConfig:
    dim: int = param(100, "Vector dimensions", low=2, high=1000)
    # Window 10 and 10 passes, not word2vec's 5 and 5: on a corpus of millions of words they lift
    # WordSim353 by 0.06 and analogies by 0.06 (README, "Every word-vector method"); on billions of
    # words fewer passes do.
    window: int = param(10, "Context words on each side (shrunk at random per word)", low=1, high=50)
    negative: int = param(5, "Negative samples per positive pair", low=1, high=50)
    epochs: int = param(10, "Passes over the corpus (fewer suffice for corpora of billions of words)",
                        low=1, high=10_000)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(0, "Keep only this many most frequent words (0: no cap)", low=0, high=10_000_000,
                           advanced=True)
    sample: float = param(1e-3, "Subsampling threshold for frequent words (0: off)", low=0.0, high=1.0,
                          advanced=True)
    lr: float = param(0.025, "Initial learning rate, decayed linearly to zero", low=1e-6, high=10.0,
                      advanced=True)
    threads: int = param(0, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    device: str = param("auto", "Where to train: auto picks CUDA when present", choices=("auto", "cpu", "cuda"),
                        advanced=True)
    seed: int = param(1, "Random seed (one thread on the CPU gives the same vectors every run)", low=0,
                      high=2**31 - 1, advanced=True)


@dataclass
class CBOWConfig(SGNSConfig):
    negative: int = param(10, "Negative samples per positive pair", low=1, high=50)
    lr: float = param(0.05, "Initial learning rate, decayed linearly to zero", low=1e-6, high=10.0, advanced=True)


# --- the CPU kernel --------------------------------------------------------------------------

@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _train_chunk(W, C, ids, starts, s0, s1, keep, sampler, window, negative, cbow, lr, tok_before, total,
                 seed, n_threads, loss_out, pairs_out):
    """Train on sentences [s0, s1) with ``n_threads`` threads, each on a contiguous share of them.
``ids`` and ``starts`` are those sentences' window of the corpus (EncodedCorpus.window): sentence
s's offsets are ``starts[s - s0]``, ``starts[s - s0 + 1]``, counted from the corpus's start.

    Sentence s trains at the learning rate of its place in the whole run,
    lr * max(LR_FLOOR, 1 - (tok_before + starts[s - s0]) / total), and draws its random numbers from
    :func:`~models.text.sgns_kernel.sentence_state`: with one thread, cutting the run into calls
    changes nothing.
    Sentence s's loss sum and pair count land in ``loss_out[s - s0]`` and ``pairs_out[s - s0]``.
    """
    dim = W.shape[1]
    span = s1 - s0
    base = starts[0]
    for t in numba.prange(n_threads):
        a = s0 + span * t // n_threads
        b = s0 + span * (t + 1) // n_threads
        neu1 = np.empty(dim, dtype=np.float32)
        neu1e = np.empty(dim, dtype=np.float32)
        sent = np.empty(1024, dtype=np.int32)
        inputs = np.empty(2 * window, dtype=np.int64)         # skip-gram's scratch
        targets = np.empty(negative + 1, dtype=np.int64)
        coef = np.empty((negative + 1, 2 * window), dtype=np.float32)
        grads = np.empty((2 * window, dim), dtype=np.float32)
        for s in range(a, b):
            rate = sentence_rate(lr, tok_before + starts[s - s0], total)
            n, state = subsampled(ids, starts[s - s0] - base, starts[s - s0 + 1] - base, keep,
                                  sentence_state(seed, s), sent)
            loss_sum = 0.0
            pairs = 0
            for pos in range(n):
                state = next_random(state)
                reduced = draw(state, window)
                lo = max(0, pos - window + reduced)
                hi = min(n, pos + window - reduced + 1)
                center = sent[pos]
                if cbow:
                    count = 0
                    neu1[:] = 0.0
                    for j in range(lo, hi):
                        if j != pos:
                            row = W[sent[j]]
                            for k in range(dim):
                                neu1[k] += row[k]
                            count += 1
                    if count == 0:
                        continue
                    inv = np.float32(1.0 / count)
                    for k in range(dim):
                        neu1[k] *= inv
                    neu1e[:] = 0.0
                    state, loss = negative_sampling_step(neu1, C, center, negative, sampler, rate, neu1e, state)
                    loss_sum += loss
                    for j in range(lo, hi):
                        if j != pos:
                            row = W[sent[j]]
                            for k in range(dim):
                                row[k] += neu1e[k]
                    pairs += 1
                else:
                    state, loss, n_pairs = shared_negatives_window(W, C, sent, lo, hi, pos, negative, sampler, rate,
                                                                   inputs, targets, coef, grads, state)
                    loss_sum += loss
                    pairs += n_pairs
            loss_out[s - s0] = loss_sum
            pairs_out[s - s0] = pairs


class _CpuKernel:
    def __init__(self, W: np.ndarray, C: np.ndarray, data: EncodedCorpus, keep, counts, cfg, cbow, threads):
        self.W, self.C, self.data, self.keep = W, C, data, keep
        self.sampler = noise_sampler(counts)
        self.cfg, self.cbow, self.threads = cfg, cbow, threads

    def run(self, s0: int, s1: int, tok_before: int, total: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Train sentences [s0, s1); their loss sums and pair counts, one entry per sentence."""
        loss, pairs = np.zeros(s1 - s0), np.zeros(s1 - s0, dtype=np.int64)
        ids, starts = self.data.window(s0, s1)
        _train_chunk(self.W, self.C, ids, starts, s0, s1, self.keep, self.sampler,
                     self.cfg.window, self.cfg.negative, self.cbow, self.cfg.lr, tok_before, total,
                     np.uint64(seed), max(1, min(self.threads, s1 - s0)), loss, pairs)
        return loss, pairs

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W, self.C


# --- the trainer -----------------------------------------------------------------------------

def _copy(weights) -> tuple[np.ndarray, ...]:
    return tuple(np.array(w, dtype=np.float32, copy=True) for w in weights)


def _start(config: SGNSConfig, name: str, corpus: Corpus, resume: TrainedEmbedding | None):
    """Vocabulary, encoded corpus, weights and where to begin: fresh, or from ``resume``'s state."""
    vocab, data, state, losses, stopped = yield from corpus_to_train(config, name, corpus, resume)
    rng = seed_everything(config.seed)
    if resume is None:
        # Uniform in [-1/dim, 1/dim), as gensim starts (word2vec.c's range is half as wide): over
        # five seeds on the bundled corpus that gave skip-gram WordSim353 +0.005 and analogy +0.003.
        # In place: the same float32 arithmetic without three temporaries as large as the matrix.
        W = rng.random((len(vocab), config.dim), dtype=np.float32)
        W *= 2
        W -= 1
        W /= config.dim
        return vocab, data, W, np.zeros_like(W), state, losses, stopped
    return vocab, data, resume.tensors["input"].copy(), resume.tensors["output"].copy(), state, losses, stopped


class _Training:
    """Skip-gram's or CBOW's part of the loop: a kernel over sentence chunks, the pairs trained, and
    the last weights of a map snapshot, which are kept if the loss turns infinite."""

    def __init__(self, kernel, config: SGNSConfig, data: EncodedCorpus, state, losses, labels, pairs_done: int):
        self.kernel, self.seed, self.labels, self.pairs_done = kernel, config.seed, labels, pairs_done
        self.sweep = sentence_sweep(config.epochs, data, state, losses, self.train, self.snapshot, self.diverged)
        self.good, self.good_at, self.diverged_at = None, 0, None     # the opening event's snapshot sets them

    def train(self, epoch: int, s0: int, s1: int):
        loss, pairs = self.kernel.run(s0, s1, epoch * self.sweep.per_epoch, self.sweep.total,
                                      epoch_seed(self.seed, epoch))
        self.pairs_done += int(pairs.sum())
        return loss, pairs

    def snapshot(self):
        # Into the same buffers each time: a fresh copy beside the old one cost two more weight
        # matrices at every snapshot, the largest part of the peak memory on a large vocabulary.
        weights = self.kernel.weights()
        if self.good is None:
            self.good = _copy(weights)
        else:
            for buffer, w in zip(self.good, weights):
                np.copyto(buffer, w)
        self.good_at = self.sweep.done
        return snapshot(self.kernel.W), self.labels

    def diverged(self, at: int) -> bool:
        self.diverged_at = at
        return True

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.good if self.diverged_at is not None else self.kernel.weights()


def train(config: SGNSConfig, corpus: Corpus, resume: TrainedEmbedding | None = None):
    """Train skip-gram (SGNSConfig) or CBOW (CBOWConfig) on ``corpus``; a generator of
    :class:`Progress` that returns a :class:`TrainedEmbedding`. Send STOP to finish early.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more
    epochs), continued from where it ended. With one CPU thread and the same seed, a run
    stopped and resumed gives the same weights and loss curve as one run straight through."""
    validate(config)
    cbow = isinstance(config, CBOWConfig)
    name = "cbow" if cbow else "sgns"
    device = device_name(config.device)
    threads = set_threads(config.threads)        # numba's thread count is per calling thread
    vocab, data, W, C, state, losses, stopped = yield from _start(config, name, corpus, resume)
    keep = keep_probabilities(vocab.counts, config.sample)
    if device == "cpu":
        kernel = _CpuKernel(W, C, data, keep, vocab.counts, config, cbow, threads)
    else:
        from models.text.word2vec_torch import TorchKernel      # deferred: Torch, which the CPU never needs

        kernel = TorchKernel(W, C, data, keep, vocab.counts, config, cbow, device)
    # (centre, context) pairs trained: the unit the full softmax's cost is stated in, to compare the two
    steps = _Training(kernel, config, data, state, losses, tuple(vocab.words[:MAP_WORDS]),
                      resume.stats.get("pairs_done", 0) if resume is not None else 0)
    where = f"{threads} thread(s)" if device == "cpu" else device
    first = steps.sweep.first(f"{'Continuing' if resume is not None else 'Training'} {name} on {where}", "words")
    pace = Pace(CHUNK_SECONDS, FIRST_CHUNK, 1, data.n_sentences, snapshot_seconds=SNAPSHOT_SECONDS)
    run = yield from train_loop(steps.sweep, first, pace, stopped)
    W, C = steps.weights()
    stats = _stats(name, run, steps, device, threads, vocab, data, corpus)
    continued(stats, resume, "resumed_at_words", run.start)
    # the weights kept after a divergence are from an earlier point than the one reached: not resumable
    state_out = sweep_state(steps.sweep, data).to_json() if steps.diverged_at is None else {}
    return TrainedEmbedding(name, config, vocab, {"input": np.ascontiguousarray(W), "output": np.ascontiguousarray(C)},
                            stats, steps.sweep.curve.points, state_out)


def _stats(name: str, run, steps: _Training, device: str, threads: int, vocab, data, corpus) -> dict:
    sweep = steps.sweep
    stats = {"model": name, "seconds": run.seconds, "words_per_second": run.per_second,
             "final_loss": run.loss, "device": device, "threads": threads if device == "cpu" else 0,
             "epochs_done": sweep.epoch, "words_done": run.done, "pairs_done": steps.pairs_done,
             "stopped_early": not sweep.finished(), "vocab_size": len(vocab), "corpus_tokens": data.n_tokens,
             "corpus": str(corpus.path)}
    if steps.diverged_at is not None:
        stats["diverged"] = (f"The loss became infinite or NaN after {steps.diverged_at:,} words; training "
                             f"stopped and kept the last finite weights, from {steps.good_at:,} words. "
                             "Lower the learning rate and train again.")
    return stats


def warm_up():
    """Train both models once on a few words, so that the kernels a first Train needs are loaded
    from numba's disk cache (or compiled) before the user asks: loading them held the GIL for
    60-80 ms, and the window's thread waits for the GIL at every paint. The app runs this in the
    background at start-up."""
    corpus = Corpus(Path("warm-up"), [["the", "cat", "sat", "on", "the", "mat"]] * 4)
    for config in (SGNSConfig(dim=4, epochs=1, min_count=1, sample=0, threads=1),
                   CBOWConfig(dim=4, epochs=1, min_count=1, sample=0, threads=1)):
        yield from train(config, corpus)
