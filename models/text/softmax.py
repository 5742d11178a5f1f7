"""Skip-gram with the full softmax: p(context | centre) = softmax(C u_centre) over the whole vocabulary.

This is the model negative sampling approximates. Every pair scores all V words, so a step costs
O(V * dim) per pair where negative sampling costs O(k * dim); the vocabulary is capped
(``max_vocab``, at most :data:`MAX_VOCAB`) to keep that affordable, and the run records
``ms_per_step`` and ``pairs_per_second`` so the two can be compared.

Pairs are drawn at random from the corpus (a random centre token, a context word within a window
shrunk at random as word2vec does, frequent words subsampled by rejection), batched, and trained
with Adam on the exact cross-entropy gradient, computed in :func:`softmax_loss_and_grads`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numba
import numpy as np
import torch

from models.core.device import resolve_device, seed_everything, set_threads
from models.core.events import STOP, Every, Progress, Rate
from models.core.params import param, validate
from models.text.common import EVENT_SECONDS, MAP_WORDS, SNAPSHOT_SECONDS, check_finite, prepare, run_stats, snapshot
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.sampling import keep_probabilities

MAX_VOCAB = 20_000   # beyond this a CPU step takes seconds: use negative sampling (sgns) instead


@dataclass
class SoftmaxConfig:
    dim: int = param(100, "Vector dimensions", low=2, high=1000)
    window: int = param(5, "Context words on each side (shrunk at random per pair)", low=1, high=50)
    steps: int = param(500, "Batches to train on (pairs drawn at random from the corpus)", low=1,
                       high=10_000_000)
    batch: int = param(512, "(centre, context) pairs per step", low=1, high=1_000_000)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    max_vocab: int = param(5000, "Most frequent words kept. Each pair is scored against every one of them, "
                           f"so cost grows with this; at most {MAX_VOCAB:,}", low=2, high=MAX_VOCAB)
    sample: float = param(1e-3, "Subsampling threshold for frequent words (0: off)", low=0.0, high=1.0,
                          advanced=True)
    lr: float = param(0.02, "Adam learning rate", low=1e-6, high=10.0, advanced=True)
    threads: int = param(0, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    device: str = param("auto", "Where to train: auto picks CUDA when present", choices=("auto", "cpu", "cuda"),
                        advanced=True)
    seed: int = param(1, "Random seed", low=0, high=2**31 - 1, advanced=True)


def softmax_loss_and_grads(u: torch.Tensor, C: torch.Tensor, targets: torch.Tensor):
    """Mean cross-entropy of predicting ``targets`` (B,) from inputs ``u`` (B, D) with output
    vectors ``C`` (V, D), and its exact gradients: returns (loss, d/du (B, D), d/dC (V, D)).

    With p = softmax(u C^T): dL/dlogits = (p - onehot(target)) / B, dL/du = that @ C and
    dL/dC = that^T @ u."""
    logits = u @ C.T                                               # (B, V)
    logp = torch.log_softmax(logits, dim=1)
    b = u.shape[0]
    loss = -logp[torch.arange(b, device=u.device), targets].mean()
    g = torch.exp(logp)
    g[torch.arange(b, device=u.device), targets] -= 1.0
    g /= b
    return loss, g @ C, g.T @ u


@numba.njit(cache=True)
def _draw_pairs(ids, starts, keep, window, n, seed):
    """n (centre, context) id pairs: a random token kept by subsampling, and a word at distance
    d <= r on a random side, r uniform in 1..window (so near words are drawn more, as word2vec's
    shrinking window does), within the same sentence."""
    np.random.seed(seed)
    centres = np.empty(n, dtype=np.int64)
    contexts = np.empty(n, dtype=np.int64)
    n_tok = ids.shape[0]
    m = 0
    while m < n:
        p = np.random.randint(0, n_tok)
        if keep[ids[p]] < 1.0 and np.random.random() >= keep[ids[p]]:
            continue
        s = np.searchsorted(starts, p, side="right") - 1
        d = np.random.randint(1, np.random.randint(1, window + 1) + 1)
        q = p + d if np.random.random() < 0.5 else p - d
        if q < starts[s] or q >= starts[s + 1]:
            continue
        if keep[ids[q]] < 1.0 and np.random.random() >= keep[ids[q]]:
            continue
        centres[m] = ids[p]
        contexts[m] = ids[q]
        m += 1
    return centres, contexts


class _Model:
    def __init__(self, n_words: int, dim: int, lr: float, device: torch.device, rng: np.random.Generator):
        W = (rng.random((n_words, dim), dtype=np.float32) - 0.5) / dim
        self.W = torch.from_numpy(W).to(device)
        self.C = torch.zeros((n_words, dim), device=device)
        self.W.grad, self.C.grad = torch.zeros_like(self.W), torch.zeros_like(self.C)
        self.opt = torch.optim.Adam([self.W, self.C], lr=lr)

    def step(self, centres: torch.Tensor, contexts: torch.Tensor) -> float:
        loss, du, dC = softmax_loss_and_grads(self.W[centres], self.C, contexts)
        self.W.grad.zero_().index_add_(0, centres, du)
        self.C.grad.copy_(dC)
        self.opt.step()
        return float(loss)


def train(config: SoftmaxConfig, corpus: Corpus):
    """Train full-softmax skip-gram; a generator of Progress returning a TrainedEmbedding."""
    validate(config)
    device = resolve_device(config.device)
    threads = set_threads(config.threads)
    rng = seed_everything(config.seed)
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, config.min_count, config.max_vocab)
    keep = keep_probabilities(vocab.counts, config.sample)
    model = _Model(len(vocab), config.dim, config.lr, device, rng)
    labels = tuple(vocab.words[:MAP_WORDS])
    total = config.steps * config.batch
    rate, event_due, snap_due = Rate(total), Every(EVENT_SECONDS), Every(SNAPSHOT_SECONDS)
    losses: list[tuple[int, float]] = []
    step, stopped, last_loss, step_seconds = 0, False, float("nan"), 0.0
    yield Progress(0, total, unit="pairs", message=f"Training full-softmax skip-gram over {len(vocab):,} words",
                   snapshot=snapshot(model.W), labels=labels)
    while step < config.steps and not stopped:
        centres, contexts = _draw_pairs(data.ids, data.starts, keep, config.window, config.batch,
                                        int(rng.integers(2**31)))
        t0 = time.perf_counter()
        last_loss = model.step(torch.from_numpy(centres).to(device), torch.from_numpy(contexts).to(device))
        step_seconds += time.perf_counter() - t0
        step += 1
        check_finite(last_loss)
        losses.append((step * config.batch, last_loss))
        if event_due() or step == config.steps:
            speed, eta = rate.update(step * config.batch)
            snap = snapshot(model.W) if snap_due() else None
            reply = yield Progress(step * config.batch, total, loss=last_loss, items_per_second=speed,
                                   eta_seconds=eta, unit="pairs", snapshot=snap,
                                   labels=labels if snap is not None else None)
            stopped = reply == STOP
    seconds, pairs = rate.elapsed, step * config.batch
    stats = run_stats("softmax", seconds, pairs, last_loss, device.type, vocab, data, corpus, stopped,
                      threads=threads if device.type == "cpu" else 0, steps_done=step, batch=config.batch,
                      ms_per_step=1000 * step_seconds / max(step, 1),
                      pairs_per_second=pairs / seconds if seconds > 0 else 0.0,
                      note="words_per_second counts (centre, context) pairs here")
    return TrainedEmbedding("softmax", config, vocab, {"input": model.W.cpu().numpy(),
                                                       "output": model.C.cpu().numpy()}, stats, losses)
