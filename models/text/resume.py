"""Stopping a text trainer and going on later: where it stood, and a loss curve that comes out the
same however the run was cut.

The saved curve has one point per fixed block of units (sentences, or GloVe's co-occurrence
entries; :data:`~models.core.loop.POINTS_PER_EPOCH` blocks an epoch), summed from the kernel's
per-unit loss (see :class:`models.core.loop.LossCurve`).

Everything random is a function of the seed and the place in the run (:func:`epoch_seed`, and the
kernels' per-sentence streams), never of what ran before in this process, so a resumed run draws
what the uninterrupted one would have.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.core.events import stage
from models.core.loop import LossCurve, Sweep
from models.errors import CorpusError, UserError
from models.text.vocab import encode_steps, prepare_steps


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


def sentence_sweep(epochs: int, data, state: "ResumeState", losses: list, train, snapshot,
                   diverged=None) -> Sweep:
    """The :class:`~models.core.loop.Sweep` of a sentence-by-sentence run over ``data`` (an
    EncodedCorpus) as it starts or resumes at ``state``, counted in words, its loss curve going on
    from ``losses``. ``train(epoch, s0, s1)`` trains sentences [s0, s1) with the random stream of
    ``epoch``."""
    curve = LossCurve(data.n_sentences, losses, state.bin_loss, state.bin_pairs, starts=data.starts)
    return Sweep(epochs, data.n_sentences, train, snapshot, curve, state.epoch, state.sentence, starts=data.starts,
                 diverged=diverged)


def sweep_state(sweep: Sweep, data, state_cls: type[ResumeState] = ResumeState, **more) -> ResumeState:
    """Where ``sweep`` stands, to be saved with the model."""
    return state_cls(sweep.epoch, sweep.at, sweep.curve.bin_loss, sweep.curve.bin_pairs, data.n_sentences,
                     data.n_tokens, **more)
