"""Vocabulary: word counts, minimum count, maximum size, and the corpus encoded as integer ids."""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numba
import numpy as np

from models.core.events import Progress
from models.errors import CorpusError, UnknownWordError
from models.text.corpus import Corpus, TokenIds


@dataclass
class Vocabulary:
    words: list[str]          # most frequent first
    counts: np.ndarray        # int64, aligned with words

    def __post_init__(self):
        # Built in C, not by a comprehension: a worker's Python loop makes the window's thread wait
        # for the GIL at every one of its paint calls.
        self.index = dict(zip(self.words, range(len(self.words))))

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word) from None

    def missing(self, words) -> list[str]:
        return [w for w in words if w not in self.index]

    def to_json(self) -> dict:
        return {"words": self.words, "counts": self.counts.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "Vocabulary":
        return cls(list(data["words"]), np.asarray(data["counts"], dtype=np.int64))


def build_vocab(sentences, min_count: int = 5, max_size: int = 0, source: str = "the corpus") -> Vocabulary:
    """Words seen at least ``min_count`` times, the ``max_size`` most frequent (0 = no cap);
    ``sentences`` is a Corpus or a list of token lists."""
    return count_vocab(_token_ids(sentences), min_count, max_size, source)


def encode(sentences, vocab: Vocabulary) -> "EncodedCorpus":
    """``sentences`` (a Corpus or a list of token lists) as vocabulary ids."""
    return encode_ids(_token_ids(sentences), vocab)


def prepare_steps(sentences, min_count: int = 5, max_size: int = 0, source: str = "the corpus"):
    """Count words, choose the vocabulary and encode the corpus (a Corpus or a list of token
    lists), yielding progress; returns ``(Vocabulary, EncodedCorpus)``, made once per Corpus and
    settings."""
    kept = sentences.prepared if isinstance(sentences, Corpus) else {}
    if (min_count, max_size) in kept:
        return kept[min_count, max_size]
    tokens = _token_ids(sentences)
    yield Progress(0, 2, unit="stages", message="Counting words")
    vocab, ranked = _count(tokens, min_count, max_size, source)
    yield Progress(1, 2, unit="stages", message="Encoding the corpus")
    to_vocab = np.full(len(tokens.types), -1, dtype=np.int32)
    to_vocab[ranked] = np.arange(len(ranked), dtype=np.int32)
    kept[min_count, max_size] = vocab, _encode(tokens, to_vocab)
    return kept[min_count, max_size]


def encode_steps(sentences, vocab: Vocabulary):
    """Encode a corpus with a given vocabulary, yielding progress; returns an EncodedCorpus."""
    yield Progress(0, 1, unit="stages", message="Encoding the corpus")
    return encode(sentences, vocab)


def _token_ids(sentences) -> TokenIds:
    return sentences.token_ids if isinstance(sentences, Corpus) else TokenIds.from_sentences(sentences)


# Counting and encoding run in a worker while the window paints, and the window's thread needs the
# GIL for every paint call: so no step here holds the GIL long in one C call (a NumPy gather, mask
# or search over 5 million tokens did for up to 60 ms, sorted() on (count, word) tuples for 60 ms,
# NumPy strings for 15 ms) or runs a long Python loop (which makes every one of those paint calls
# wait up to the switch interval). The passes over every token are numba kernels without the GIL.

def count_vocab(tokens: TokenIds, min_count: int = 5, max_size: int = 0, source: str = "the corpus") -> Vocabulary:
    return _count(tokens, min_count, max_size, source)[0]


def _count(tokens: TokenIds, min_count: int, max_size: int, source: str) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary, and the type id of each of its words."""
    counts = _count_ids(tokens.ids, len(tokens.types))
    kept = np.flatnonzero(counts >= min_count)
    size = min(kept.size, max_size or kept.size)
    if size < 2:
        raise CorpusError(
            f"{source} has {size} word(s) seen at least {min_count} times "
            f"({tokens.ids.size} tokens, {len(tokens.types)} distinct words).",
            "Use a larger corpus or lower the minimum count.")
    # Most frequent first, ties in alphabetical order, so that the ids do not depend on word order:
    # sorted by count in NumPy, then each run of equal counts by word, a short sort each.
    kept = kept[np.argsort(-counts[kept], kind="stable")]
    kept_counts = counts[kept]
    names = operator.itemgetter(*kept.tolist())(tokens.types)
    ends = [*(np.flatnonzero(np.diff(kept_counts)) + 1).tolist(), kept.size]
    order, start = [], 0
    for end in ends:
        order.extend(sorted(range(start, end), key=names.__getitem__))
        start = end
        if start >= size:
            break
    order = np.array(order[:size])
    ranked = kept[order]
    return Vocabulary(list(operator.itemgetter(*order.tolist())(names)), kept_counts[order]), ranked


@numba.njit(cache=True, nogil=True)
def _count_ids(ids, n_types):
    counts = np.zeros(n_types, dtype=np.int64)
    for t in ids:
        counts[t] += 1
    return counts


def encode_ids(tokens: TokenIds, vocab: Vocabulary) -> "EncodedCorpus":
    """Out-of-vocabulary words dropped, then sentences of fewer than two words."""
    index = vocab.index
    return _encode(tokens, np.array([index.get(w, -1) for w in tokens.types], dtype=np.int32))


def _encode(tokens: TokenIds, to_vocab: np.ndarray) -> "EncodedCorpus":
    return EncodedCorpus(*_encode_kernel(tokens.ids, tokens.starts, to_vocab))


@numba.njit(cache=True, nogil=True)
def _encode_kernel(ids, starts, to_vocab):
    """Token ``ids`` mapped by ``to_vocab`` (-1: dropped); sentences left with one word dropped."""
    out = np.empty(ids.size, dtype=np.int32)
    kept_starts = np.empty(starts.size, dtype=np.int64)
    kept_starts[0] = 0
    n = kept = 0
    for s in range(starts.size - 1):
        begin = n
        for i in range(starts[s], starts[s + 1]):
            v = to_vocab[ids[i]]
            if v >= 0:
                out[n] = v
                n += 1
        if n - begin > 1:
            kept += 1
            kept_starts[kept] = n
        else:
            n = begin
    return out[:n].copy(), kept_starts[:kept + 1].copy()


@dataclass
class EncodedCorpus:
    """Sentences as one flat int32 id array plus start offsets; out-of-vocabulary words dropped."""
    ids: np.ndarray       # int32 (n_tokens,)
    starts: np.ndarray    # int64 (n_sentences + 1,): sentence i is ids[starts[i]:starts[i+1]]

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_sentences(self) -> int:
        return int(self.starts.shape[0] - 1)
