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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from models.audio import deep_clustering as dc
from models.errors import UserError
from models.siamese import model as siamese
from models.text import cooc, fasttext, glove, mlm, onehot, softmax, word2vec
from models.text.embedding import TrainedEmbedding
from models.text.resume import check_resumable as check_word_model


@dataclass(frozen=True)
class ModelSpec:
    name: str          # CLI name
    label: str         # what the GUI shows
    config_cls: type
    train: Callable
    description: str = ""
    uses_corpus: bool = True
    # The result's class, built by ``result_cls.from_checkpoint(ckpt, config_cls)`` (None: TrainedEmbedding).
    result_cls: type | None = None
    # The trainer takes ``resume=`` (a result it returned earlier) and continues it.
    resumable: bool = False
    # ``check_resume(result, config)`` raises a UserError when the trainer cannot continue
    # ``result`` with ``config`` (None: the word models' check, models.text.resume.check_resumable).
    check_resume: Callable | None = None


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> None:
    _REGISTRY[spec.name] = spec


# Every model the program ships; a model module never imports this one back.
register(ModelSpec("sgns", "Skip-gram (negative sampling)", word2vec.SGNSConfig, word2vec.train,
                   "Predict each context word from the centre word, against random negatives.",
                   resumable=True))
register(ModelSpec("cbow", "CBOW (negative sampling)", word2vec.CBOWConfig, word2vec.train,
                   "Predict the centre word from the mean of its context, against random negatives.",
                   resumable=True))
register(ModelSpec("onehot", "One-hot (baseline)", onehot.OneHotConfig, onehot.train,
                   "One dimension per word, every two words at cosine 0; the vocabulary is capped "
                   f"at {onehot.MAX_VOCAB:,} words because the vectors are as long as it is."))
register(ModelSpec("cooc", "Co-occurrence / PPMI + SVD, eig or NMF", cooc.CoocConfig, cooc.train,
                   "Count words within a window into a sparse matrix, optionally PPMI, and factorise it "
                   "by truncated SVD, eigendecomposition or non-negative matrix factorisation."))
register(ModelSpec("softmax", "Skip-gram (full softmax)", softmax.SoftmaxConfig, softmax.train,
                   "Predict each context word from the centre word with a softmax over the whole "
                   "vocabulary: exact but O(vocabulary) per pair, so the vocabulary is capped at "
                   f"{softmax.MAX_VOCAB:,} words (5,000 by default); compare its ms_per_step with sgns.",
                   resumable=True, check_resume=softmax.check_resumable))
register(ModelSpec("glove", "GloVe", glove.GloVeConfig, glove.train,
                   "Weighted least squares on log co-occurrence counts, f(x) = min(1, (x/x_max)^alpha), "
                   "trained by AdaGrad; word and context vectors summed.", resumable=True))
register(ModelSpec("fasttext", "FastText (subword skip-gram)", fasttext.FastTextConfig, fasttext.train,
                   "Skip-gram whose input is the mean of the word's vector and its character n-gram "
                   "vectors (of <word>); gives vectors to words never seen in training.",
                   result_cls=fasttext.FastTextEmbedding, resumable=True))
register(ModelSpec("dc", "Deep clustering (separate two voices)", dc.DeepClusteringConfig, dc.train,
                   dc.DESCRIPTION, uses_corpus=False, result_cls=dc.DeepClusteringModel,
                   resumable=True, check_resume=dc.check_resumable))
register(ModelSpec("siamese", "Siamese matching (query by example)", siamese.SiameseConfig, siamese.train,
                   "A twin CNN maps log-mel excerpts to unit vectors, trained with the pair loss "
                   "-y log s(z.z') - (1-y) log(1 - s(z.z')) on a synthesized database of melodies "
                   "with one recording each; matches noisy, re-performed excerpts to their source.",
                   uses_corpus=False, result_cls=siamese.SiameseMatcher,
                   resumable=True, check_resume=siamese.check_resumable))
register(ModelSpec("mlm", "Masked language model (contextual vectors)", mlm.MLMConfig, mlm.train,
                   "A small Transformer encoder that predicts masked words (BERT's 80/10/10 trick); "
                   "gives one vector per word occurrence, so a word's vector depends on its sentence.",
                   result_cls=mlm.TrainedMLM, resumable=True, check_resume=mlm.check_resumable))


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
