"""A trained word embedding: what every text trainer returns, saves and loads the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.checkpoint import VECTORS, Checkpoint
from models.core.params import from_dict
from models.core.result import TrainedResult
from models.text.vocab import Vocabulary
from models.vectors.formats import write_vectors
from models.vectors.store import WordVectors



@dataclass
class TrainedEmbedding(TrainedResult):
    model: str                         # registry name, e.g. "sgns"
    config: object                     # the model's config dataclass
    vocab: Vocabulary
    tensors: dict[str, np.ndarray]     # every weight needed to resume or reload ("input" = word vectors)
    stats: dict = field(default_factory=dict)   # seconds, words_per_second, final_loss, device, ...
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, loss) as trained
    state: dict = field(default_factory=dict)   # where training stood, for trainers that can continue

    @property
    def vectors(self) -> WordVectors:
        if not hasattr(self, "_vectors"):
            self._vectors = WordVectors(self.vocab.words, self.tensors["input"])
        return self._vectors

    def parts(self) -> tuple[dict, dict]:
        # ``state`` is JSON: the full softmax's resume tensors are among ``tensors`` already
        return self.tensors, {"vocab": self.vocab.to_json(), "state": self.state}

    def copies(self, folder: Path) -> None:
        write_vectors(self.vectors, folder / VECTORS, "word2vec")

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint, config_cls) -> "TrainedEmbedding":
        # Every tensor is kept as it is, those of the full softmax's resume state too: the word
        # models keep where training stood in ``state``, not as a TrainingState.
        config = from_dict(config_cls, ckpt.config)
        _check_matrices(ckpt, getattr(config, "dim", None))
        return cls(ckpt.model, config, Vocabulary.from_json(ckpt.extra["vocab"]), dict(ckpt.tensors),
                   *cls.history(ckpt.extra), ckpt.extra.get("state", {}))


# The matrices of a word model: one row per word (or per n-gram bucket), as wide as the config says.
WORD_MATRICES = ("input", "output", "words", "ngrams")


def _check_matrices(ckpt: Checkpoint, dim: int | None) -> None:
    """Every trainer saves its word matrices as float32 rows of ``dim`` numbers; another dtype (a
    float64 the views would mix with float32, a BOOL making every cosine 1) or width is damage.
    The counting model keeps fewer factors than ``dim`` when the vocabulary is smaller."""
    for name in WORD_MATRICES:
        t = ckpt.tensors.get(name)
        if t is None:
            continue
        if t.dtype != np.float32 or t.ndim != 2:
            raise ValueError(f"'{name}' holds {t.ndim}-D {t.dtype} values, not the float32 matrix the model saves")
        if dim is not None and (t.shape[1] > dim if ckpt.model == "cooc" else t.shape[1] != dim):
            raise ValueError(f"'{name}' is {t.shape[1]} numbers wide where the config says {dim}")
