"""Checkpoints: safetensors weights whose header also carries the JSON config and vocabulary.

One file holds everything needed to load a model. ``config.json``, ``run.json`` and a word model's
``vectors.txt`` beside it are readable copies for people and scripts. A model folder is written
whole beside the old one and swapped with it in one step (:func:`models.core.writing.replaced_folder`),
so a save that fails or is killed at any point leaves the previous folder as it was, never new
copies beside an old checkpoint. A folder holding anything but a model's files is refused unless
the caller says to replace it (``force``), and is checked before training starts
(:func:`check_model_folder`). Nothing here unpickles anything.
"""
from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as np_load

from models.core.reading import read_bounded
from models.core.writing import atomic_open, atomic_write_text, check_folder, replaced_folder, write_failure
from models.errors import UserError
from models.printable import one_line

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
RUN = "run.json"
VECTORS = "vectors.txt"
MODEL_FILES = {WEIGHTS, CONFIG, RUN, VECTORS}      # what a model folder of ours holds
FORMAT_VERSION = 1
# Larger than any model the program trains (the bundled corpus's skip-gram is about 60 MB); a
# "model" beyond it is read no further.
MAX_MODEL_BYTES = 4 << 30


class CheckpointError(UserError):
    """A model folder or file that cannot be loaded or written."""


@dataclass
class Checkpoint:
    model: str               # registry name, e.g. "sgns"
    config: dict             # the hyper-parameter dataclass as a dict
    tensors: dict[str, np.ndarray]
    extra: dict              # vocabulary and anything else the model needs, JSON-serialisable


def disk_error(e: UserError) -> OSError | None:
    """The OSError a writer's UserError stands for (raised while handling it), if any: so that a
    caller can report a full disk or a denied rename with :func:`write_failure`'s advice."""
    return e.__context__ if isinstance(e.__context__, OSError) else None


@contextlib.contextmanager
def _reported(folder: Path, kept: str = "the previous model folder is"):
    """An OSError while saving a model into ``folder`` becomes a CheckpointError a person can act on."""
    try:
        yield
    except FileExistsError as e:
        raise CheckpointError(f"Will not save the model to {folder}: {e.strerror}.",
                              "Choose an empty folder or a model's, or give --force (the command line) to "
                              f"replace what it holds; {kept} unchanged.") from e
    except OSError as e:
        raise CheckpointError(*write_failure(e, f"the model to {folder}", kept)) from e


def check_model_folder(folder: str | Path, force: bool = False) -> None:
    """Refuse, before training, a folder a model could not be saved to (see :func:`save_run`)."""
    with _reported(Path(folder), "nothing was trained yet and nothing is"):
        check_folder(Path(folder), MODEL_FILES, force)


def _as_numpy(t) -> np.ndarray:
    # A torch tensor is known by its methods, not by isinstance: without a torch import, a script
    # that only reads or writes checkpoints and sessions starts in a fraction of the time.
    if hasattr(t, "detach"):
        t = t.detach().to("cpu").numpy()
    return np.ascontiguousarray(t)


# safetensors' names for the NumPy types a checkpoint may hold
_SAFETENSORS_TYPES = {np.dtype(t): name for t, name in (
    (np.float64, "F64"), (np.float32, "F32"), (np.float16, "F16"), (np.int64, "I64"), (np.int32, "I32"),
    (np.int16, "I16"), (np.int8, "I8"), (np.uint64, "U64"), (np.uint32, "U32"), (np.uint16, "U16"),
    (np.uint8, "U8"), (np.bool_, "BOOL"))}


def write_checkpoint(f, ckpt: Checkpoint) -> None:
    """The checkpoint as a safetensors file, written to the binary file ``f`` a tensor at a time:
    tensors, with model, config and extra in its header.

    The format is an 8-byte little-endian header length, a JSON header (each tensor's type, shape and
    byte range; the metadata), then the tensors' bytes back to back. The binding's ``save`` builds
    the whole file in memory after a bytes copy of every tensor: twice the weights at the moment of
    saving, the peak of a large vocabulary's training. Here each tensor goes from its own memory."""
    meta = {"format_version": str(FORMAT_VERSION), "model": ckpt.model,
            "config": json.dumps(ckpt.config), "extra": json.dumps(ckpt.extra)}
    arrays = {name: _little_endian(name, _as_numpy(v)) for name, v in sorted(ckpt.tensors.items())}
    header, offset = {"__metadata__": meta}, 0
    for name, a in arrays.items():
        header[name] = {"dtype": _SAFETENSORS_TYPES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)         # the tensors' bytes start 8-byte aligned, as the binding's do
    f.write(len(text).to_bytes(8, "little"))
    f.write(text)
    for a in arrays.values():
        f.write(a.reshape(-1).view(np.uint8))


def _little_endian(name: str, a: np.ndarray) -> np.ndarray:
    """``a`` as safetensors stores it (little-endian, C order): no copy for the usual arrays."""
    if a.dtype.newbyteorder("=") not in _SAFETENSORS_TYPES:
        raise ValueError(f"tensor {name!r} is of type {a.dtype}, which a checkpoint cannot hold")
    return np.require(a, dtype=a.dtype.newbyteorder("<"), requirements="C")


def checkpoint_bytes(ckpt: Checkpoint) -> bytes:
    """The checkpoint as the bytes of a safetensors file (for a session's zip member)."""
    buffer = io.BytesIO()
    write_checkpoint(buffer, ckpt)
    return buffer.getvalue()


def checkpoint_from_bytes(blob: bytes, source: str) -> Checkpoint:
    """Read bytes made by :func:`checkpoint_bytes`; a CheckpointError naming ``source`` when they are not."""
    try:
        try:
            tensors = np_load(blob)      # checks the header and that the data covers every tensor
        except KeyError as e:            # the binding's word for a dtype NumPy has no type for
            raise ValueError(f"a tensor of type {e.args[0]}, which no model of ours holds") from None
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
    import torch        # deferred: reading checkpoints and sessions needs only NumPy

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


def save_run(folder: Path, ckpt: Checkpoint, stats: dict, copies: Callable[[Path], None] | None = None,
             force: bool = False) -> Path:
    """Save a trained model into ``folder``: ``run.json`` with the run's figures for people and
    scripts (seconds, losses, test scores), whatever ``copies(folder)`` writes (a model's readable
    vectors), ``config.json`` and the checkpoint, as one set (see the module's docstring). With
    ``force``, a folder holding other files is replaced too."""
    folder = Path(folder)
    with _reported(folder), replaced_folder(folder, MODEL_FILES, force) as new:
        if copies is not None:
            try:
                copies(new)
            except UserError as e:
                # The person is saving the model: a copy's disk error is reported as the model's.
                cause = disk_error(e)
                if cause is None:
                    raise
                raise cause from None
        atomic_write_text(new / RUN, json.dumps(stats, indent=2, sort_keys=True))
        atomic_write_text(new / CONFIG, json.dumps({"model": ckpt.model, "config": ckpt.config},
                                                   indent=2, sort_keys=True))
        with atomic_open(new / WEIGHTS) as f:
            write_checkpoint(f, ckpt)
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
    blob = read_bounded(path, MAX_MODEL_BYTES, "a model file", CheckpointError,
                        "Point to a folder written by 'explorer train' or the app's Save.")
    return checkpoint_from_bytes(blob, str(path))


def _no_fills():
    # deferred: reading checkpoints and sessions needs only NumPy
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
