"""A word-vector store: lookup, unit-normalised matrix, nearest neighbours.

Reading and writing files (word2vec text and binary, GloVe, fastText, projector TSV, .npy) is in
:mod:`models.vectors.formats`, which builds on this module; analogies and benchmarks are in
:mod:`models.vectors.evaluation`.
"""
from __future__ import annotations

import numpy as np

from models.errors import UnknownWordError


class WordVectors:
    def __init__(self, words: list[str], matrix: np.ndarray, metadata: dict[str, list[str]] | None = None):
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but a matrix of shape {matrix.shape}.")
        self.words = list(words)
        self.matrix = matrix
        # Extra per-word columns (a projector metadata.tsv's labels, classes, counts), by column name.
        self.metadata = {k: list(v) for k, v in (metadata or {}).items()}
        self.index = {w: i for i, w in enumerate(self.words)}
        self._unit: np.ndarray | None = None
        # Every view looks a word up by the index: a word it cannot hold, or a second row for one,
        # would be shown and never found (the file readers refuse these before they get here).
        if len(self.index) != len(self.words) or "" in self.index or not all(isinstance(w, str) for w in self.words):
            raise ValueError("a repeated, empty or non-text word among the words")
        if any(len(v) != len(self.words) for v in self.metadata.values()):
            raise ValueError("a metadata column whose length is not the number of words")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), computed once."""
        if self._unit is None:
            norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
            self._unit = self.matrix / np.where(norms > 0, norms, 1.0)
        return self._unit

    def vector(self, word: str) -> np.ndarray:
        try:
            return self.matrix[self.index[word]]
        except KeyError:
            raise UnknownWordError(word) from None

    def nearest(self, query: str | np.ndarray, k: int = 10, exclude=()) -> list[tuple[str, float]]:
        """The k words with the highest cosine similarity to a word or a vector."""
        if isinstance(query, str):
            exclude = set(exclude) | {query}
            q = self.unit[self.index_of(query)]
        else:
            q = np.asarray(query, dtype=np.float32)
            n = np.linalg.norm(q)
            q = q / n if n > 0 else q
        sims = self.unit @ q
        skip = [self.index[w] for w in exclude if w in self.index]
        sims[skip] = -np.inf
        k = min(k, len(self.words) - len(skip))
        top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.array([], dtype=int)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.words[i], float(sims[i])) for i in top]

    def similarity(self, a: str, b: str) -> float:
        return float(self.unit[self.index_of(a)] @ self.unit[self.index_of(b)])

    def index_of(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word) from None
