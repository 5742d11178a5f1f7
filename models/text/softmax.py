"""Skip-gram with the full softmax: p(context | centre) = softmax(C u_centre) over the whole vocabulary.

This is the model negative sampling approximates. Every pair scores all V words, so a step costs
O(V * dim) per pair where negative sampling costs O(k * dim); the vocabulary is capped
(``max_vocab``, at most :data:`MAX_VOCAB`) to keep that affordable, and the run records
``ms_per_step`` and ``pairs_per_second`` so the two can be compared.

Pairs are drawn at random from the corpus (a random centre token, a context word within a window
shrunk at random as word2vec does, frequent words subsampled by rejection), batched, and trained
with Adam on the exact cross-entropy gradient, computed in :func:`softmax_loss_and_grads`.

A run can stop and go on later (``train(..., resume=model)``): the model keeps Adam's moments and
the pair sampler's random state (see models.core.resume_torch), and the loss curve has one point
per step, so on the CPU a run stopped and resumed gives the same weights and curve as one straight
through.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np
import torch

from models.core.device import resolve_device, seed_everything, set_threads
from models.core.events import Progress
from models.core.loop import Chunk, Pace, continued, train_loop
from models.core.params import param, validate
from models.core.result import TrainingState
from models.core.resume_torch import capture, check_continuable, restore
from models.text.common import EVENT_SECONDS, MAP_WORDS, SNAPSHOT_SECONDS, prepare, run_stats, snapshot
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.resume import not_the_corpus
from models.text.sampling import keep_probabilities
from models.text.vocab import encode

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

    # The vocabulary decides the weights' rows; the seed, the random streams a resumed run goes on with.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("dim", "min_count", "max_vocab", "seed")


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


def training_state(model: TrainedEmbedding) -> TrainingState | None:
    """Where ``model``'s training stood: its ``state`` with the tensors saved under the prefix."""
    return TrainingState.split(model.tensors, {TrainingState.EXTRA_KEY: model.state})[1]


def check_resumable(model, config: SoftmaxConfig) -> TrainingState:
    """The state to continue ``model`` from with ``config``, or a UserError saying why not."""
    state = training_state(model) if getattr(model, "model", None) == "softmax" else None
    return check_continuable(model, "softmax", config, state)


def _data(config: SoftmaxConfig, corpus: Corpus, resume: TrainedEmbedding | None, state):
    """The vocabulary and encoded corpus: counted afresh, or the model's on the same corpus."""
    if resume is None:
        return prepare(corpus, config.min_count, config.max_vocab)
    data = encode(corpus, resume.vocab)
    was = (state.get("corpus_sentences"), state.get("corpus_tokens"))
    if (data.n_sentences, data.n_tokens) != was:
        raise not_the_corpus(corpus, resume, f"{data.n_sentences:,} sentences and {data.n_tokens:,} known words",
                             f"{was[0]:,} and {was[1]:,}")
    return resume.vocab, data


class _Steps:
    """The loop's steps: a batch of pairs drawn at random, one Adam step on it."""

    def __init__(self, model: _Model, data, keep, config: SoftmaxConfig, rng, device, labels, state, losses):
        self.model, self.data, self.keep, self.config, self.rng, self.device = model, data, keep, config, rng, device
        # Pairs are drawn from anywhere in the corpus: the whole of it in memory (a corpus in the
        # cache is read here), 12 bytes a token, small beside what a full softmax over its vocabulary costs.
        self.ids, self.starts = np.asarray(data.ids), np.asarray(data.starts)
        self.labels, self.losses, self.seconds = labels, losses, 0.0     # seconds: in the steps themselves
        self.steps = self.first_step = state.step if state is not None else 0
        self.pairs = state.get("pairs", 0) if state is not None else 0

    def step(self, size: int) -> Chunk:
        cfg = self.config
        centres, contexts = _draw_pairs(self.ids, self.starts, self.keep, cfg.window, cfg.batch,
                                        int(self.rng.integers(2**31)))
        t0 = time.perf_counter()
        loss = self.model.step(torch.from_numpy(centres).to(self.device), torch.from_numpy(contexts).to(self.device))
        self.seconds += time.perf_counter() - t0
        self.steps += 1
        self.pairs += cfg.batch
        self.losses.append((self.pairs, loss))
        return Chunk(self.pairs, loss)

    def finished(self) -> bool:
        return self.steps >= self.config.steps

    def snapshot(self):
        return snapshot(self.model.W), self.labels


def train(config: SoftmaxConfig, corpus: Corpus, resume: TrainedEmbedding | None = None):
    """Train full-softmax skip-gram; a generator of Progress returning a TrainedEmbedding.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more
    steps), continued from where it ended."""
    validate(config)
    state = check_resumable(resume, config) if resume is not None else None
    device = resolve_device(config.device)
    threads = set_threads(config.threads)
    rng = seed_everything(config.seed)
    yield Progress(0, 0, message="Building the vocabulary" if resume is None else "Reading the corpus")
    vocab, data = _data(config, corpus, resume, state)
    model = _Model(len(vocab), config.dim, config.lr, device, rng)
    if state is not None:
        model.W.copy_(torch.tensor(resume.tensors["input"]))
        model.C.copy_(torch.tensor(resume.tensors["output"]))
        restore(state, model.opt, rngs={"pairs": rng})
    steps = _Steps(model, data, keep_probabilities(vocab.counts, config.sample), config, rng, device,
                   tuple(vocab.words[:MAP_WORDS]), state, list(resume.losses) if resume is not None else [])
    total = steps.pairs + (config.steps - steps.steps) * config.batch
    verb = "Continuing" if resume is not None else "Training"
    first = Progress(steps.pairs, total, unit="pairs", snapshot=snapshot(model.W), labels=steps.labels,
                     message=f"{verb} full-softmax skip-gram over {len(vocab):,} words")
    run = yield from train_loop(steps, first, Pace(event_seconds=EVENT_SECONDS, snapshot_seconds=SNAPSHOT_SECONDS),
                                loss=steps.losses[-1][1] if steps.losses else None)
    return _result(config, run, steps, vocab, data, corpus, device, threads, resume)


def _result(config: SoftmaxConfig, run, steps: _Steps, vocab, data, corpus, device, threads: int, resume):
    new_pairs = run.done - run.start
    stats = run_stats("softmax", run.seconds, new_pairs, run.loss, device.type, vocab, data, corpus, run.stopped,
                      threads=threads if device.type == "cpu" else 0, steps_done=steps.steps, batch=config.batch,
                      ms_per_step=1000 * steps.seconds / max(steps.steps - steps.first_step, 1),
                      pairs_per_second=run.per_second, note="words_per_second counts (centre, context) pairs here")
    stats["words_done"] = run.done
    continued(stats, resume, "resumed_at_step", steps.first_step)
    where = capture(steps.steps, steps.model.opt, rngs={"pairs": steps.rng},
                    values={"pairs": run.done, "corpus_sentences": data.n_sentences, "corpus_tokens": data.n_tokens})
    tensors, extra = where.add_to({"input": steps.model.W.cpu().numpy(), "output": steps.model.C.cpu().numpy()}, {})
    return TrainedEmbedding("softmax", config, vocab, tensors, stats, steps.losses, extra[TrainingState.EXTRA_KEY])
