"""Vocabulary: word counts, minimum count, maximum size, and the corpus encoded as integer ids."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from models.core.events import Progress
from models.errors import CorpusError, UnknownWordError


@dataclass
class Vocabulary:
    words: list[str]          # most frequent first
    counts: np.ndarray        # int64, aligned with words

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}

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
    """Words seen at least ``min_count`` times, the ``max_size`` most frequent (0 = no cap)."""
    counts = Counter()
    for s in sentences:
        counts.update(s)
    return _choose(counts, min_count, max_size, source)


def _choose(counts: Counter, min_count: int, max_size: int, source: str) -> Vocabulary:
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    if max_size:
        kept = kept[:max_size]
    if len(kept) < 2:
        raise CorpusError(
            f"{source} has {len(kept)} word(s) seen at least {min_count} times "
            f"({sum(counts.values())} tokens, {len(counts)} distinct words).",
            "Use a larger corpus or lower the minimum count.")
    return Vocabulary([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64))


def prepare_steps(sentences, min_count: int = 5, max_size: int = 0, source: str = "the corpus",
                  every: int = 20_000):
    """Count words, choose the vocabulary and encode the corpus, yielding progress (a few seconds
    on the bundled corpus); returns ``(Vocabulary, EncodedCorpus)``."""
    n = len(sentences)
    counts = Counter()
    for a in range(0, n, every):
        for s in sentences[a:a + every]:
            counts.update(s)
        yield Progress(a, 2 * n, unit="lines", message="Counting words")
    vocab = _choose(counts, min_count, max_size, source)
    data = yield from encode_steps(sentences, vocab, every, done=n, total=2 * n)
    return vocab, data


def encode_steps(sentences, vocab: "Vocabulary", every: int = 20_000, done: int = 0, total: int = 0):
    """Encode the corpus with a given vocabulary, yielding progress; returns an EncodedCorpus."""
    n = len(sentences)
    parts = []
    for a in range(0, n, every):
        parts.append(encode(sentences[a:a + every], vocab))
        yield Progress(done + a, total or n, unit="lines", message="Encoding the corpus")
    return _concat(parts)


def _concat(parts: list["EncodedCorpus"]) -> "EncodedCorpus":
    ids = np.concatenate([p.ids for p in parts]) if parts else np.zeros(0, dtype=np.int32)
    offsets = np.cumsum([0] + [p.n_tokens for p in parts[:-1]])
    starts = np.concatenate([[0]] + [p.starts[1:] + o for p, o in zip(parts, offsets)]).astype(np.int64)
    return EncodedCorpus(ids, starts)


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


def encode(sentences, vocab: Vocabulary) -> EncodedCorpus:
    index = vocab.index
    ids: list[int] = []
    starts = [0]
    for s in sentences:
        enc = [index[w] for w in s if w in index]
        if len(enc) > 1:
            ids.extend(enc)
            starts.append(len(ids))
    return EncodedCorpus(np.asarray(ids, dtype=np.int32), np.asarray(starts, dtype=np.int64))
