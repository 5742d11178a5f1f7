"""2-D projections of embedding matrices, each a progress generator: PCA, t-SNE, UMAP.

Every ``yield`` is a point where the caller can pause or cancel, and t-SNE and UMAP yield their
intermediate layouts, so a map can show the picture forming. Words are compared by cosine (rows
are unit-normalised first), as the neighbour lists do.

- t-SNE is openTSNE's FFT-accelerated optimiser, run 25 iterations at a time (its optimiser keeps
  its gains between calls, so chunking changes nothing but the pauses).
- UMAP is umap-learn's own graph and per-epoch layout kernel, driven epoch by epoch here because
  ``UMAP.fit`` offers no progress or cancel. ``warm_up`` runs it once on a little data so numba has
  compiled every kernel before a person asks for the first map.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse

from models.core.events import Every
from models.errors import UserError

METHODS = ("pca", "tsne", "umap")


@dataclass(frozen=True)
class ProjectionProgress:
    step: int
    total_steps: int
    message: str = ""
    coords: np.ndarray | None = None   # (n, 2) float32 copy of the layout so far, now and then

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def pca(x: np.ndarray, components: int = 2) -> np.ndarray:
    """Coordinates on the top principal axes (centred SVD), float32 (n, components)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    if x.shape[0] < 2:
        return np.zeros((x.shape[0], components), dtype=np.float32)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    out = x @ vt[:components].T
    if out.shape[1] < components:
        out = np.pad(out, ((0, 0), (0, components - out.shape[1])))
    return out.astype(np.float32)


def align(reference: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """``moving`` rotated (or reflected), scaled and shifted to lie closest to ``reference``
    (orthogonal Procrustes): a live map then moves only as much as the points do."""
    ref = np.asarray(reference, dtype=np.float64)
    mov = np.asarray(moving, dtype=np.float64)
    mr, mm = ref.mean(0), mov.mean(0)
    a, b = ref - mr, mov - mm
    u, s, vt = np.linalg.svd(b.T @ a)
    r = u @ vt
    norm = (b * b).sum()
    scale = s.sum() / norm if norm > 0 else 1.0
    return (b @ r * scale + mr).astype(np.float32)


def _pca_steps(x: np.ndarray, seed: int):
    coords = pca(_unit(x))
    yield ProjectionProgress(1, 1, "PCA", coords)
    return coords


def _tsne_steps(x: np.ndarray, seed: int, perplexity: float = 30.0, iterations: int = 750, chunk: int = 25):
    from openTSNE import TSNEEmbedding, affinity     # deferred: heavy, and only a t-SNE map needs it

    n = x.shape[0]
    if n < 5:
        raise UserError(f"t-SNE needs at least 5 points, not {n}.", "Show more words on the map.")
    perplexity = min(perplexity, (n - 1) / 3)
    total = iterations + 1
    yield ProjectionProgress(0, total, "t-SNE: nearest neighbours")
    x = _unit(x)
    aff = affinity.PerplexityBasedNN(x, perplexity=perplexity, metric="cosine", n_jobs=1, random_state=seed,
                                     method="exact" if n <= 2000 else "annoy")
    init = pca(x)
    init = init / (np.std(init[:, 0]) or 1.0) * 1e-4      # openTSNE's recommended PCA initialisation
    # Barnes-Hut is ten times faster than the FFT interpolation below about 10,000 points (1,000
    # points: 0.7 s against 6.6 s for 250 iterations), the FFT far faster above.
    method = "bh" if n < 10_000 else "fft"
    emb = TSNEEmbedding(init, aff, negative_gradient_method=method, n_jobs=1, random_state=seed)
    early = 250
    show = Every(0.5)
    done = 0
    while done < iterations:
        phase = {"exaggeration": 12, "momentum": 0.5} if done < early else {"exaggeration": 1, "momentum": 0.8}
        step = min(chunk, (early if done < early else iterations) - done)
        emb.optimize(step, inplace=True, learning_rate="auto", **phase)
        done += step
        coords = np.asarray(emb, dtype=np.float32).copy() if show() else None
        yield ProjectionProgress(done + 1, total, f"t-SNE: iteration {done}/{iterations}", coords)
    return np.asarray(emb, dtype=np.float32).copy()


def _knn(x: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine k nearest neighbours (self included, as umap expects): exact in blocks for up to
    20,000 rows, NN-descent beyond."""
    n = x.shape[0]
    if n > 20_000:
        from umap.umap_ import nearest_neighbors     # deferred: umap takes seconds to import

        idx, dist, _ = nearest_neighbors(x, k, "cosine", {}, False, np.random.RandomState(seed))
        return idx, dist
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for a in range(0, n, 2048):
        d = 1.0 - x[a:a + 2048] @ x.T
        d[np.arange(d.shape[0]), np.arange(a, a + d.shape[0])] = -1.0     # self first
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(d, part, 1).argsort(1)
        idx[a:a + 2048] = np.take_along_axis(part, order, 1)
        dist[a:a + 2048] = np.maximum(np.take_along_axis(d, idx[a:a + 2048], 1), 0.0)
    return idx, dist


@functools.cache
def _umap_kernels():
    """umap-learn's numba kernels for the fuzzy graph and the per-epoch layout, compiled with
    numba's on-disk cache. umap compiles them anew in every process: 6-7 s on this machine's two
    cores, nearly all of it holding the GIL, so the window stalled up to 0.3 s at a time while the
    start-up warm-up ran. Cached, a later process loads them in a fraction of that."""
    # deferred: umap takes seconds to import, and only a UMAP map needs it
    from umap.layouts import _optimize_layout_euclidean_single_epoch
    from umap.umap_ import compute_membership_strengths, smooth_knn_dist

    def cached(dispatcher):
        options = {k: v for k, v in dispatcher.targetoptions.items() if k != "nopython"}   # njit's own
        return numba.njit(dispatcher.py_func, cache=True, locals=dispatcher.locals, **options)

    epoch = numba.njit(_optimize_layout_euclidean_single_epoch, fastmath=True, parallel=True, cache=True)
    return cached(smooth_knn_dist), cached(compute_membership_strengths), epoch


def _fuzzy_graph(knn_idx: np.ndarray, knn_dist: np.ndarray, k: int):
    """umap's fuzzy simplicial set of the k-neighbour graph (umap.umap_.fuzzy_simplicial_set
    with its defaults: local connectivity 1, fuzzy union), on the cached kernels."""
    smooth, strengths, _ = _umap_kernels()
    knn_dist = np.ascontiguousarray(knn_dist, dtype=np.float32)
    sigmas, rhos = smooth(knn_dist, float(k), 64, 1.0, 1.0)
    rows, cols, vals, _ = strengths(knn_idx, knn_dist, sigmas, rhos, False, False)
    n = knn_idx.shape[0]
    graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    graph.eliminate_zeros()
    transpose = graph.transpose()
    graph = graph + transpose - graph.multiply(transpose)
    graph.eliminate_zeros()
    return graph


def _umap_steps(x: np.ndarray, seed: int, n_neighbors: int = 15, min_dist: float = 0.1, epochs: int | None = None):
    from umap.umap_ import find_ab_params, make_epochs_per_sample     # deferred: umap takes seconds to import

    n = x.shape[0]
    if n < 4:
        raise UserError(f"UMAP needs at least 4 points, not {n}.", "Show more words on the map.")
    epochs = epochs or (500 if n <= 10_000 else 200)
    total = epochs + 2
    x = _unit(x)
    k = min(n_neighbors, n - 1)
    yield ProjectionProgress(0, total, "UMAP: nearest neighbours")
    knn_idx, knn_dist = _knn(x, k, seed)
    rs = np.random.RandomState(seed)
    graph = _fuzzy_graph(knn_idx, knn_dist, k).tocoo()
    graph.sum_duplicates()
    graph.data[graph.data < graph.data.max() / float(epochs)] = 0.0
    graph.eliminate_zeros()
    yield ProjectionProgress(1, total, "UMAP: initial layout")

    init = pca(x).astype(np.float64)
    init = 10.0 * (init - init.min(0)) / np.maximum(np.ptp(init, 0), 1e-12)   # umap scales its init to [0, 10]
    emb = np.ascontiguousarray(init + rs.normal(scale=1e-4, size=init.shape), dtype=np.float32)
    a, b = find_ab_params(1.0, min_dist)
    head, tail = graph.row.astype(np.int32), graph.col.astype(np.int32)
    eps = make_epochs_per_sample(graph.data, epochs)
    eps_neg = eps / 5.0
    next_neg, next_pos = eps_neg.copy(), eps.copy()
    rng_state = rs.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1, 3).astype(np.int64)
    rng_per_sample = np.full((n, 3), rng_state, dtype=np.int64) + emb[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1)
    step = _umap_kernels()[2]
    z1 = np.zeros(1, dtype=np.float32)
    show = Every(0.5)
    for e in range(epochs):
        alpha = 1.0 - e / float(epochs)
        step(emb, emb, head, tail, n, eps, a, b, rng_per_sample, 1.0, 2, True, alpha, eps_neg, next_neg,
             next_pos, e, False, z1, z1, 0, 0, 0, 0, z1, z1, 0)
        coords = emb.copy() if show() else None
        yield ProjectionProgress(e + 2, total, f"UMAP: epoch {e + 1}/{epochs}", coords)
    return emb.copy()


_STEPS = {"pca": _pca_steps, "tsne": _tsne_steps, "umap": _umap_steps}


def project(x: np.ndarray, method: str, seed: int = 0):
    """A generator of :class:`ProjectionProgress` that returns (n, 2) float32 coordinates."""
    if method not in _STEPS:
        raise UserError(f"Unknown projection '{method}'.", f"Use one of {', '.join(METHODS)}.")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise UserError("The vectors to project contain NaN or infinite values.", "Retrain the model.")
    coords = yield from _STEPS[method](x, seed)
    return np.ascontiguousarray(coords, dtype=np.float32)


def warm_up():
    """Compile UMAP's and t-SNE's kernels on a little random data, so the first real map is quick."""
    x = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    yield from project(x, "umap")
    yield from _tsne_steps(x, 0, iterations=50)
