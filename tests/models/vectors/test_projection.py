"""UMAP on the project's cached kernels gives umap-learn's own graph and a layout that keeps clusters apart."""
import numpy as np

from models.vectors import projection
from models.core.events import drain


def test_the_fuzzy_graph_is_umaps_own():
    from umap.umap_ import fuzzy_simplicial_set

    x = projection._unit(np.random.default_rng(3).normal(size=(200, 12)).astype(np.float32))
    idx, dist = projection._knn(x, 10, 0)
    ours = projection._fuzzy_graph(idx, dist, 10)
    theirs, _, _ = fuzzy_simplicial_set(x, 10, np.random.RandomState(0), "cosine", knn_indices=idx, knn_dists=dist)
    theirs = theirs.tocsr()
    assert ours.nnz == theirs.nnz > 0
    assert abs(ours - theirs).max() == 0.0


def test_umap_keeps_two_clusters_apart():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(60, 8)) * 0.1 + np.eye(8)[0]
    b = rng.normal(size=(60, 8)) * 0.1 + np.eye(8)[1]
    coords = drain(projection.project(np.vstack([a, b]).astype(np.float32), "umap"))
    assert coords.shape == (120, 2) and np.isfinite(coords).all()
    ca, cb = coords[:60], coords[60:]
    within = max(np.linalg.norm(ca - ca.mean(0), axis=1).mean(), np.linalg.norm(cb - cb.mean(0), axis=1).mean())
    assert np.linalg.norm(ca.mean(0) - cb.mean(0)) > 3 * within
