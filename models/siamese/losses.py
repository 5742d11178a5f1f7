"""Losses for twin networks: pure functions of embeddings and labels.

The pair loss is the module's: with d = scale * (z_i . z_j) + bias,

    L = -y log s(d) - (1 - y) log(1 - s(d)),

a logistic regression on the similarity. For unit vectors z_i . z_j lies in [-1, 1], where s()
cannot get near 0 or 1, hence the scale and bias (learned by the model). Computed with softplus,
which is exact and never overflows: -log s(d) = softplus(-d), -log(1 - s(d)) = softplus(d).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _weighted_mean(per_pair: torch.Tensor, y: torch.Tensor, balance: bool) -> torch.Tensor:
    if not balance:
        return per_pair.mean()
    pos, neg = y > 0.5, y <= 0.5
    parts = [per_pair[m].mean() for m in (pos, neg) if bool(m.any())]
    return sum(parts) / len(parts)


def pair_loss(zi: torch.Tensor, zj: torch.Tensor, y: torch.Tensor, scale=1.0, bias=0.0,
              balance: bool = False) -> torch.Tensor:
    """zi, zj (n, dim), y (n,) in {0, 1} -> scalar mean loss.

    ``balance`` averages same and different pairs separately, then the two means, so the many
    different pairs of a batch do not drown the few same ones.
    """
    d = scale * (zi * zj).sum(-1) + bias
    per_pair = y * F.softplus(-d) + (1 - y) * F.softplus(d)
    return _weighted_mean(per_pair, y, balance)


def pair_loss_grad(zi: torch.Tensor, zj: torch.Tensor, y: torch.Tensor, scale: float = 1.0,
                   bias: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of the unbalanced :func:`pair_loss` for zi and zj, by hand.

    dL/dd = s(d) - y per pair, and d = scale * zi . zj + bias, so dL/dzi = (s(d) - y) scale zj / n.
    """
    d = scale * (zi * zj).sum(-1) + bias
    g = (torch.sigmoid(d) - y) * scale / zi.shape[0]
    return g[:, None] * zj, g[:, None] * zi


def contrastive_loss(zi: torch.Tensor, zj: torch.Tensor, y: torch.Tensor, margin: float = 1.0,
                     balance: bool = False) -> torch.Tensor:
    """Hadsell, Chopra and LeCun (2006): y D^2 + (1 - y) max(0, margin - D)^2, D = ||zi - zj||."""
    dist = (zi - zj).pow(2).sum(-1).clamp_min(1e-12).sqrt()
    per_pair = y * dist.pow(2) + (1 - y) * F.relu(margin - dist).pow(2)
    return _weighted_mean(per_pair, y, balance)


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                 margin: float = 0.4) -> torch.Tensor:
    """anchor, positive, negative (n, dim) -> mean max(0, |a - p|^2 - |a - n|^2 + margin)."""
    dp = (anchor - positive).pow(2).sum(-1)
    dn = (anchor - negative).pow(2).sum(-1)
    return F.relu(dp - dn + margin).mean()


def batch_hard_triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, margin: float = 0.4) -> torch.Tensor:
    """Triplet loss where row i's positive is positive[i] and its negative is the closest
    positive[j], j != i, of the batch (Hermans et al., 2017): the negative that teaches most."""
    d = torch.cdist(anchor, positive).pow(2)                        # (n, n)
    eye = torch.eye(len(anchor), dtype=torch.bool, device=anchor.device)
    hardest = d.masked_fill(eye, float("inf")).argmin(dim=1)
    return triplet_loss(anchor, positive, positive[hardest], margin)
