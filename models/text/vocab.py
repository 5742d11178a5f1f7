"""Vocabulary: word counts, minimum count, maximum size, and the corpus encoded as integer ids."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.events import Progress
from models.errors import CorpusError, UnknownWordError
from models.text.corpus import Corpus, TokenIds


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
    """Words seen at least ``min_count`` times, the ``max_size`` most frequent (0 = no cap);
    ``sentences`` is a Corpus or a list of token lists."""
    return count_vocab(_token_ids(sentences), min_count, max_size, source)


def encode(sentences, vocab: Vocabulary) -> "EncodedCorpus":
    """``sentences`` (a Corpus or a list of token lists) as vocabulary ids."""
    return encode_ids(_token_ids(sentences), vocab)


def prepare_steps(sentences, min_count: int = 5, max_size: int = 0, source: str = "the corpus"):
    """Count words, choose the vocabulary and encode the corpus (a Corpus or a list of token
    lists), yielding progress; returns ``(Vocabulary, EncodedCorpus)``."""
    tokens = _token_ids(sentences)
    yield Progress(0, 2, unit="stages", message="Counting words")
    vocab = count_vocab(tokens, min_count, max_size, source)
    yield Progress(1, 2, unit="stages", message="Encoding the corpus")
    return vocab, encode_ids(tokens, vocab)


def encode_steps(sentences, vocab: Vocabulary):
    """Encode a corpus with a given vocabulary, yielding progress; returns an EncodedCorpus."""
    yield Progress(0, 1, unit="stages", message="Encoding the corpus")
    return encode(sentences, vocab)


def _token_ids(sentences) -> TokenIds:
    return sentences.token_ids if isinstance(sentences, Corpus) else TokenIds.from_sentences(sentences)


def count_vocab(tokens: TokenIds, min_count: int = 5, max_size: int = 0, source: str = "the corpus") -> Vocabulary:
    counts = np.bincount(tokens.ids, minlength=len(tokens.types))
    kept = np.flatnonzero(counts >= min_count)
    # Most frequent first, ties in alphabetical order, so that the ids do not depend on word order.
    ranked = sorted(zip((-counts[kept]).tolist(), [tokens.types[i] for i in kept]))
    if max_size:
        ranked = ranked[:max_size]
    if len(ranked) < 2:
        raise CorpusError(
            f"{source} has {len(ranked)} word(s) seen at least {min_count} times "
            f"({tokens.ids.size} tokens, {len(tokens.types)} distinct words).",
            "Use a larger corpus or lower the minimum count.")
    return Vocabulary([w for _, w in ranked], np.array([-c for c, _ in ranked], dtype=np.int64))


def encode_ids(tokens: TokenIds, vocab: Vocabulary) -> "EncodedCorpus":
    """Out-of-vocabulary words dropped, then sentences of fewer than two words."""
    index = vocab.index
    to_vocab = np.fromiter((index.get(w, -1) for w in tokens.types), dtype=np.int32, count=len(tokens.types))
    mapped = to_vocab[tokens.ids]
    known = mapped >= 0
    # Known words per sentence by binary search: a cumulative sum over every token took 60-90 ms
    # in one call, all of it holding the GIL.
    per_sentence = np.diff(np.searchsorted(np.flatnonzero(known), tokens.starts))
    long_enough = per_sentence > 1
    keep = known & np.repeat(long_enough, np.diff(tokens.starts))
    starts = np.zeros(int(long_enough.sum()) + 1, dtype=np.int64)
    np.cumsum(per_sentence[long_enough], out=starts[1:])
    return EncodedCorpus(mapped[keep], starts)


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
