"""Two embeddings side by side, and every embedding scored on the same benchmarks.

Maps of two models are only comparable on the words both know, drawn in a common frame: each is
projected by PCA on its own, then the second is turned onto the first by orthogonal Procrustes, so
a difference on screen is a difference between the models, not an arbitrary rotation or reflection.
Neighbour overlap compares the models without any projection: of a word's k nearest neighbours
(among the shared words) in one model, the share that are also among its k nearest in the other.
"""
from __future__ import annotations

import numpy as np

from models.vectors import projection
from models.core.events import Progress
from models.vectors.evaluation import DEFAULT_ANALOGIES, DEFAULT_PAIRS, evaluate_analogies_steps, evaluate_word_pairs
from models.vectors.store import WordVectors

OVERLAP_K = 10
_BLOCK = 2048          # rows of one similarity block: bounds memory for many shared words


def shared_words(a: WordVectors, b: WordVectors, n: int) -> list[str]:
    """The first ``n`` words of ``a`` (most frequent first) that ``b`` also knows."""
    out = []
    for w in a.words:
        if w in b.index:
            out.append(w)
            if len(out) == n:
                break
    return out


def rows(vectors: WordVectors, words: list[str]) -> np.ndarray:
    """Unit vectors of ``words``, in that order."""
    return vectors.unit[[vectors.index[w] for w in words]]


def aligned_maps(a: WordVectors, b: WordVectors, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) PCA coordinates of ``words`` in each model, the second aligned to the first."""
    first = projection.pca(rows(a, words))
    second = projection.pca(rows(b, words))
    return first, projection.align(first, second)


def top_neighbours(unit: np.ndarray, k: int = OVERLAP_K) -> np.ndarray:
    """(n, k) indices of each row's k most cosine-similar other rows (unit rows), any order."""
    n = len(unit)
    k = min(k, n - 1)
    out = np.empty((n, max(k, 0)), dtype=np.int64)
    if k <= 0:
        return out
    for a in range(0, n, _BLOCK):
        sims = unit[a:a + _BLOCK] @ unit.T
        sims[np.arange(len(sims)), np.arange(a, a + len(sims))] = -np.inf
        out[a:a + _BLOCK] = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return out


def neighbour_overlap(unit_a: np.ndarray, unit_b: np.ndarray, k: int = OVERLAP_K) -> np.ndarray:
    """Per row, |top-k of a ∩ top-k of b| / k, both searched among the same rows."""
    na, nb = top_neighbours(unit_a, k), top_neighbours(unit_b, k)
    if na.shape[1] == 0:
        return np.full(len(unit_a), np.nan)
    return np.array([len(set(x) & set(y)) for x, y in zip(na.tolist(), nb.tolist())]) / na.shape[1]


# --- benchmark scores --------------------------------------------------------------------------

def score_steps(vectors: WordVectors, analogies=DEFAULT_ANALOGIES, pairs=DEFAULT_PAIRS):
    """The bundled benchmarks on one model: yields :class:`Progress` while the analogies are
    answered and returns a flat dict of figures (NaN where undefined), section accuracies under
    ``"section: NAME"``."""
    report = yield from evaluate_analogies_steps(vectors, analogies)
    yield Progress(1, 1, unit="questions", message="word-pair similarity")
    out = {"semantic": report.group_accuracy(False), "syntactic": report.group_accuracy(True),
           "analogy": report.accuracy, "analogy coverage": report.coverage}
    for path, name in zip(pairs, ("WS353", "SimLex")):
        score = evaluate_word_pairs(vectors, path)
        out[f"{name} ρ"] = score.spearman
        out[f"{name} coverage"] = score.coverage
    for s in report.sections:
        out[f"section: {s.name}"] = s.accuracy
    return out


def score_many_steps(named: list[tuple[object, WordVectors]], **files):
    """:func:`score_steps` for each (key, vectors) in turn, one progress bar over all of them;
    returns {key: figures}."""
    results = {}
    for i, (key, vectors) in enumerate(named):
        steps = score_steps(vectors, **files)
        try:
            while True:
                ev = next(steps)
                yield Progress(i * 1000 + int(1000 * ev.fraction), 1000 * len(named), unit="models",
                               message=f"model {i + 1}/{len(named)}: {ev.message}")
        except StopIteration as done:
            results[key] = done.value
    return results
