"""Stopping a text trainer and going on later: where it stood, and a loss curve that comes out the
same however the run was cut.

A trainer yields after chunks whose size follows the machine's speed, so a curve with one point
per chunk would differ from run to run. The saved curve instead has one point per fixed block of
sentences (:data:`POINTS_PER_EPOCH` blocks an epoch), summed from the kernel's per-sentence loss.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.errors import UserError

POINTS_PER_EPOCH = 100


@dataclass
class ResumeState:
    """Where a run stopped: the next sentence of the current epoch, and the loss of the block it
    was in the middle of. Saved with the model (see TrainedEmbedding.state)."""
    epoch: int = 0
    sentence: int = 0
    bin_loss: float = 0.0
    bin_pairs: int = 0
    corpus_sentences: int = 0
    corpus_tokens: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ResumeState":
        return cls(**{k: type(getattr(cls, k))(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def check_resumable(model, name: str, config) -> ResumeState:
    """The state to continue ``model`` from with ``config``, or a UserError saying why not."""
    if model.model != name:
        raise UserError(f"This is a '{model.model}' model; it cannot be continued as '{name}'.",
                        f"Choose {model.model} in the model list, or train a new {name} model.")
    if not model.state:
        raise UserError("This model holds no training state to continue from (it was saved by an older "
                        "version, read from a vector file, or its training diverged).",
                        "Train a new model.")
    state = ResumeState.from_json(model.state)
    if model.tensors["input"].shape[1] != config.dim:
        raise UserError(f"The model has {model.tensors['input'].shape[1]} dimensions, the settings ask "
                        f"for {config.dim}.", "Keep the model's dimensions to continue it.")
    if state.epoch >= config.epochs:
        raise UserError(f"The model has already trained {state.epoch} of {config.epochs} epoch(s).",
                        "Raise Epochs to train it further.")
    return state


class LossCurve:
    """Mean loss per fixed block of sentences, as (words trained at the block's end, loss)."""

    def __init__(self, starts: np.ndarray, points=(), bin_loss: float = 0.0, bin_pairs: int = 0):
        self.starts = starts
        n = len(starts) - 1
        self.block = max(1, -(-n // POINTS_PER_EPOCH))
        self.points: list[tuple[int, float]] = list(points)
        self.bin_loss, self.bin_pairs = float(bin_loss), int(bin_pairs)

    def add(self, words_before: int, s0: int, loss: np.ndarray, pairs: np.ndarray) -> None:
        """Book sentences s0, s0+1, ... (``loss`` and ``pairs`` per sentence) of an epoch that
        began ``words_before`` words into the run."""
        n = len(self.starts) - 1
        s1 = s0 + len(loss)
        ends = list(range((s0 // self.block + 1) * self.block - 1, s1, self.block))
        if s1 == n and (not ends or ends[-1] != n - 1):
            ends.append(n - 1)                   # the epoch's last, shorter block
        i0 = 0
        for e in ends:
            i1 = e - s0 + 1
            self.bin_loss += float(loss[i0:i1].sum())
            self.bin_pairs += int(pairs[i0:i1].sum())
            if self.bin_pairs:
                self.points.append((words_before + int(self.starts[e + 1]), self.bin_loss / self.bin_pairs))
            self.bin_loss, self.bin_pairs, i0 = 0.0, 0, i1
        self.bin_loss += float(loss[i0:].sum())
        self.bin_pairs += int(pairs[i0:].sum())
