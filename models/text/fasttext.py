"""FastText (Bojanowski et al., 2017): skip-gram with negative sampling where a word's input vector
is the mean of its own vector and the vectors of its character n-grams.

The n-grams are taken from ``<word>``, with ``<`` and ``>`` marking the start and end, so the
prefix ``<ch`` differs from the ``ch`` inside a word. They are hashed into ``buckets`` shared
rows, so memory stays fixed however many distinct n-grams the corpus holds. A word never seen in
training still gets a vector: the mean of its n-gram rows. That is why the result is a
:class:`FastTextEmbedding`, whose vectors answer for any word.

The CPU kernel follows :func:`models.text.word2vec._train_chunk` (Hogwild numba threads, word2vec's
subsampling, shrinking window, unigram^0.75 negatives and linear learning-rate decay) and shares
its negative-sampling step (:mod:`models.text.sgns_kernel`). It takes the same SGD steps as
gensim's FastText skip-gram, one per (centre, context) pair; see :func:`_train_chunk` for how it
keeps a centre's n-gram rows from being read and written once per pair.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np

from models.core.device import seed_everything, set_threads
from models.core.loop import Pace, continued, train_loop
from models.core.params import param, validate
from models.errors import UnknownWordError
from models.text.common import MAP_WORDS, SNAPSHOT_SECONDS, run_stats, snapshot
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.resume import corpus_to_train, epoch_seed, sentence_sweep, sweep_state
from models.text.sampling import keep_probabilities
from models.text.sgns_kernel import (draw, negative_sampling_step, next_random, noise_sampler, prefetch_rows,
                                     sentence_rate, sentence_state, subsampled)
from models.text.word2vec import CHUNK_SECONDS
from models.vectors.store import WordVectors

FIRST_CHUNK = 500         # sentences in the first call, before CHUNK_SECONDS has been measured


@dataclass
class FastTextConfig:
    dim: int = param(100, "Vector dimensions", low=2, high=1000)
    min_n: int = param(3, "Shortest character n-gram (of <word>, with boundary marks)", low=1, high=20)
    max_n: int = param(6, "Longest character n-gram (0 or less than min_n: no n-grams, plain skip-gram)",
                       low=0, high=20)
    buckets: int = param(200_000, "Hash buckets shared by all n-grams. fastText uses 2,000,000; this default "
                         "keeps the n-gram matrix near 80 MB at 100 dimensions", low=1, high=10_000_000,
                         advanced=True)
    window: int = param(5, "Context words on each side (shrunk at random per word)", low=1, high=50)
    negative: int = param(5, "Negative samples per positive pair", low=1, high=50)
    epochs: int = param(2, "Passes over the corpus", low=1, high=10_000)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(0, "Keep only this many most frequent words (0: no cap)", low=0, high=10_000_000,
                           advanced=True)
    sample: float = param(1e-4, "Subsampling threshold for frequent words (0: off)", low=0.0, high=1.0,
                          advanced=True)
    lr: float = param(0.05, "Initial learning rate, decayed linearly to zero", low=1e-6, high=10.0,
                      advanced=True)
    threads: int = param(0, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    seed: int = param(1, "Random seed (one thread gives the same vectors every run)", low=0, high=2**31 - 1,
                      advanced=True)

    # They decide which rows each word's n-grams are: a model can only be continued with its own.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("min_n", "max_n", "buckets")


# --- subwords --------------------------------------------------------------------------------

def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[str]:
    """The character n-grams of ``<word>``, min_n <= n <= max_n, by start position then length
    (fastText's order). char_ngrams("chicken", 3, 3) gives <ch chi hic ick cke ken en>."""
    marked = f"<{word}>"
    return [marked[i:i + n] for i in range(len(marked)) for n in range(min_n, max_n + 1)
            if i + n <= len(marked)]


def bucket(ngram: str, buckets: int) -> int:
    """The hash row of an n-gram. CRC-32 of the UTF-8 bytes: stable across runs and platforms
    (Python's hash() is salted per process) and computed in C."""
    return zlib.crc32(ngram.encode("utf-8")) % buckets


def ngram_rows(word: str, config: FastTextConfig) -> list[int]:
    """Bucket rows (0-based within the n-gram matrix) of a word's n-grams."""
    return [bucket(g, config.buckets) for g in char_ngrams(word, config.min_n, config.max_n)]


def subword_table(words: list[str], config: FastTextConfig) -> tuple[np.ndarray, np.ndarray]:
    """CSR rows of the input matrix for each word: its own row first, then V + its n-gram buckets."""
    n = len(words)
    rows = [[i] + [n + b for b in ngram_rows(w, config)] for i, w in enumerate(words)]
    ptr = np.zeros(n + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    return ptr, np.fromiter((x for r in rows for x in r), dtype=np.int32, count=int(ptr[-1]))


@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _compose(W, ptr, idx, out):
    """out[w] = mean of the input rows listed for word w."""
    for w in numba.prange(out.shape[0]):
        out[w, :] = 0.0
        for p in range(ptr[w], ptr[w + 1]):
            out[w, :] += W[idx[p]]
        out[w, :] /= max(1, ptr[w + 1] - ptr[w])


# --- the CPU kernel --------------------------------------------------------------------------

@numba.njit(parallel=True, fastmath=True, nogil=True, cache=True)
def _train_chunk(W, C, ptr, idx, ids, starts, s0, s1, keep, sampler, window, negative, lr, tok_before, total,
                 seed, n_threads, loss_out, pairs_out):
    """Skip-gram over sentences [s0, s1) with subword inputs, as gensim's FastText trains it.

    ``n_threads`` threads each take a contiguous share of the sentences (Hogwild: no locks).
    As in :func:`models.text.word2vec._train_chunk`, sentence s trains at the learning rate of its
    place in the whole run, lr * max(LR_FLOOR, 1 - (tok_before + starts[s - s0]) / total), and draws
    from :func:`~models.text.sgns_kernel.sentence_state`: with one thread, cutting the run into
    calls (or stopping and resuming it) changes nothing. Sentence s's loss sum and pair count land
    in ``loss_out[s - s0]`` and ``pairs_out[s - s0]``. ``ids`` and ``starts`` are the sentences'
    window of the corpus, as the word2vec kernel takes them.

    The input vector of a centre word is the sum of its rows (its own and its n-grams') over the
    number of n-grams (or 1). Every (centre, context) pair is one SGD step, as in fastText and gensim: the
    gradient for the input goes to every row, which moves the input by a known multiple of it
    (exactly, unless a row is listed twice, which a hash collision can do). So rather than writing
    all the rows after each pair (or recomputing the input from them, as gensim does), the kernel
    moves the input it holds, and writes the rows once per centre with the sum of its pairs'
    gradients: the same steps, with the rows touched three times per centre instead of three
    times per pair.
    """
    dim = W.shape[1]
    span = s1 - s0
    base = starts[0]
    for t in numba.prange(n_threads):
        a = s0 + span * t // n_threads
        b = s0 + span * (t + 1) // n_threads
        hidden = np.empty(dim, dtype=np.float32)
        hidden0 = np.empty(dim, dtype=np.float32)
        grad = np.empty(dim, dtype=np.float32)
        sent = np.empty(1024, dtype=np.int32)
        for s in range(a, b):
            rate = sentence_rate(lr, tok_before + starts[s - s0], total)
            n, state = subsampled(ids, starts[s - s0] - base, starts[s - s0 + 1] - base, keep,
                                  sentence_state(seed, s), sent)
            loss_sum = 0.0
            pairs = 0
            if n > 0:
                prefetch_rows(W, idx, ptr[sent[0]], ptr[sent[0] + 1])
            for pos in range(n):
                if pos + 1 < n:         # the next centre's rows load while this one trains
                    prefetch_rows(W, idx, ptr[sent[pos + 1]], ptr[sent[pos + 1] + 1])
                state = next_random(state)
                reduced = draw(state, window)
                lo = max(0, pos - window + reduced)
                hi = min(n, pos + window - reduced + 1)
                if hi - lo < 2:
                    continue
                center = sent[pos]
                p0, p1 = ptr[center], ptr[center + 1]
                row = W[idx[p0]]
                for k in range(dim):
                    hidden[k] = row[k]
                for p in range(p0 + 1, p1):
                    row = W[idx[p]]
                    for k in range(dim):
                        hidden[k] += row[k]
                # The rows' sum divided by the number of n-grams, not of rows, as gensim trains
                # (fastText divides by the rows): short words, the frequent ones, get a longer input
                # vector. On the benchmark it lifts analogy accuracy from 0.379 to 0.398 (gensim:
                # 0.388; five runs each) and brings the vectors' spread to gensim's.
                inv = np.float32(1.0) / np.float32(max(1, p1 - p0 - 1))
                grow = np.float32(p1 - p0) * inv    # how far the input moves when every row moves by 1
                for k in range(dim):
                    hidden[k] *= inv
                    hidden0[k] = hidden[k]
                for j in range(lo, hi):
                    if j == pos:
                        continue
                    for k in range(dim):
                        grad[k] = 0.0
                    state, loss = negative_sampling_step(hidden, C, sent[j], negative, sampler, rate, grad, state)
                    for k in range(dim):
                        hidden[k] += grow * grad[k]
                    loss_sum += loss
                    pairs += 1
                # Every row gets the whole gradient of each pair, as in fastText and gensim.
                shrink = np.float32(1.0) / grow
                for k in range(dim):
                    grad[k] = (hidden[k] - hidden0[k]) * shrink
                for p in range(p0, p1):
                    row = W[idx[p]]
                    for k in range(dim):
                        row[k] += grad[k]
            loss_out[s - s0] = loss_sum
            pairs_out[s - s0] = pairs


# --- the result: vectors for any word --------------------------------------------------------

class SubwordVectors(WordVectors):
    """Word vectors that also answer for words outside the vocabulary, from their n-grams."""

    def __init__(self, words, matrix, ngrams: np.ndarray, config: FastTextConfig):
        super().__init__(words, matrix)
        self.ngrams = np.asarray(ngrams, dtype=np.float32)
        self.config = config
        if self.ngrams.shape != (config.buckets, self.dim):      # an unseen word hashes into every bucket
            raise ValueError(f"n-gram vectors of shape {self.ngrams.shape} for {config.buckets} buckets of {self.dim}")

    def vector(self, word: str) -> np.ndarray:
        if word in self.index:
            return super().vector(word)
        rows = ngram_rows(word, self.config) if self.config.max_n >= self.config.min_n else []
        if not rows:
            raise UnknownWordError(word, "It has no character n-grams to build a vector from.")
        return self.ngrams[rows].mean(axis=0)

    def nearest(self, query, k: int = 10, exclude=()):
        if isinstance(query, str) and query not in self.index:
            return super().nearest(self.vector(query), k, exclude)
        return super().nearest(query, k, exclude)


class FastTextEmbedding(TrainedEmbedding):
    """A TrainedEmbedding whose ``vectors`` build vectors for unseen words from the "ngrams" tensor."""

    @property
    def vectors(self) -> SubwordVectors:
        if not hasattr(self, "_vectors"):
            self._vectors = SubwordVectors(self.vocab.words, self.tensors["input"], self.tensors["ngrams"],
                                           self.config)
        return self._vectors


# --- the trainer -----------------------------------------------------------------------------

class _Kernel:
    def __init__(self, words: list[str], data, config: FastTextConfig, keep, sampler, threads, W, C):
        self.n_words, self.data, self.config = len(words), data, config
        self.keep, self.sampler, self.threads = keep, sampler, threads
        self.ptr, self.idx = subword_table(words, config) if config.max_n >= config.min_n else (
            np.arange(len(words) + 1, dtype=np.int64), np.arange(len(words), dtype=np.int32))
        self.W, self.C = W, C

    def run(self, s0: int, s1: int, tok_before: int, total: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Train sentences [s0, s1); their loss sums and pair counts, one entry per sentence."""
        loss, pairs = np.zeros(s1 - s0), np.zeros(s1 - s0, dtype=np.int64)
        cfg = self.config
        ids, starts = self.data.window(s0, s1)
        _train_chunk(self.W, self.C, self.ptr, self.idx, ids, starts, s0, s1, self.keep,
                     self.sampler, cfg.window, cfg.negative, cfg.lr, tok_before, total, np.uint64(seed),
                     max(1, min(self.threads, s1 - s0)), loss, pairs)
        return loss, pairs

    def word_vectors(self) -> np.ndarray:
        out = np.empty((self.n_words, self.W.shape[1]), dtype=np.float32)
        _compose(self.W, self.ptr, self.idx, out)
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        return {"input": self.word_vectors(), "words": self.W[:self.n_words].copy(),
                "ngrams": self.W[self.n_words:].copy(), "output": self.C}


def _top_vectors(kernel: _Kernel) -> np.ndarray:
    """The composed vectors of the map's words only, so a snapshot stays cheap."""
    n = min(MAP_WORDS, kernel.n_words)
    out = np.empty((n, kernel.W.shape[1]), dtype=np.float32)
    _compose(kernel.W, kernel.ptr[:n + 1], kernel.idx, out)
    return snapshot(out)


def _weights(config: FastTextConfig, n_words: int, resume: FastTextEmbedding | None):
    """The input rows (words, then n-gram buckets) and output rows: fastText's uniform start, or
    copies of ``resume``'s."""
    rng = seed_everything(config.seed)
    if resume is not None:
        return (np.concatenate([resume.tensors["words"], resume.tensors["ngrams"]]).astype(np.float32, copy=False),
                resume.tensors["output"].astype(np.float32, copy=True))
    bound = 1.0 / config.dim
    W = rng.uniform(-bound, bound, (n_words + config.buckets, config.dim)).astype(np.float32)
    return W, np.zeros((n_words, config.dim), dtype=np.float32)


def train(config: FastTextConfig, corpus: Corpus, resume: FastTextEmbedding | None = None):
    """Train FastText on ``corpus``; a generator of Progress returning a FastTextEmbedding.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more
    epochs), continued from where it ended; with one thread and the same seed, a run stopped and
    resumed gives the same weights and loss curve as one run straight through."""
    validate(config)
    threads = set_threads(config.threads)
    vocab, data, state, losses, stopped = yield from corpus_to_train(config, "fasttext", corpus, resume)
    W, C = _weights(config, len(vocab), resume)
    kernel = _Kernel(vocab.words, data, config, keep_probabilities(vocab.counts, config.sample),
                     noise_sampler(vocab.counts), threads, W, C)
    labels = tuple(vocab.words[:MAP_WORDS])
    sweep = sentence_sweep(config.epochs, data, state, losses,
                           lambda epoch, s0, s1: kernel.run(s0, s1, epoch * data.n_tokens, sweep.total,
                                                            epoch_seed(config.seed, epoch)),
                           lambda: (_top_vectors(kernel), labels))
    verb = "Continuing" if resume is not None else "Training"
    pace = Pace(CHUNK_SECONDS, FIRST_CHUNK, 1, data.n_sentences, snapshot_seconds=SNAPSHOT_SECONDS)
    run = yield from train_loop(sweep, sweep.first(f"{verb} FastText on {threads} thread(s)", "words"), pace, stopped)
    stats = run_stats("fasttext", run.seconds, run.done - run.start, run.loss, "cpu", vocab, data, corpus,
                      not sweep.finished(), threads=threads, epochs_done=sweep.epoch, buckets=config.buckets)
    stats["words_done"] = run.done          # where the run stands, counted from its start, not this call's
    continued(stats, resume, "resumed_at_words", run.start)
    return FastTextEmbedding("fasttext", config, vocab, kernel.tensors(), stats, sweep.curve.points,
                             sweep_state(sweep, data).to_json())
