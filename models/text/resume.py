"""Stopping a text trainer and going on later: where it stood, and a loss curve that comes out the
same however the run was cut.

A trainer yields after chunks whose size follows the machine's speed, so a curve with one point
per chunk would differ from run to run. The saved curve instead has one point per fixed block of
units (sentences, or GloVe's co-occurrence entries; :data:`POINTS_PER_EPOCH` blocks an epoch),
summed from the kernel's per-unit loss.

Everything random is a function of the seed and the place in the run (:func:`epoch_seed`, and the
kernels' per-sentence streams), never of what ran before in this process, so a resumed run draws
what the uninterrupted one would have.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.core.events import Rate, stage
from models.errors import CorpusError, UserError
from models.text.vocab import encode_steps, prepare_steps

POINTS_PER_EPOCH = 100


@dataclass
class ResumeState:
    """Where a run stopped: the next sentence of the current epoch, and the loss of the block it
    was in the middle of. Saved with the model (see TrainedEmbedding.state)."""
    epoch: int = 0
    sentence: int = 0
    bin_loss: float = 0.0
    bin_pairs: int = 0
    corpus_sentences: int = 0
    corpus_tokens: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ResumeState":
        return cls(**{k: type(getattr(cls, k))(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def epoch_seed(seed: int, epoch: int) -> int:
    """Each epoch's random stream, a function of (seed, epoch) only, so a resumed run gets the same."""
    return int(np.random.default_rng((seed, epoch)).integers(1, 2**47))


def check_resumable(model, name: str, config, state_cls: type[ResumeState] = ResumeState) -> ResumeState:
    """The state to continue ``model`` from with ``config``, or a UserError saying why not.

    Settings that shape the weights or the data trained on (a config class's ``FIXED_ON_RESUME``,
    and ``dim``) must be those the model was trained with."""
    if model.model != name:
        raise UserError(f"This is a '{model.model}' model; it cannot be continued as '{name}'.",
                        f"Choose {model.model} in the model list, or train a new {name} model.")
    if not model.state:
        raise UserError("This model holds no training state to continue from (it was saved by an older "
                        "version, read from a vector file, or its training diverged).",
                        "Train a new model.")
    state = state_cls.from_json(model.state)
    if model.tensors["input"].shape[1] != config.dim:
        raise UserError(f"The model has {model.tensors['input'].shape[1]} dimensions, the settings ask "
                        f"for {config.dim}.", "Keep the model's dimensions to continue it.")
    for field in getattr(config, "FIXED_ON_RESUME", ()):
        was, now = getattr(model.config, field), getattr(config, field)
        if was != now:
            raise UserError(f"The model was trained with {field} = {was}, the settings ask for {now}.",
                            f"Keep {field} at {was} to continue it, or train a new model.")
    if state.epoch >= config.epochs:
        raise UserError(f"The model has already trained {state.epoch} of {config.epochs} epoch(s).",
                        "Raise Epochs to train it further.")
    return state


def not_the_corpus(corpus, model, found: str, expected: str) -> CorpusError:
    """The error for continuing ``model`` on a corpus other than its own."""
    return CorpusError(
        f"{corpus.path.name} is not the corpus this model was trained on: it gives {found}, the model's "
        f"run had {expected}.",
        f"Continue on the same corpus ({model.stats.get('corpus', 'see run.json')}), or train a new model.")


def corpus_to_train(config, name: str, corpus, resume, state_cls: type[ResumeState] = ResumeState):
    """A generator stage giving ``(vocab, data, state, losses, stopped)``: for a new run the
    vocabulary counted from ``corpus`` and a fresh state; for ``resume``, the model's vocabulary and
    state, once the corpus proves to be the one it was trained on."""
    if resume is None:
        (vocab, data), stopped = yield from stage(
            prepare_steps(corpus, config.min_count, config.max_vocab, source=corpus.path.name))
        if data.n_tokens == 0:
            raise CorpusError(f"{corpus.path.name} has no sentence of two or more known words.",
                              "Use a larger corpus or lower the minimum count.")
        return vocab, data, state_cls(), [], stopped
    state = check_resumable(resume, name, config, state_cls)
    data, stopped = yield from stage(encode_steps(corpus, resume.vocab))
    if (data.n_sentences, data.n_tokens) != (state.corpus_sentences, state.corpus_tokens):
        raise not_the_corpus(corpus, resume, f"{data.n_sentences:,} sentences and {data.n_tokens:,} known words",
                             f"{state.corpus_sentences:,} and {state.corpus_tokens:,}")
    return resume.vocab, data, state, list(resume.losses), stopped


def sentence_run(epochs: int, data, state: "ResumeState", losses: list):
    """Where a sentence-by-sentence run over ``data`` (an EncodedCorpus) stands as it starts or
    resumes at ``state``: ``(total, epoch, sentence, done, curve, rate, last_loss)``, ``total`` and
    ``done`` in tokens of the whole run, ``curve`` the LossCurve going on from ``losses``."""
    total = epochs * data.n_tokens
    done = state.epoch * data.n_tokens + int(data.starts[state.sentence])
    curve = LossCurve(data.n_sentences, losses, state.bin_loss, state.bin_pairs, starts=data.starts)
    last_loss = losses[-1][1] if losses else float("nan")
    return total, state.epoch, state.sentence, done, curve, Rate(total, done=done), last_loss


class LossCurve:
    """Mean loss per fixed block of an epoch's ``n`` units, as (x at the block's end, loss).

    x counts words when ``starts`` (a corpus's sentence offsets) is given, units otherwise."""

    def __init__(self, n: int, points=(), bin_loss: float = 0.0, bin_pairs: int = 0, starts: np.ndarray | None = None):
        self.n, self.starts = n, starts
        self.block = max(1, -(-n // POINTS_PER_EPOCH))
        self.points: list[tuple[int, float]] = list(points)
        self.bin_loss, self.bin_pairs = float(bin_loss), int(bin_pairs)

    def _x(self, end: int) -> int:
        return int(self.starts[end]) if self.starts is not None else end

    def add(self, x_before: int, s0: int, loss: np.ndarray, pairs: np.ndarray | None = None) -> None:
        """Book units s0, s0+1, ... of an epoch that began at ``x_before``: ``loss`` per unit, and
        the pairs it is a sum over (None: one each)."""
        n = self.n
        s1 = s0 + len(loss)
        ends = list(range((s0 // self.block + 1) * self.block - 1, s1, self.block))
        if s1 == n and (not ends or ends[-1] != n - 1):
            ends.append(n - 1)                   # the epoch's last, shorter block
        i0 = 0
        for e in ends:
            i1 = e - s0 + 1
            self.bin_loss += float(loss[i0:i1].sum())
            self.bin_pairs += int(pairs[i0:i1].sum()) if pairs is not None else i1 - i0
            if self.bin_pairs:
                self.points.append((x_before + self._x(e + 1), self.bin_loss / self.bin_pairs))
            self.bin_loss, self.bin_pairs, i0 = 0.0, 0, i1
        self.bin_loss += float(loss[i0:].sum())
        self.bin_pairs += int(pairs[i0:].sum()) if pairs is not None else len(loss) - i0
