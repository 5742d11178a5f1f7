"""Negative sampling watched: one centre word's true context words and the negatives drawn for it,
each with sigma(u.v) (the model's probability that the pair is real), re-scored as skip-gram trains.

The trainer is :func:`models.text.word2vec.train` itself: it is stopped about every ``every``
seconds, the pairs are scored with the weights it returns, and it is continued from where it
stopped (Continue's own mechanism), so the model at the end is a plain skip-gram model.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from models.core.events import STOP, Every, Progress
from models.errors import UserError
from models.text.corpus import Corpus
from models.text.sampling import noise_distribution
from models.text.word2vec import SGNSConfig, train


@dataclass(frozen=True)
class Sample:
    centre: str
    contexts: tuple[str, ...]       # words seen within the window of the centre word
    negatives: tuple[str, ...]      # drawn from unigram^0.75, as training draws them


@dataclass(frozen=True)
class ScoredSample(Progress):
    """A Progress event holding the sample's pairs with sigma(u_centre . v_word) for each."""
    contexts: tuple[tuple[str, float], ...] = ()
    negatives: tuple[tuple[str, float], ...] = ()
    centre: str = ""


def draw_sample(corpus: Corpus, vocab, centre: str, window: int, k: int, seed: int, contexts: int = 5) -> Sample:
    """The ``contexts`` words most bound to the centre word within ``window`` of it, and ``k``
    negatives from the noise distribution (neither the centre word nor one of those)."""
    if centre not in vocab:
        raise UserError(f"“{centre}” is not in the vocabulary of this model.",
                        "Choose a more frequent centre word, or lower the minimum count.")
    together = Counter()
    for sentence in corpus.sentences:
        if centre not in sentence:
            continue
        for i, w in enumerate(sentence):
            if w == centre:
                together.update(x for x in sentence[max(0, i - window):i] + sentence[i + 1:i + 1 + window]
                                if x in vocab and x != centre)
    if not together:
        raise UserError(f"“{centre}” never has a known word beside it.", "Choose another centre word.")
    # Ranked as PMI ranks them (pairs over the context word's frequency^0.75, word2vec's smoothing),
    # among pairs seen often enough to have been trained on more than once or twice: a word met
    # beside the centre word once would show noise, not what training does to a true pair.
    often = min(5, max(together.values()))
    ranked = sorted((w for w, n in together.items() if n >= often),
                    key=lambda w: (-together[w] / float(vocab.counts[vocab.index[w]]) ** 0.75, w))
    chosen = tuple(ranked[:contexts])
    return Sample(centre, chosen, _negatives(vocab, {centre, *chosen}, k, seed))


def _negatives(vocab, exclude: set[str], k: int, seed: int) -> tuple[str, ...]:
    p = noise_distribution(vocab.counts)
    for w in exclude:
        p[vocab.index[w]] = 0.0
    p = p / p.sum()
    k = min(k, int(np.count_nonzero(p)))
    ids = np.random.default_rng(seed).choice(len(p), size=k, replace=False, p=p)
    return tuple(vocab.words[i] for i in ids)


def sigma_scores(model, centre: str, words: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """sigma(u . v) for the centre word's input vector u and each word's output vector v."""
    u = model.tensors["input"][model.vocab.index[centre]].astype(np.float64)
    v = model.tensors["output"][[model.vocab.index[w] for w in words]].astype(np.float64)
    return tuple(zip(words, (1.0 / (1.0 + np.exp(-(v @ u)))).tolist()))


def watch(config: SGNSConfig, corpus: Corpus, resume=None, *, centre: str, negatives: int = 5,
          every: float = 1.0):
    """Train skip-gram as :func:`models.text.word2vec.train` does, yielding a :class:`ScoredSample`
    about every ``every`` seconds and at the end; returns the trained model. Send STOP to end."""
    model, sample = resume, None
    while True:
        run, due, reply, user_stop, last, seen = train(config, corpus, resume=model), Every(every), None, False, None, 0
        due()                          # the first pause comes ``every`` seconds in, not at once
        while True:
            try:
                ev = run.send(reply)
            except StopIteration as end:
                model = end.value
                break
            last, seen = ev, seen + 1
            reply = yield ev
            if reply == STOP:
                user_stop = True
            elif seen > 1 and due():   # the first event of a run comes before any training
                reply = STOP
        if sample is None:
            sample = draw_sample(corpus, model.vocab, centre, config.window, negatives, config.seed)
        scored = ScoredSample(last.step, last.total_steps, last.epoch, last.epochs, last.loss, unit=last.unit,
                              message=f"Scoring the pairs of “{centre}”", centre=centre,
                              contexts=sigma_scores(model, centre, sample.contexts),
                              negatives=sigma_scores(model, centre, sample.negatives))
        if (yield scored) == STOP or user_stop or not model.stats.get("stopped_early"):
            return model
