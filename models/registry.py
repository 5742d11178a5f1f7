"""Name-keyed registry of trainable models: adding a model is one module plus one line here.

Every trainer has the signature ``train(config, corpus) -> Generator[Progress, Any, Result]``.
Text models get the loaded :class:`~models.text.corpus.Corpus`; models that bring their own data
(``uses_corpus=False``, e.g. audio) get ``None`` and generate or read what they need themselves.
A text model's result is a :class:`~models.text.embedding.TrainedEmbedding`; other results have
a ``save(folder)`` method and a ``stats`` dict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from models.errors import UserError


@dataclass(frozen=True)
class ModelSpec:
    name: str          # CLI name
    label: str         # what the GUI shows
    config_cls: type
    train: Callable
    description: str = ""
    uses_corpus: bool = True


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> None:
    _REGISTRY[spec.name] = spec


def _load_builtin() -> None:
    if _REGISTRY:
        return
    from models.text import word2vec

    register(ModelSpec("sgns", "Skip-gram (negative sampling)", word2vec.SGNSConfig, word2vec.train,
                       "Predict each context word from the centre word, against random negatives."))
    register(ModelSpec("cbow", "CBOW (negative sampling)", word2vec.CBOWConfig, word2vec.train,
                       "Predict the centre word from the mean of its context, against random negatives."))


def get(name: str) -> ModelSpec:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"Unknown model '{name}'.", f"Known models: {', '.join(_REGISTRY)}.") from None


def all_models() -> list[ModelSpec]:
    _load_builtin()
    return list(_REGISTRY.values())
