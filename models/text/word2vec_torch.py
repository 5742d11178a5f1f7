"""Skip-gram's and CBOW's batched Torch kernel: the CUDA path of :mod:`models.text.word2vec` (it
runs on any Torch device, the CPU included, which is how the tests run it).

A module of its own so that training on the CPU never imports Torch: the trainer imports this
one only when its device is not the CPU. Pairs are drawn on the CPU, gradients are computed for
thousands of pairs at once and added back with ``index_add_``; the rules (subsampling, shrunk
windows, unigram^0.75 negatives, the linear learning-rate decay) are the CPU kernel's.
"""
from __future__ import annotations

import numba
import numpy as np
import torch

from models.text.sampling import noise_table
from models.text.sgns_kernel import LR_FLOOR
from models.text.vocab import EncodedCorpus


@numba.njit(cache=True)
def _draw_examples(ids, starts, s0, s1, keep, window, seed):
    """(centre, context window) examples of sentences [s0, s1) (their window of the corpus, as
    :func:`models.text.word2vec._train_chunk` takes it) after subsampling and window shrinking: ``ctx`` has 2*window
    slots per centre, -1 where empty."""
    np.random.seed(seed)
    base = starts[0]
    n_max = starts[s1 - s0] - base
    centers = np.empty(n_max, dtype=np.int64)
    ctx = np.full((n_max, 2 * window), -1, dtype=np.int64)
    where = np.empty(n_max, dtype=np.int64)       # token offset of each example, for the lr decay
    sent = np.empty(1024, dtype=np.int64)
    m = 0
    for s in range(s1 - s0):
        n = 0
        for i in range(starts[s] - base, starts[s + 1] - base):
            if keep[ids[i]] >= 1.0 or np.random.random() < keep[ids[i]]:
                sent[n] = ids[i]
                n += 1
        for pos in range(n):
            reduced = np.random.randint(0, window)
            c = 0
            for j in range(max(0, pos - window + reduced), min(n, pos + window - reduced + 1)):
                if j != pos:
                    ctx[m, c] = sent[j]
                    c += 1
            if c:
                centers[m] = sent[pos]
                where[m] = starts[s] - base
                m += 1
    return centers[:m], ctx[:m], where[:m]


def _add_mean(weights: torch.Tensor, rows: torch.Tensor, updates: torch.Tensor) -> None:
    """Add to each row the sum of its updates in the batch divided by the square root of their
    number. A plain sum applies a frequent word's update hundreds of times at once, computed from
    the same stale vector, and diverges; a plain mean makes frequent words learn far slower than
    one-at-a-time SGD (the CPU kernel) does. The square root sits between the two."""
    uniq, inverse = torch.unique(rows, return_inverse=True)
    total = torch.zeros(len(uniq), weights.shape[1], dtype=weights.dtype, device=weights.device)
    total.index_add_(0, inverse, updates)
    count = torch.bincount(inverse, minlength=len(uniq)).clamp(min=1).to(weights.dtype)
    weights.index_add_(0, uniq, total / count.sqrt().unsqueeze(1))


class TorchKernel:
    BATCH = 4096

    def __init__(self, W: np.ndarray, C: np.ndarray, data: EncodedCorpus, keep, counts, cfg, cbow,
                 device: torch.device):
        self.device, self.data, self.keep, self.cfg, self.cbow = device, data, keep, cfg, cbow
        self.W = torch.from_numpy(W).to(device)
        self.C = torch.from_numpy(C).to(device)
        self.table = torch.from_numpy(noise_table(counts).astype(np.int64)).to(device)
        self.gen = torch.Generator(device=device)
        # Every row gets at most one (scaled) update per batch, so a small vocabulary needs small
        # batches to get enough updates; a large one fills the GPU.
        self.batch = int(min(self.BATCH, max(256, 8 * W.shape[0])))

    def run(self, s0: int, s1: int, tok_before: int, total: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Train sentences [s0, s1). Batches mix sentences, so the chunk's loss sum and pair count
        are booked on its last sentence."""
        cfg = self.cfg
        rng = np.random.default_rng((seed, s0))
        ids, starts = self.data.window(s0, s1)
        centers, ctx, where = _draw_examples(ids, starts, s0, s1, self.keep, cfg.window,
                                             int(rng.integers(2**31)))
        self.gen.manual_seed(int(rng.integers(2**62)))
        first = tok_before + int(self.data.starts[s0])
        loss_sum, pairs = 0.0, 0
        for b in range(0, len(centers), self.batch):
            cen = torch.from_numpy(centers[b:b + self.batch]).to(self.device)
            con = torch.from_numpy(ctx[b:b + self.batch]).to(self.device)
            lr = cfg.lr * max(LR_FLOOR, 1 - (first + float(where[b])) / total)
            if self.cbow:
                loss, n = self._cbow_step(cen, con, lr)
            else:
                mask = con >= 0
                loss, n = self._sg_step(con[mask], cen[:, None].expand_as(con)[mask], lr)
            loss_sum += loss
            pairs += n
        losses, counts = np.zeros(s1 - s0), np.zeros(s1 - s0, dtype=np.int64)
        losses[-1], counts[-1] = loss_sum, pairs
        return losses, counts

    def _negatives(self, n: int) -> torch.Tensor:
        idx = torch.randint(len(self.table), (n, self.cfg.negative), device=self.device, generator=self.gen)
        return self.table[idx]

    def _update(self, u: torch.Tensor, targets: torch.Tensor, lr: float):
        """Scores of inputs u (B, D) against targets (B, 1+K) (first positive); returns the loss
        sum, the gradient for u, and applies the update to the output vectors."""
        v = self.C[targets]                                            # (B, 1+K, D)
        scores = torch.bmm(v, u.unsqueeze(2)).squeeze(2)               # (B, 1+K)
        labels = torch.zeros_like(scores)
        labels[:, 0] = 1.0
        valid = torch.ones_like(scores)
        valid[:, 1:] = (targets[:, 1:] != targets[:, :1]).float()      # a negative equal to the positive is skipped
        g = (labels - torch.sigmoid(scores)) * lr * valid
        loss = (torch.nn.functional.softplus(torch.where(labels > 0, -scores, scores)) * valid).sum()
        grad_u = torch.bmm(g.unsqueeze(1), v).squeeze(1)               # (B, D)
        _add_mean(self.C, targets.reshape(-1), (g.unsqueeze(2) * u.unsqueeze(1)).reshape(-1, u.shape[1]))
        return float(loss), grad_u

    def _sg_step(self, src: torch.Tensor, centre: torch.Tensor, lr: float) -> tuple[float, int]:
        targets = torch.cat([centre[:, None], self._negatives(len(centre))], 1)
        loss, grad = self._update(self.W[src], targets, lr)
        _add_mean(self.W, src, grad)
        return loss, len(src)

    def _cbow_step(self, centre: torch.Tensor, ctx: torch.Tensor, lr: float) -> tuple[float, int]:
        mask = (ctx >= 0).float()
        rows = self.W[ctx.clamp(min=0)] * mask.unsqueeze(2)
        mean = rows.sum(1) / mask.sum(1, keepdim=True)
        targets = torch.cat([centre[:, None], self._negatives(len(centre))], 1)
        loss, grad = self._update(mean, targets, lr)
        m = ctx >= 0
        _add_mean(self.W, ctx[m], grad.unsqueeze(1).expand(-1, ctx.shape[1], -1)[m])
        return loss, len(centre)

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W.cpu().numpy(), self.C.cpu().numpy()
