"""Vocabulary: word counts, minimum count, maximum size, and the corpus encoded as integer ids.

A corpus is encoded a chunk of sentences at a time into a :class:`~models.text.token_file.TokenSink`:
in memory for a corpus held in memory, else into files beside its token files in the corpus cache,
where a second training with the same settings finds them.
"""
from __future__ import annotations

import contextlib
import hashlib
import operator
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from models.core.events import Progress, drain
from models.core.writing import staged
from models.errors import CorpusError, UnknownWordError
from models.text.corpus import Corpus, TokenIds
from models.text.token_file import DiskArray, TokenSink, sentence_chunks, sentence_window

ENCODE_TOKENS = 4_000_000       # tokens encoded between two progress events


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
    return drain(encode_steps(sentences, vocab))


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
    to_vocab = np.full(len(tokens.types), -1, dtype=np.int32)
    to_vocab[ranked] = np.arange(len(ranked), dtype=np.int32)
    data = yield from _encode_steps(tokens, to_vocab, _cache(sentences, f"{min_count}-{max_size}"))
    kept[min_count, max_size] = vocab, data
    return kept[min_count, max_size]


def encode_steps(sentences, vocab: Vocabulary):
    """Encode a corpus with a given vocabulary, yielding progress; returns an EncodedCorpus."""
    tokens = _token_ids(sentences)
    index = vocab.index
    to_vocab = np.array([index.get(w, -1) for w in tokens.types], dtype=np.int32)
    words = hashlib.sha256("\n".join(vocab.words).encode("utf-8")).hexdigest()[:16]
    return (yield from _encode_steps(tokens, to_vocab, _cache(sentences, f"vocab-{words}")))


def _token_ids(sentences) -> TokenIds:
    return sentences.token_ids if isinstance(sentences, Corpus) else TokenIds.from_sentences(sentences)


def _cache(sentences, name: str) -> tuple[Path, Path] | None:
    """Where the encoding called ``name`` of a corpus whose tokens are on disk is kept."""
    folder = sentences.cache if isinstance(sentences, Corpus) else None
    if folder is None or not folder.is_dir():
        return None
    return folder / f"encoded-{name}.i32", folder / f"encoded-{name}.starts.i64"


# Counting and encoding run in a worker while the window paints, and the window's thread needs the
# GIL for every paint call: so no step here holds the GIL long in one C call (a NumPy gather, mask
# or search over 5 million tokens did for up to 60 ms, sorted() on (count, word) tuples for 60 ms,
# NumPy strings for 15 ms) or runs a long Python loop (which makes every one of those paint calls
# wait up to the switch interval). The passes over every token are numba kernels without the GIL.

def count_vocab(tokens: TokenIds, min_count: int = 5, max_size: int = 0, source: str = "the corpus") -> Vocabulary:
    return _count(tokens, min_count, max_size, source)[0]


def _count(tokens: TokenIds, min_count: int, max_size: int, source: str) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary, and the type id of each of its words."""
    counts = tokens.type_counts()
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


def _encode_steps(tokens: TokenIds, to_vocab: np.ndarray, paths: tuple[Path, Path] | None = None):
    """``tokens`` mapped by ``to_vocab`` a chunk of sentences at a time, into memory, or into the
    files ``paths`` (found there when a run before made them)."""
    if paths is not None and (found := _open_encoded(paths)) is not None:
        return found
    total = int(tokens.starts[-1])
    with (staged() if paths is not None else contextlib.nullcontext()) as out, (
            TokenSink(out, *paths, spill=0) if paths is not None else TokenSink()) as sink:
        for s0, s1 in sentence_chunks(tokens.starts, ENCODE_TOKENS):
            ids, offsets = sentence_window(tokens.ids, tokens.starts, s0, s1)
            kept, kept_starts = _encode_kernel(ids, offsets - offsets[0], to_vocab)
            sink.add(kept, np.diff(kept_starts))
            yield Progress(int(offsets[-1]), total, unit="words", message="Encoding the corpus")
        arrays = sink.finish()
    return EncodedCorpus(*arrays) if arrays is not None else _open_encoded(paths)


def _open_encoded(paths: tuple[Path, Path]) -> "EncodedCorpus | None":
    try:
        ids, starts = DiskArray(paths[0], np.int32), DiskArray(paths[1], np.int64)
    except OSError:
        return None
    return EncodedCorpus(ids, starts) if len(starts) and int(starts[-1]) == ids.size else None


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
    """Sentences as one flat int32 id array plus start offsets; out-of-vocabulary words dropped.
    For a large corpus both are DiskArrays: read them a window of sentences at a time."""
    ids: np.ndarray       # int32 (n_tokens,)
    starts: np.ndarray    # int64 (n_sentences + 1,): sentence i is ids[starts[i]:starts[i+1]]

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    def window(self, s0: int, s1: int) -> tuple[np.ndarray, np.ndarray]:
        """Sentences [s0, s1): see models.text.token_file.sentence_window."""
        return sentence_window(self.ids, self.starts, s0, s1)

    @property
    def n_sentences(self) -> int:
        return int(self.starts.shape[0] - 1)
