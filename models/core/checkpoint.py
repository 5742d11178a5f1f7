"""Checkpoints: safetensors weights whose header also carries the JSON config and vocabulary.

One file holds everything needed to load a model, so replacing it is a single atomic rename: a
save that dies half-way leaves the previous checkpoint as it was. ``config.json`` and ``run.json``
beside it are readable copies for people and scripts; they are written first and the checkpoint
last, so a save that fails at any file (a full disk, a denied rename) leaves the file that loading
reads untouched. Nothing here unpickles anything.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as np_load
from safetensors.numpy import save as np_save

from models.errors import UserError
from models.printable import one_line

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
RUN = "run.json"
FORMAT_VERSION = 1
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


class CheckpointError(UserError):
    """A model folder or file that cannot be loaded or written."""


@dataclass
class Checkpoint:
    model: str               # registry name, e.g. "sgns"
    config: dict             # the hyper-parameter dataclass as a dict
    tensors: dict[str, np.ndarray]
    extra: dict              # vocabulary and anything else the model needs, JSON-serialisable


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_failure(e: OSError, what: str, kept: str) -> tuple[str, str]:
    """(problem, hint) for a UserError when writing ``what`` failed with ``e``: what happened and
    what to do; ``kept`` says what is unchanged, with its verb ("the previous checkpoint is"):
    atomic writes leave the previous file as it was."""
    if e.errno in _FULL:
        hint = "The disk is full: free some space or choose another folder"
    elif isinstance(e, PermissionError) or e.errno in _DENIED:
        hint = "Writing there is not allowed: choose another folder, or one you have write permission for"
    else:
        hint = "Try again, or choose another folder"
    return f"Could not save {what}: {e.strerror or e}.", f"{hint}; {kept} unchanged."


def disk_error(e: UserError) -> OSError | None:
    """The OSError a writer's UserError stands for (raised while handling it), if any: so that a
    caller can report a full disk or a denied rename with :func:`write_failure`'s advice."""
    return e.__context__ if isinstance(e.__context__, OSError) else None


@contextlib.contextmanager
def _reported(folder: Path):
    """An OSError while saving a model into ``folder`` becomes a CheckpointError a person can act on."""
    try:
        yield
    except OSError as e:
        raise CheckpointError(*write_failure(e, f"the model to {folder}", "the previous checkpoint is")) from e


def _as_numpy(t) -> np.ndarray:
    # A torch tensor is known by its methods, not by isinstance: without a torch import, a script
    # that only reads or writes checkpoints and sessions starts in a fraction of the time.
    if hasattr(t, "detach"):
        t = t.detach().to("cpu").numpy()
    return np.ascontiguousarray(t)


def checkpoint_bytes(ckpt: Checkpoint) -> bytes:
    """The checkpoint as the bytes of a safetensors file: tensors, with model, config and extra in its header."""
    meta = {"format_version": str(FORMAT_VERSION), "model": ckpt.model,
            "config": json.dumps(ckpt.config), "extra": json.dumps(ckpt.extra)}
    return np_save({k: _as_numpy(v) for k, v in ckpt.tensors.items()}, metadata=meta)


def checkpoint_from_bytes(blob: bytes, source: str) -> Checkpoint:
    """Read bytes made by :func:`checkpoint_bytes`; a CheckpointError naming ``source`` when they are not."""
    try:
        tensors = np_load(blob)          # checks the header and that the data covers every tensor
        size = int.from_bytes(blob[:8], "little")
        meta = json.loads(blob[8:8 + size]).get("__metadata__") or {}
        ckpt = Checkpoint(model=meta["model"], config=json.loads(meta["config"]), tensors=tensors,
                          extra=json.loads(meta.get("extra", "{}")))
        if not (isinstance(ckpt.model, str) and isinstance(ckpt.config, dict) and isinstance(ckpt.extra, dict)):
            raise ValueError("its header is not a model's")
    except (SafetensorError, KeyError, ValueError, TypeError, AttributeError, RecursionError) as e:
        why = f"its header has no {e.args[0]!r}" if isinstance(e, KeyError) else one_line(e)
        raise CheckpointError(f"{source} is not a valid Embedding Explorer model ({why}).",
                              "Re-train or re-save the model.") from e
    # No trainer saves a NaN (they stop when the loss diverges): such weights are damage, and a
    # view would draw or match with them without a word.
    bad = [k for k, t in tensors.items() if t.dtype.kind == "f" and not np.isfinite(t).all()]
    if bad:
        raise CheckpointError(f"{source} holds NaN or infinite weights (in '{bad[0]}').",
                              "Re-train or re-save the model.")
    return ckpt


def load_module(build: Callable, state: dict[str, np.ndarray]):
    """``build()``, a Torch module, holding the weights ``state``. Its shapes are compared with
    ``state``'s first on the meta device, where nothing is allocated: a config that asks for a far
    bigger network than the file holds is a ValueError, never gigabytes of memory."""
    import torch

    def shape(t) -> tuple:
        return tuple(np.shape(t)) or (1,)      # load_state_dict takes a one-element vector for a scalar

    with torch.device("meta"), _no_fills():
        wanted = {k: shape(v) for k, v in build().state_dict().items()}
    given = {k: shape(v) for k, v in state.items()}
    if wanted != given:
        diff = sorted(k for k in wanted.keys() | given.keys() if wanted.get(k) != given.get(k))
        raise ValueError(f"weights that do not fit the network its config describes ('{diff[0]}': "
                         f"{given.get(diff[0], 'missing')} for {wanted.get(diff[0], 'none')})")
    module = build()
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return module


def save_checkpoint(folder: Path, ckpt: Checkpoint) -> Path:
    folder = Path(folder)
    with _reported(folder):
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / CONFIG, json.dumps({"model": ckpt.model, "config": ckpt.config},
                                                      indent=2, sort_keys=True))
        atomic_write_bytes(folder / WEIGHTS, checkpoint_bytes(ckpt))     # last: see the module's docstring
    return folder / WEIGHTS


def save_run(folder: Path, ckpt: Checkpoint, stats: dict, copies: Callable[[Path], None] | None = None) -> Path:
    """Save a trained model: ``run.json`` with the run's figures for people and scripts (seconds,
    losses, test scores), whatever ``copies(folder)`` writes (a model's readable vectors), and its
    checkpoint last."""
    folder = Path(folder)
    with _reported(folder):
        folder.mkdir(parents=True, exist_ok=True)
        if copies is not None:
            try:
                copies(folder)
            except UserError as e:
                # The person is saving the model: a copy's disk error is reported as the model's.
                cause = disk_error(e)
                if cause is None:
                    raise
                raise cause from None
        atomic_write_text(folder / RUN, json.dumps(stats, indent=2, sort_keys=True))
    save_checkpoint(folder, ckpt)
    return folder


def load_checkpoint_of(folder: Path, model: str, what: str) -> Checkpoint:
    """The checkpoint in ``folder``, which must hold a model of registry name ``model``."""
    ckpt = load_checkpoint(Path(folder))
    if ckpt.model != model:
        raise CheckpointError(f"{folder} holds a '{ckpt.model}' model, not {what}.",
                              f"Train one with: python -m explorer train {model} --out DIR")
    return ckpt


def load_checkpoint(folder: Path) -> Checkpoint:
    folder = Path(folder)
    path = folder / WEIGHTS if folder.is_dir() else folder
    if not path.exists():
        raise CheckpointError(f"No model found at {path}.",
                              "Point to a folder written by 'explorer train' or the app's Save.")
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"Cannot read {path}: {e.strerror or e}.", "Check the file and try again.") from e
    return checkpoint_from_bytes(blob, str(path))


def _no_fills():
    import torch
    from torch.overrides import TorchFunctionMode

    class NoFills(TorchFunctionMode):
        """In-place fills of meta tensors (the layers' weight initialisation) skipped: they compute
        nothing there, yet the first random one imports torch._dynamo, which takes seconds."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = getattr(func, "__name__", "")
            target = args[0] if args else kwargs.get("tensor")
            if name.endswith("_") and not name.startswith("_") and isinstance(target, torch.Tensor) and target.is_meta:
                return target
            return func(*args, **kwargs)

    return NoFills()
