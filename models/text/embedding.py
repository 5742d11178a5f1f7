"""A trained word embedding: what every text trainer returns, saves and loads the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.checkpoint import VECTORS, Checkpoint, CheckpointError, save_run
from models.core.params import from_dict, to_dict
from models.text.vocab import Vocabulary
from models.vectors import WordVectors



@dataclass
class TrainedEmbedding:
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

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.model, to_dict(self.config), self.tensors,
                          {"vocab": self.vocab.to_json(), "stats": self.stats, "losses": self.losses,
                           "state": self.state})

    def save(self, folder: str | Path, force: bool = False) -> Path:
        """Write model.safetensors, config.json, vectors.txt and run.json into ``folder``."""
        return save_run(folder, self.checkpoint(), self.stats,
                        copies=lambda f: self.vectors.save_word2vec_text(f / VECTORS), force=force)

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint, config_cls) -> "TrainedEmbedding":
        extra = ckpt.extra
        return cls(ckpt.model, from_dict(config_cls, ckpt.config), Vocabulary.from_json(extra["vocab"]),
                   dict(ckpt.tensors), extra.get("stats", {}), [tuple(x) for x in extra.get("losses", [])],
                   extra.get("state", {}))


def load_embedding(folder: str | Path) -> TrainedEmbedding:
    """The word model saved in ``folder`` (any result with word vectors: the masked LM's too)."""
    from models.loading import load_result

    result = load_result(folder)
    if not hasattr(result, "vectors"):
        raise CheckpointError(f"{folder} holds a '{result.model}' model, which has no word vectors.",
                              "Open it from the view that uses it (separation or matching).")
    return result
