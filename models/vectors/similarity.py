"""Cosine-similarity matrices of a few words, ordered so that similar words sit together.

Used by the similarity heatmap; pure NumPy and SciPy so a script can print the same numbers.
"""
from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
from scipy.spatial.distance import squareform

from models.vectors.store import WordVectors

MODULE_WORDS = ("illinois", "chicago", "champaign", "indiana", "indianapolis", "bloomington")


def known_and_missing(vectors: WordVectors, words) -> tuple[list[str], list[str]]:
    """The words the vectors hold (first occurrence, in order) and those they do not."""
    known, missing = [], []
    for w in dict.fromkeys(words):
        (known if w in vectors else missing).append(w)
    return known, missing


def cosine_matrix(vectors: WordVectors, words: list[str]) -> np.ndarray:
    """(n, n) float32 cosines between the unit vectors of ``words`` (all must be known)."""
    unit = vectors.unit[[vectors.index_of(w) for w in words]]
    return np.clip(unit @ unit.T, -1.0, 1.0).astype(np.float32)


def one_hot_matrix(n: int) -> np.ndarray:
    """The cosines of n one-hot vectors: the identity, every pair of different words 0."""
    return np.eye(n, dtype=np.float32)


def cluster_order(sim: np.ndarray) -> np.ndarray:
    """Row order from average-linkage clustering on the distance 1 - cosine, with the leaves
    ordered so that neighbouring rows are as similar as the tree allows."""
    n = len(sim)
    if n < 3:
        return np.arange(n)
    dist = np.clip(1.0 - np.asarray(sim, dtype=np.float64), 0.0, 2.0)
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.0)
    condensed = squareform(dist, checks=False)
    tree = linkage(condensed, method="average")
    return leaves_list(optimal_leaf_ordering(tree, condensed))
