"""What the Matching view shows, computed without Qt: a trained matcher's database, its held-out
queries, one query's ranking next to the baseline's, and a 2-D map of the items.

:func:`prepare_steps` rebuilds the database the matcher was trained on (from the cache, so it is
quick after training) and the same noisy held-out queries its metrics came from;
:func:`match` ranks the items for one query with the network and with the no-learning baseline.

The map shows one point per item: the mean of its window embeddings, normalised. Matching itself
compares windows (each query window with its best window of the item), so the map is a picture of
the space, not the ranking; the ranking tables are the ranking.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.core.events import Progress
from models.errors import UserError
from models.siamese.audio import log_mel
from models.siamese.database import Database, build_database_steps
from models.siamese.model import SiameseMatcher, _fit, baseline_scores, make_test_queries, split_items


@dataclass(frozen=True)
class Query:
    name: str
    wave: np.ndarray          # float32 mono at the database's rate
    truth: int | None         # the item it was made from, when known
    note: str = ""            # what reading its file had to change (clipping), for the status line


@dataclass
class MatchingSession:
    matcher: SiameseMatcher
    db: Database
    test_items: np.ndarray            # held-out item indices (never trained on)
    queries: list[Query]              # the held-out queries the metrics came from
    item_feats: list[torch.Tensor]    # log-mel of each item's recording, for the baseline
    item_vectors: np.ndarray          # (n_items, dim) unit: mean window embedding per item
    pca_mean: np.ndarray              # (dim,)
    pca_axes: np.ndarray              # (2, dim): the map's PCA basis, fitted on the items only
    pca: np.ndarray                   # (n_items, 2) float32

    @property
    def held_out(self) -> np.ndarray:
        mask = np.zeros(len(self.db), bool)
        mask[self.test_items] = True
        return mask

    def to_map(self, vector: np.ndarray) -> np.ndarray:
        """A unit vector placed on the PCA map without moving the items."""
        return ((vector - self.pca_mean) @ self.pca_axes.T).astype(np.float32)


@dataclass(frozen=True)
class MatchResult:
    query: Query
    scores: np.ndarray        # (n_items,) the network's score of each item
    baseline: np.ndarray      # (n_items,) the baseline's
    vector: np.ndarray        # (dim,) unit: the query's mean window embedding

    def top(self, k: int = 10, baseline: bool = False) -> np.ndarray:
        """Indices of the k best items, best first (ties keep database order)."""
        s = self.baseline if baseline else self.scores
        return np.argsort(-s, kind="stable")[:k]

    def rank_of_truth(self, baseline: bool = False) -> int | None:
        """1 for first place; ties count in the query's favour, as in the metrics."""
        if self.query.truth is None:
            return None
        s = self.baseline if baseline else self.scores
        return int((s > s[self.query.truth]).sum()) + 1


def item_vectors(matcher: SiameseMatcher) -> np.ndarray:
    n = len(matcher.names)
    sums = np.zeros((n, matcher.gallery.shape[1]), np.float64)
    np.add.at(sums, matcher.gallery_item.astype(np.int64), matcher.gallery.astype(np.float64))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _pca_basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    axes = np.zeros((2, x.shape[1]), np.float32)
    axes[:min(2, len(vt))] = vt[:2]
    return mean.astype(np.float32), axes


def prepare_steps(matcher: SiameseMatcher):
    """A generator of Progress returning a :class:`MatchingSession` for ``matcher``."""
    cfg = matcher.config
    db = yield from build_database_steps(cfg.source, cfg.items, cfg.item_beats, seed=0)
    if list(db.names) != list(matcher.names):
        raise UserError("The matching database rebuilt for this model differs from the one it was trained on.",
                        "Retrain the model with this version of the program.")
    yield Progress(0, 2, unit="stages", message="Making the held-out queries")
    _, test_items = split_items(len(db), cfg.holdout, cfg.seed)
    waves, truth = make_test_queries(db, test_items, cfg)
    count: dict[int, int] = {}
    queries = []
    for w, t in zip(waves, truth):
        count[int(t)] = count.get(int(t), 0) + 1
        queries.append(Query(f"{db.names[t]} · noisy query {count[int(t)]}", w, int(t)))
    yield Progress(1, 2, unit="stages", message="Reading the database for the baseline")
    feats = [log_mel(w) for w in db.waves]
    vectors = item_vectors(matcher)
    mean, axes = _pca_basis(vectors)
    pca = ((vectors - mean) @ axes.T).astype(np.float32)
    return MatchingSession(matcher, db, test_items, queries, feats, vectors, mean, axes, pca)


@torch.no_grad()
def match(session: MatchingSession, query: Query) -> MatchResult:
    """The network's and the baseline's score of every item for ``query``. The baseline compares
    the query's first excerpt-length of audio, as in the evaluation."""
    m = session.matcher
    wave = np.asarray(query.wave, np.float32)
    if wave.ndim != 1 or wave.size == 0 or not np.isfinite(wave).all():
        raise UserError(f"The query '{query.name}' holds no usable audio.", "Use a recording of a few seconds.")
    emb = m.embed(wave)
    scores = m.scores(wave)
    base = baseline_scores(_fit(log_mel(wave), m.config.window)[None], session.item_feats)[0].numpy()
    v = emb.mean(0).numpy().astype(np.float64)
    v = (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32)
    return MatchResult(query, scores.astype(np.float32), base.astype(np.float32), v)


def place_by_neighbours(coords: np.ndarray, vectors: np.ndarray, v: np.ndarray, k: int = 3) -> np.ndarray:
    """Where a new vector goes on a layout that cannot place new points (UMAP here): the
    similarity-weighted mean of its k most similar items' places."""
    sims = vectors @ v
    near = np.argsort(-sims, kind="stable")[:k]
    w = np.maximum(sims[near], 0.0) + 1e-6
    return (coords[near] * w[:, None]).sum(0) / w.sum()
