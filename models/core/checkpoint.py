"""Checkpoints: safetensors weights whose header also carries the JSON config and vocabulary.

One file holds everything needed to load a model, so replacing it is a single atomic rename: a
save that dies half-way leaves the previous checkpoint as it was. ``config.json`` beside it is a
readable copy for people and scripts. Nothing here unpickles anything.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save as np_save

from models.errors import UserError

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
RUN = "run.json"
FORMAT_VERSION = 1


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


def _as_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().to("cpu").numpy()
    return np.ascontiguousarray(t)


def save_checkpoint(folder: Path, ckpt: Checkpoint) -> Path:
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"format_version": str(FORMAT_VERSION), "model": ckpt.model,
                "config": json.dumps(ckpt.config), "extra": json.dumps(ckpt.extra)}
        blob = np_save({k: _as_numpy(v) for k, v in ckpt.tensors.items()}, metadata=meta)
        atomic_write_bytes(folder / WEIGHTS, blob)
        atomic_write_text(folder / CONFIG, json.dumps({"model": ckpt.model, "config": ckpt.config},
                                                      indent=2, sort_keys=True))
    except OSError as e:
        raise CheckpointError(f"Could not save the model to {folder}: {e.strerror or e}.",
                              "Free some disk space or choose another folder; "
                              "the previous checkpoint is unchanged.") from e
    return folder / WEIGHTS


def save_run(folder: Path, ckpt: Checkpoint, stats: dict) -> Path:
    """Save a trained model: its checkpoint, and ``run.json`` with the run's figures for people and
    scripts (seconds, losses, test scores)."""
    folder = Path(folder)
    save_checkpoint(folder, ckpt)
    atomic_write_text(folder / RUN, json.dumps(stats, indent=2, sort_keys=True))
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
        tensors = np_load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
        return Checkpoint(model=meta["model"], config=json.loads(meta["config"]), tensors=tensors,
                          extra=json.loads(meta.get("extra", "{}")))
    except (SafetensorError, KeyError, ValueError, OSError) as e:
        raise CheckpointError(f"{path} is not a valid Embedding Explorer model ({e}).",
                              "Re-train or re-save the model.") from e
