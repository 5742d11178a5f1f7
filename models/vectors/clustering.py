"""Groups for colouring a map: k-means clusters of word vectors, frequency bands, metadata classes.

Each function returns integer group labels aligned with the words plus the groups' names, so a
view can draw one layer (one brush) per group instead of one brush per point.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.cluster import MiniBatchKMeans

from models.core.events import Progress

OTHER = "other"


def kmeans_steps(x: np.ndarray, k: int = 8, seed: int = 0, batch: int = 4096, passes: int = 3):
    """Mini-batch k-means on unit rows, yielding :class:`Progress` between batches so a worker can
    cancel it; returns (labels int32 (n,), names)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    k = max(1, min(k, len(x)))
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=batch, n_init=3)
    order = np.random.default_rng(seed).permutation(len(x))
    # partial_fit needs at least k rows in its first batch.
    step = max(batch, k)
    starts = list(range(0, len(x), step)) * passes
    for i, start in enumerate(starts):
        rows = x[order[start:start + step]]
        if len(rows) >= k or i > 0:
            km.partial_fit(rows)
        yield Progress(step=i + 1, total_steps=len(starts) + 1, unit="batches", message="k-means")
    labels = km.predict(x).astype(np.int32)
    yield Progress(step=len(starts) + 1, total_steps=len(starts) + 1, unit="batches", message="k-means")
    return labels, [f"cluster {i + 1}" for i in range(k)]


def bands(values: np.ndarray, n_bands: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Equal-width bands of ``values``: (labels int32, band edges of length n_bands + 1)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, n_bands + 1)
    labels = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n_bands - 1)
    return labels.astype(np.int32), edges


def categories(column: list[str], max_groups: int = 8) -> tuple[np.ndarray, list[str]]:
    """The most common ``max_groups - 1`` values of a metadata column each get a group; the rest
    share the last one, named ``other``, so a legend stays readable."""
    counts = Counter(column)
    top = [v for v, _ in counts.most_common()]
    if len(top) > max_groups:
        top = top[:max_groups - 1]
    index = {v: i for i, v in enumerate(top)}
    other = len(top)
    labels = np.array([index.get(v, other) for v in column], dtype=np.int32)
    names = top + ([OTHER] if (labels == other).any() else [])
    return labels, names
