"""One-hot vectors: word i is the i-th unit vector, so every two different words are at cosine 0.

Nothing is learned; the model is the baseline the others are measured against. The vectors are
as long as the vocabulary, so the vocabulary is capped (:data:`MAX_VOCAB`): 5,000 words already
make a 100 MB matrix and a vectors.txt of 25 million numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.events import Progress, Rate
from models.core.params import param, validate
from models.text.common import MAP_WORDS, prepare, run_stats, snapshot
from models.text.corpus import Corpus
from models.text.embedding import TrainedEmbedding
from models.text.vocab import build_vocab

MAX_VOCAB = 5000


@dataclass
class OneHotConfig:
    max_vocab: int = param(2000, "Most frequent words kept; each gets its own dimension, so the vectors are "
                           f"this long (at most {MAX_VOCAB:,})", low=2, high=MAX_VOCAB)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)


def train(config: OneHotConfig, corpus: Corpus):
    """The identity matrix over the vocabulary; a generator of Progress returning a TrainedEmbedding."""
    validate(config)
    rate = Rate(1)
    yield Progress(0, 0, message="Building the vocabulary")
    vocab, data = prepare(corpus, config.min_count, config.max_vocab)
    vectors = np.eye(len(vocab), dtype=np.float32)
    labels = tuple(vocab.words[:MAP_WORDS])
    # A Stop has nothing to cut short here: the events only report and show the (trivial) map.
    yield Progress(1, 1, unit="steps", message="One dimension per word",
                   snapshot=snapshot(vectors[:, :MAP_WORDS]), labels=labels)
    stats = run_stats("onehot", rate.elapsed, data.n_tokens, float("nan"), "cpu", vocab, data, corpus, False,
                      dim=len(vocab))
    return TrainedEmbedding("onehot", config, vocab, {"input": vectors}, stats, [])


@dataclass(frozen=True)
class IdentityTable:
    """The one-hot vectors of chosen words over the corpus's whole vocabulary (no cap): word w is
    the unit vector of dimension ``dims[w]``, its frequency rank, so the table of the words'
    vectors restricted to their own dimensions is the identity and every other coordinate is 0."""
    words: list[str]          # the chosen words the corpus holds, in the order asked
    dims: list[int]           # each word's dimension (0-based frequency rank)
    counts: list[int]         # how often the corpus holds each
    vocab_size: int           # the length of every vector
    missing: list[str]        # chosen words the corpus never holds

    @property
    def matrix(self) -> np.ndarray:
        """Row i: word i's vector at the columns ``dims`` (the identity, since the dims differ)."""
        dims = np.asarray(self.dims)
        return (dims[:, None] == dims[None, :]).astype(np.float32)


def identity_table(corpus: Corpus, words: list[str]) -> IdentityTable:
    """The one-hot vectors of ``words`` whatever the model's cap: the vocabulary is every word the
    corpus holds, most frequent first, as the model's would be without :data:`MAX_VOCAB`."""
    vocab = build_vocab(corpus, min_count=1, source=corpus.path.name)
    known = [w for w in words if w in vocab]
    return IdentityTable(known, [vocab.index[w] for w in known], [int(vocab.counts[vocab.index[w]]) for w in known],
                         len(vocab), [w for w in words if w not in vocab])
