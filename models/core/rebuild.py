"""Saved results back into working ones: a checkpoint rebuilt into the result it holds and put to
use once, the way the views use it, or a CheckpointError that names the file and says what to do.
A result class loads its own folders here; :mod:`models.loading` loads any model by the registry's
name for it.

A checkpoint that safetensors reads whole can still be a broken model: a vocabulary a word short
of its matrix, a config out of range, a network's weights of another shape, a loss curve of
strings. Each result class's ``from_checkpoint`` builds what it holds; what would fail only later,
in a view (the word vectors, a network built on first use), is built here as well, so every way a
damaged model can fail shows at loading, as one error, and not as a traceback in a view.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.core.checkpoint import Checkpoint, CheckpointError, load_checkpoint_of
from models.printable import one_line
from models.errors import UserError

HINT = "Re-train or re-save the model."
# Run statistics the views compute with (times, rates, the last loss); the rest are only shown.
NUMERIC_STATS = ("seconds", "words_per_second", "pairs_per_second", "ms_per_step", "final_loss")
# What a result's constructor raises on parts that do not fit: a missing key, a list where a dict
# belongs, a shape Torch refuses, a count too large for int64, a Transformer's own asserts.
REBUILD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError, AssertionError,
                  OverflowError)


def rebuild_as(build, ckpt: Checkpoint, source: str | Path):
    """The trained result ``build(ckpt)`` makes of ``ckpt``, tried out once; any failure is a
    CheckpointError naming ``source``."""
    try:
        result = build(ckpt)
        _use(result)
    except CheckpointError as e:
        raise CheckpointError(f"{source} holds a '{ckpt.model}' model that cannot be used: "
                              f"{one_line(e.problem).rstrip('.')}.", e.hint or HINT) from e
    except UserError as e:          # a model name the registry does not know, a config out of range
        raise CheckpointError(f"{source} holds a model that cannot be rebuilt: {one_line(e.problem)}.", HINT) from e
    except REBUILD_ERRORS as e:
        why = f"no {e.args[0]!r}" if type(e) is KeyError else one_line(e)
        raise CheckpointError(f"{source} holds a '{ckpt.model}' model whose parts do not fit together ({why}).",
                              HINT) from e
    return result


def load_saved(result_cls, config_cls, folder: str | Path, model: str, what: str):
    """The ``result_cls`` saved in ``folder`` with its hyper-parameters as a ``config_cls``; the
    folder must hold a model of the registry name ``model`` (``what`` says which, for the error:
    "a Siamese matcher")."""
    folder = Path(folder)
    return rebuild_as(lambda ckpt: result_cls.from_checkpoint(ckpt, config_cls),
                      load_checkpoint_of(folder, model, what), folder)


def _use(result) -> None:
    """Build what a view builds first, and check what the views read as numbers."""
    if hasattr(type(result), "vectors"):
        result.vectors                  # noqa: B018 - builds the WordVectors, which check the words
    if callable(getattr(type(result), "net", None)):
        result.net()                    # a network built on first use
    vocab = getattr(result, "vocab", None)
    if vocab is not None and (len(vocab.counts) != len(vocab.words) or (np.asarray(vocab.counts) < 0).any()):
        raise ValueError(f"{len(vocab.counts)} word counts, or a negative one, for {len(vocab.words)} words")
    stats = getattr(result, "stats", {})
    if not isinstance(stats, dict):
        raise ValueError("run statistics that are not a record")
    odd = [k for k in NUMERIC_STATS if stats.get(k) is not None and not _is_number(stats[k])]
    if odd:     # the views do arithmetic on them: a string or a list there fails in the window
        raise ValueError(f"run statistics whose {odd[0]!r} is not a number")
    for curve in ("losses", "valid_losses"):
        if not all(len(p) == 2 and all(_is_number(x) for x in p) for p in getattr(result, curve, [])):
            raise ValueError(f"a loss curve ({curve}) that is not pairs of numbers")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
