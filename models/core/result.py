"""What every trained result shares: one checkpoint layout, one way to save it, one way back.

A result (a model a trainer returned) holds its registry name ``model``, its ``config``, the run's
``stats`` and loss curve ``losses``, and, when its training can be continued, ``training``: where
the training loop stood (a :class:`TrainingState`). :class:`TrainedResult` turns that into a
:class:`~models.core.checkpoint.Checkpoint` and a model folder and back; a result class says only
what else it holds (:meth:`TrainedResult.parts`) and how it is built from that
(:meth:`TrainedResult.rebuilt`). Nothing here imports Torch: reading a checkpoint needs none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.checkpoint import Checkpoint, save_run
from models.core.params import from_dict, to_dict


@dataclass
class TrainingState:
    """Where a training loop stood. ``values`` is JSON; ``tensors`` are NumPy arrays. In a
    checkpoint its tensors go under :attr:`PREFIX` and its values into ``extra[EXTRA_KEY]``."""
    values: dict = field(default_factory=dict)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)

    PREFIX = "resume."          # checkpoint tensor names of a state; no model's own weights start so
    EXTRA_KEY = "resume"

    @property
    def step(self) -> int:
        return int(self.values["step"])

    def get(self, key: str, default=None):
        return self.values.get("trainer", {}).get(key, default)

    def tensors_under(self, prefix: str) -> dict[str, np.ndarray]:
        """The trainer's own tensors saved under ``prefix``, prefix removed."""
        return {k[len(prefix):]: v for k, v in self.tensors.items() if k.startswith(prefix)}

    def add_to(self, tensors: dict, extra: dict) -> tuple[dict, dict]:
        """A checkpoint's (tensors, extra) with this state added."""
        return ({**tensors, **{self.PREFIX + k: v for k, v in self.tensors.items()}},
                {**extra, self.EXTRA_KEY: self.values})

    @classmethod
    def split(cls, tensors: dict, extra: dict) -> tuple[dict, "TrainingState | None"]:
        """A checkpoint's tensors without the state's, and the state (None when it holds none)."""
        own = {k: v for k, v in tensors.items() if not k.startswith(cls.PREFIX)}
        values = extra.get(cls.EXTRA_KEY)
        if not values:
            return own, None
        return own, cls(dict(values), {k[len(cls.PREFIX):]: v for k, v in tensors.items() if k.startswith(cls.PREFIX)})


class TrainedResult:
    """Checkpoint, save and load for a result with ``model``, ``config``, ``stats``, ``losses``
    and perhaps ``training``."""

    def parts(self) -> tuple[dict[str, np.ndarray], dict]:
        """The result's own tensors, and what else it needs as JSON (besides stats and losses)."""
        raise NotImplementedError

    @classmethod
    def rebuilt(cls, config, tensors: dict[str, np.ndarray], extra: dict, training: TrainingState | None):
        """The result from a checkpoint's parts: its ``tensors`` without the training state's,
        ``extra`` as :meth:`parts` gave it, ``training`` where training stood (None: nowhere)."""
        raise NotImplementedError

    def run_record(self) -> dict:
        """What run.json holds: the run's figures."""
        return self.stats

    def copies(self, folder: Path) -> None:
        """Readable copies written beside the checkpoint (a word model's vectors); none by default."""

    def checkpoint(self) -> Checkpoint:
        tensors, extra = self.parts()
        extra = {**extra, "stats": self.stats, "losses": self.losses}
        training = getattr(self, "training", None)
        if training is not None:
            tensors, extra = training.add_to(tensors, extra)
        return Checkpoint(self.model, to_dict(self.config), tensors, extra)

    def save(self, folder: str | Path, force: bool = False) -> Path:
        """Write model.safetensors, config.json, run.json and the readable copies into ``folder``."""
        return save_run(folder, self.checkpoint(), self.run_record(), copies=self.copies, force=force)

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint, config_cls):
        tensors, training = TrainingState.split(ckpt.tensors, ckpt.extra)
        return cls.rebuilt(from_dict(config_cls, ckpt.config), tensors, ckpt.extra, training)

    @staticmethod
    def history(extra: dict) -> tuple[dict, list[tuple[int, float]]]:
        """The run's figures and loss curve from a checkpoint's ``extra``."""
        return extra.get("stats", {}), [tuple(x) for x in extra.get("losses", [])]
