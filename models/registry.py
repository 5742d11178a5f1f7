"""Name-keyed registry of trainable models: adding a model is one module plus one line here.

Every trainer has the signature ``train(config, corpus) -> Generator[Progress, Any, Result]``.
Text models get the loaded :class:`~models.text.corpus.Corpus`; models that bring their own data
(``uses_corpus=False``, e.g. audio) get ``None`` and generate or read what they need themselves.
A text model's result is a :class:`~models.text.embedding.TrainedEmbedding`; other results have
a ``save(folder)`` method and a ``stats`` dict. Every result turns into a
:class:`~models.core.checkpoint.Checkpoint` (``result.checkpoint()``) and back
(:func:`result_from_checkpoint`), which is how model folders and sessions hold it.

A resumable trainer also takes ``resume=`` (a result it returned earlier) and goes on from where
that result stopped. :func:`check_resumable` says before any data is read whether it can, and
:func:`can_continue` whether a result holds what continuing needs at all.

A spec names its model's module and imports it only when something in it is read
(:meth:`ModelSpec.imported`), so this module imports no model module at start-up.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

from models.errors import UserError
from models.text.embedding import TrainedEmbedding
from models.text.resume import check_resumable as check_word_model


@dataclass(frozen=True)
class ModelSpec:
    """A model by name. Its module is imported only when something in it is read (the config
    class, the trainer, the result class, the resume check, a description naming its constants),
    so listing the models, or training one, loads no other model's libraries: Torch alone is
    about 200 MB that training a word model on the CPU never uses."""
    name: str          # CLI name
    label: str         # what the GUI shows
    module: str        # where the model lives ("models.text.word2vec"); the names below are in it
    config: str        # the config dataclass
    # What the CLI's help and the training panel say; "{NAME}" is that constant of the module.
    about: str = ""
    uses_corpus: bool = True
    # The result's class, built by ``result_cls.from_checkpoint(ckpt, config_cls)`` (None: TrainedEmbedding).
    result: str | None = None
    # The trainer takes ``resume=`` (a result it returned earlier) and continues it.
    resumable: bool = False
    # ``check_resume(result, config)`` raises a UserError when the trainer cannot continue
    # ``result`` with ``config`` (None: the word models' check, models.text.resume.check_resumable).
    check: str | None = None
    # Another trainer for this model, in place of the module's ``train`` (the Negatives view's, which
    # stops now and then to score a word's pairs).
    trainer: Callable | None = None

    def imported(self) -> ModuleType:
        """The model's module, imported now if it was not yet: the one place the registry imports
        a model module."""
        return importlib.import_module(self.module)

    @property
    def config_cls(self) -> type:
        return getattr(self.imported(), self.config)

    @property
    def train(self) -> Callable:
        return self.trainer or self.imported().train

    @property
    def result_cls(self) -> type | None:
        return getattr(self.imported(), self.result) if self.result else None

    @property
    def check_resume(self) -> Callable | None:
        return getattr(self.imported(), self.check) if self.check else None

    @property
    def description(self) -> str:
        return self.about.format_map(vars(self.imported())) if "{" in self.about else self.about


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> None:
    _REGISTRY[spec.name] = spec


# Every model the program ships; a model module never imports this one back.
register(ModelSpec("sgns", "Skip-gram (negative sampling)", "models.text.word2vec", "SGNSConfig",
                   "Predict each context word from the centre word, against random negatives.",
                   resumable=True))
register(ModelSpec("cbow", "CBOW (negative sampling)", "models.text.word2vec", "CBOWConfig",
                   "Predict the centre word from the mean of its context, against random negatives.",
                   resumable=True))
register(ModelSpec("onehot", "One-hot (baseline)", "models.text.onehot", "OneHotConfig",
                   "One dimension per word, every two words at cosine 0; the vocabulary is capped "
                   "at {MAX_VOCAB:,} words because the vectors are as long as it is."))
register(ModelSpec("cooc", "Co-occurrence / PPMI + SVD, eig or NMF", "models.text.cooc", "CoocConfig",
                   "Count words within a window into a sparse matrix, optionally PPMI, and factorise it "
                   "by truncated SVD, eigendecomposition or non-negative matrix factorisation."))
register(ModelSpec("softmax", "Skip-gram (full softmax)", "models.text.softmax", "SoftmaxConfig",
                   "Predict each context word from the centre word with a softmax over the whole "
                   "vocabulary: exact but O(vocabulary) per pair, so the vocabulary is capped at "
                   "{MAX_VOCAB:,} words (5,000 by default); compare its ms_per_step with sgns.",
                   resumable=True, check="check_resumable"))
register(ModelSpec("glove", "GloVe", "models.text.glove", "GloVeConfig",
                   "Weighted least squares on log co-occurrence counts, f(x) = min(1, (x/x_max)^alpha), "
                   "trained by AdaGrad; word and context vectors summed.", resumable=True))
register(ModelSpec("fasttext", "FastText (subword skip-gram)", "models.text.fasttext", "FastTextConfig",
                   "Skip-gram whose input is the mean of the word's vector and its character n-gram "
                   "vectors (of <word>); gives vectors to words never seen in training.",
                   result="FastTextEmbedding", resumable=True))
register(ModelSpec("dc", "Deep clustering (separate two voices)", "models.audio.deep_clustering",
                   "DeepClusteringConfig", "{DESCRIPTION}", uses_corpus=False, result="DeepClusteringModel",
                   resumable=True, check="check_resumable"))
register(ModelSpec("siamese", "Siamese matching (query by example)", "models.siamese.model", "SiameseConfig",
                   "A twin CNN maps log-mel excerpts to unit vectors, trained with the pair loss "
                   "-y log s(z.z') - (1-y) log(1 - s(z.z')) on a synthesized database of melodies "
                   "with one recording each; matches noisy, re-performed excerpts to their source.",
                   uses_corpus=False, result="SiameseMatcher", resumable=True, check="check_resumable"))
register(ModelSpec("mlm", "Masked language model (contextual vectors)", "models.text.mlm", "MLMConfig",
                   "A small Transformer encoder that predicts masked words (BERT's 80/10/10 trick); "
                   "gives one vector per word occurrence, so a word's vector depends on its sentence.",
                   result="TrainedMLM", resumable=True, check="check_resumable"))


def get(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UserError(f"Unknown model '{name}'.", f"Known models: {', '.join(_REGISTRY)}.") from None


def result_from_checkpoint(ckpt):
    """The trained result a checkpoint holds, of the class its model's spec names."""
    spec = get(ckpt.model)
    return (spec.result_cls or TrainedEmbedding).from_checkpoint(ckpt, spec.config_cls)


def can_continue(result) -> bool:
    """Whether ``result`` comes from a resumable trainer and holds where its training stood: the
    Torch trainers keep that as ``training``, the word models as a non-empty ``state``."""
    spec = _REGISTRY.get(getattr(result, "model", None))
    if spec is None or not spec.resumable:
        return False
    if hasattr(result, "training"):
        return result.training is not None
    return bool(getattr(result, "state", None))


def check_resumable(spec: ModelSpec, result, config) -> None:
    """Raise a UserError saying why ``spec``'s trainer cannot continue ``result`` with ``config``
    (another kind of model, no training state, changed settings, nothing left to train)."""
    if not spec.resumable:
        raise UserError(f"{spec.label} cannot continue a model it trained earlier.", "Train a new model.")
    kind = getattr(result, "model", None)
    if kind != spec.name:
        raise UserError(f"This is a '{kind}' model; it cannot be continued as '{spec.name}'.",
                        f"Choose {kind} in the model list, or train a new {spec.name} model.")
    if spec.check_resume is not None:
        spec.check_resume(result, config)
        return
    check_word_model(result, spec.name, config)


def all_models() -> list[ModelSpec]:
    return list(_REGISTRY.values())
