"""Clustering the bin embeddings into voices: k-means, and the embeddings it is given, each averaged
with its neighbours in time."""
from __future__ import annotations

import math

import torch
from torch import nn

from models.audio.features import EPS


def kmeans(x: torch.Tensor, k: int = 2, inits: int = 5, iters: int = 50,
           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means with k-means++ seeding, best of ``inits`` runs by inertia.

    x ``(n, dim)`` -> (labels ``(n,)`` int64, centroids ``(k, dim)``). Deterministic for a
    given generator, so separating the same file twice gives the same result.
    """
    n = x.shape[0]
    if n == 0:
        return torch.zeros(0, dtype=torch.long, device=x.device), torch.zeros(k, x.shape[1], device=x.device)
    x = x.float()
    best, best_inertia = None, math.inf
    for _ in range(inits):
        centroids = _kmeans_pp(x, k, generator)
        for _ in range(iters):
            labels = torch.cdist(x, centroids).argmin(1)
            sums = torch.zeros_like(centroids).index_add_(0, labels, x)
            counts = torch.bincount(labels, minlength=k).to(x.dtype)[:, None]
            # an emptied cluster keeps its old centre rather than becoming NaN
            new = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
            if torch.allclose(new, centroids):
                break
            centroids = new
        dist = torch.cdist(x, centroids)
        labels = dist.argmin(1)
        inertia = float(dist.gather(1, labels[:, None]).pow(2).sum())
        if inertia < best_inertia:
            best, best_inertia = (labels, centroids), inertia
    return best


def smoothed_over_time(v: torch.Tensor, weight: torch.Tensor, frames: int) -> torch.Tensor:
    """Each bin's embedding averaged with those of the same frequency in the ``frames`` frames around
    it, each weighted by ``weight`` (its magnitude): (F, T, D), (F, T) -> (F, T, D).

    A voice rarely leaves a frequency for one 16 ms frame, so a bin whose embedding alone points to
    the other voice is outvoted by its neighbours; a loud bin counts for more than a faint one, whose
    embedding carries less."""
    if frames <= 1:
        return v
    kernel = torch.ones(1, 1, frames, dtype=v.dtype)
    n_freqs, n_frames, _ = v.shape

    def box(x):     # (F, T, C) summed over the frames around each one, along T
        y = x.permute(0, 2, 1).reshape(-1, 1, n_frames)
        y = nn.functional.conv1d(y, kernel, padding=frames // 2)
        return y.reshape(n_freqs, x.shape[2], n_frames).permute(0, 2, 1)

    w = weight[..., None].to(v.dtype)
    return box(v * w) / (box(w) + EPS)


def _kmeans_pp(x: torch.Tensor, k: int, generator) -> torch.Tensor:
    first = torch.randint(x.shape[0], (1,), generator=generator, device="cpu").item()
    centroids = [x[first]]
    d2 = (x - x[first]).pow(2).sum(1)
    for _ in range(1, k):
        p = d2.cpu() / d2.sum().cpu() if float(d2.sum()) > 0 else torch.full((x.shape[0],), 1.0 / x.shape[0])
        i = torch.multinomial(p, 1, generator=generator).item()
        centroids.append(x[i])
        d2 = torch.minimum(d2, (x - x[i]).pow(2).sum(1))
    return torch.stack(centroids)
