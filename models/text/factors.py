"""X ~ W H made visible: the co-occurrence (or PPMI) matrix of a corpus's most frequent words as a
dense array beside the two factors the counting model finds, and how much of X they miss.

The counting model (:mod:`models.text.cooc`) factorises a matrix of thousands of words and keeps
only the word vectors; here the matrix is small enough to draw (a few hundred words) and both
factors are kept, in the form X ~ W H each method gives:

- ``svd``: X ~ (U S) Vt, so W = U S and H = Vt;
- ``eig``: the symmetrised X ~ (Q Lambda) Q^T, so W = Q Lambda and H = Q^T;
- ``nmf``: X ~ W H with W, H >= 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.device import seed_everything
from models.core.events import Progress, drain
from models.text.common import prepare
from models.text.cooc import nmf_steps, ppmi, symmetric_eig, truncated_svd
from models.text.cooccurrence import count_steps
from models.text.corpus import Corpus


@dataclass(frozen=True)
class Factors:
    words: list[str]        # the rows and columns of X, most frequent first
    X: np.ndarray           # (n, n) float32: the matrix factorised
    W: np.ndarray           # (n, k) float32
    H: np.ndarray           # (k, n) float32
    method: str
    what: str               # "PPMI" or "co-occurrence counts"

    @property
    def error(self) -> float:
        """||X - W H||_F / ||X||_F: the share of X (in the Frobenius norm) the k factors miss."""
        norm = float(np.linalg.norm(self.X))
        return float(np.linalg.norm(self.X - self.W @ self.H)) / norm if norm > 0 else 0.0


def factor_steps(corpus: Corpus, words: int = 300, k: int = 20, method: str = "svd", use_ppmi: bool = True,
                 window: int = 5, seed: int = 1, iterations: int = 200):
    """Count the ``words`` most frequent words' co-occurrences, weight them (PPMI) and factorise
    the matrix into rank ``k``; a generator of Progress returning :class:`Factors`."""
    rng = seed_everything(seed)
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, 1, words)
    counts = yield from count_steps(data, len(vocab), window)
    counts = counts[0]
    matrix = ppmi(counts) if use_ppmi else counts
    k = max(1, min(k, len(vocab) - 1))
    yield Progress(1, 2, unit="steps", message=f"Factorising the {len(vocab)} x {len(vocab)} matrix by {method}")
    X = matrix.toarray()
    if method == "svd":
        u, s, vt = truncated_svd(matrix, k, rng)
        W, H = u * s, vt
    elif method == "eig":
        X = (X + X.T) / 2          # PPMI with smoothing is not symmetric; the eigenvectors need it to be
        lam, q = symmetric_eig((matrix + matrix.T) * 0.5, k, rng)
        W, H = q * lam, q.T
    elif method == "nmf":
        W, H, _ = drain(nmf_steps(matrix, k, iterations, rng))
    else:
        raise ValueError(f"method must be svd, eig or nmf, not {method!r}")
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return Factors(list(vocab.words), f32(X), f32(W), f32(H), method,
                   "PPMI" if use_ppmi else "co-occurrence counts")
