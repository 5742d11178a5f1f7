"""Any saved model back into a working one, found by the registry's name for it: a model folder
of any kind, a checkpoint from a session, the word vectors of a model folder or of a vector file.

This module sits above :mod:`models.registry`, which sits above every model module: a model module
loads its own folders with :func:`models.core.rebuild.load_saved` and never imports this one.
"""
from __future__ import annotations

from pathlib import Path

from models.core.checkpoint import Checkpoint, CheckpointError, load_checkpoint, load_checkpoint_of
from models.core.events import Progress
from models.core.rebuild import rebuild_as
from models.registry import result_from_checkpoint
from models.vectors.formats import normalize_format, read_vectors_steps


def rebuild(ckpt: Checkpoint, source: str | Path):
    """The trained result ``ckpt`` holds, of the class its model's spec names, tried out once;
    any failure is a CheckpointError naming ``source``."""
    return rebuild_as(result_from_checkpoint, ckpt, source)


def load_result(folder: str | Path, model: str | None = None, what: str = ""):
    """The trained result saved in ``folder``; with ``model``, it must be a model of that registry
    name (``what`` says which, for the error: "a Siamese matcher")."""
    folder = Path(folder)
    ckpt = load_checkpoint_of(folder, model, what) if model else load_checkpoint(folder)
    return rebuild(ckpt, folder)


def load_embedding(folder: str | Path):
    """The word model saved in ``folder`` (any result with word vectors: the masked LM's too)."""
    result = load_result(folder)
    if not hasattr(result, "vectors"):
        raise CheckpointError(f"{folder} holds a '{result.model}' model, which has no word vectors.",
                              "Open it from the view that uses it (separation or matching).")
    return result


def open_vectors_steps(path: str | Path, fmt: str = "auto"):
    """Like :func:`models.vectors.formats.read_vectors_steps`, but a model folder written by
    training is accepted too."""
    path = Path(path)
    if normalize_format(fmt) == "auto" and path.is_dir() and not (path / "vectors.tsv").is_file():
        yield Progress(step=0, total_steps=1, unit="models", message=f"loading {path.name}")
        return load_embedding(path).vectors
    return (yield from read_vectors_steps(path, fmt))
