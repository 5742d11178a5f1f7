"""Word2vec's sampling rules: frequent-word subsampling, the noise distribution, learning-rate decay."""
from __future__ import annotations

import numpy as np


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each word under subsampling (word2vec.c's formula, as gensim uses).

    With f = count / total and t = sample: p_keep = (sqrt(f / t) + 1) * t / f, capped at 1.
    A word at exactly frequency t is kept with probability 1 + ... >= 1, i.e. always; a word at
    frequency 100 t is kept about 11% of the time. ``sample <= 0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts, dtype=np.float32)
    threshold = sample * counts.sum()
    p = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(p, 1.0).astype(np.float32)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Unigram counts raised to ``power`` and normalised: the negative-sampling distribution."""
    w = np.asarray(counts, dtype=np.float64) ** power
    return w / w.sum()


def noise_table(counts: np.ndarray, power: float = 0.75, size: int = 10_000_000) -> np.ndarray:
    """A lookup table where word i fills a share of the slots equal to its noise probability,
    so drawing a negative is one random index (word2vec.c's unigram table)."""
    size = max(size, 100 * len(counts))
    cum = np.cumsum(noise_distribution(counts, power))
    slots = (np.arange(size, dtype=np.float64) + 0.5) / size
    return np.searchsorted(cum, slots).clip(0, len(counts) - 1).astype(np.int32)


def linear_lr(start: float, progress: float, floor: float = 1e-4) -> float:
    """Learning rate decayed linearly from ``start`` to ``start * floor`` as progress goes 0 -> 1."""
    return start * max(floor, 1.0 - progress)
