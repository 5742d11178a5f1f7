"""What deep clustering learns from: the losses of the bin embeddings (and of Chimera++'s mask head),
and how much each time-frequency bin counts in them.

Every loss takes the embeddings V ``(batch, bins, dim)``, the one-hot owners Y ``(batch, bins,
sources)`` under the ideal binary mask and the bins' weights ``(batch, bins)``, and gives one figure
per item ``(batch,)``; :data:`OBJECTIVES` names them for the settings.
"""
from __future__ import annotations

import torch

from models.audio.features import EPS, active_bins


def _weighted(embedding: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None):
    """(V, Y, w) with each bin's row scaled by the square root of its weight, so that a pair of bins
    (i, j) counts w_i w_j, and the weights w (B, bins, 1): all ones when none are given."""
    if weights is None:
        weights = torch.ones(embedding.shape[:2], device=embedding.device)
    w = weights.to(embedding.dtype).unsqueeze(-1)
    root = w.sqrt()
    return embedding * root, labels.to(embedding.dtype) * root, w


def deep_clustering_loss(embedding: torch.Tensor, labels: torch.Tensor,
                         weights: torch.Tensor | None = None) -> torch.Tensor:
    """||V V^T - Y Y^T||_F^2 per item, over the bins whose weight is non-zero.

    Args:
        embedding: V, ``(batch, bins, dim)``, one (unit-norm) embedding per time-frequency bin.
        labels: Y, ``(batch, bins, sources)``, one-hot owner of each bin (float).
        weights: ``(batch, bins)``, non-negative or bool, 0 for bins to ignore (silence); default
            all 1. The pair (i, j) counts w_i w_j.

    Returns:
        ``(batch,)``: the loss divided by (sum of weights)^2, so 0 is perfect and the figure does
        not grow with the length of the mixture.

    Expanding the Frobenius norm gives ||V^T V||^2 - 2 ||V^T Y||^2 + ||Y^T Y||^2, whose
    matrices are dim x dim, dim x sources and sources x sources: linear in the number of bins
    instead of quadratic (the bins x bins affinity matrix is never formed). Scaling the rows of V
    and Y by sqrt(w) weights the pair (i, j) by w_i w_j: a 0/1 mask removes silent bins
    altogether (as in asteroid's ``deep_clustering_loss``), magnitude weights make the loud bins
    count most (:func:`bin_weights`).
    """
    v, y, w = _weighted(embedding, labels, weights)
    vv = torch.linalg.matrix_norm(v.transpose(1, 2) @ v) ** 2
    vy = torch.linalg.matrix_norm(v.transpose(1, 2) @ y) ** 2
    yy = torch.linalg.matrix_norm(y.transpose(1, 2) @ y) ** 2
    return (vv - 2 * vy + yy) / w.sum(dim=(1, 2)).clamp(min=1.0) ** 2


def whitened_kmeans_loss(embedding: torch.Tensor, labels: torch.Tensor,
                         weights: torch.Tensor | None = None) -> torch.Tensor:
    """D - tr((V^T V + I)^-1 V^T Y (Y^T Y + I)^-1 Y^T V) per item (Wang, Le Roux & Hershey 2018, as
    in nussl's ``WhitenedKMeansLoss``), arguments as in :func:`deep_clustering_loss`.

    It is the k-means cost of the ideal partition once the embeddings are whitened: unlike the
    affinity loss it does not ask all pairs of bins to be orthogonal or equal, only that the
    clusters be apart in every direction the embeddings use; the paper (and Chimera++ after it)
    measured it above the affinity loss on wsj0-2mix. The identities keep both inverses defined
    when a source or a direction is unused; beside thousands of bins they barely move the figure.
    0 is unreachable: at best the trace nears the number of sources heard, so the loss nears D
    minus that."""
    v, y, _ = _weighted(embedding, labels, weights)
    dim, sources = v.shape[-1], y.shape[-1]
    vv = v.transpose(1, 2) @ v + torch.eye(dim, dtype=v.dtype, device=v.device)
    vy = v.transpose(1, 2) @ y
    yy = y.transpose(1, 2) @ y + torch.eye(sources, dtype=v.dtype, device=v.device)
    trace = (torch.linalg.solve(vv, vy) * torch.linalg.solve(yy, vy.transpose(1, 2)).transpose(1, 2)).sum(dim=(1, 2))
    return dim - trace


OBJECTIVES = {"affinity": deep_clustering_loss, "whitened-kmeans": whitened_kmeans_loss}
BIN_WEIGHTS = ("audible", "magnitude")      # the kinds of :func:`bin_weights`


def bin_weights(mix: torch.Tensor, silence_db: float, kind: str = "audible") -> torch.Tensor:
    """Each bin's weight in the loss, (B, F, T) mixture STFT -> (B, F*T): 1 for the audible bins (within
    ``silence_db`` of the loudest) and 0 for the others; with ``kind`` "magnitude", each audible bin's
    magnitude over the mean of the audible ones instead (the magnitude-ratio weights of Wang, Le
    Roux & Hershey 2018), so that a mixture weighs the same however loud, and within it a bin
    counts as much as it adds to the separated voices."""
    audible = active_bins(mix, silence_db).flatten(1).float()
    if kind == "audible":
        return audible
    magnitude = mix.abs().flatten(1) * audible
    mean = magnitude.sum(1, keepdim=True) / audible.sum(1, keepdim=True).clamp(min=1.0)
    return magnitude / mean.clamp(min=EPS)


def mask_loss(masks: torch.Tensor, magnitude: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Chimera++'s mask-inference loss, per item (B,): the L1 distance between the masked mixture
    magnitude ``masks * magnitude`` (B, 2, F, T) and the phase-sensitive ``target`` (B, 2, F, T) in
    the better of the two orders (permutation-invariant), over the mixture's mean magnitude so that
    loudness does not weigh."""
    estimate = masks * magnitude[:, None]
    same = (estimate - target).abs().mean(dim=(1, 2, 3))
    swapped = (estimate - target.flip(1)).abs().mean(dim=(1, 2, 3))
    return torch.minimum(same, swapped) / magnitude.mean(dim=(1, 2)).clamp(min=EPS)
