"""Vector files in the window: what an opened file becomes, and the formats offered for export.

An opened file becomes an :class:`OpenedVectors`, which answers the same questions a trained model
does for the views (``.vectors``, its words in file order), so the map, neighbours, analogies and
heatmaps work on any vectors, trained here or read from disk.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from models.core.checkpoint import Checkpoint, disk_error
from models.core.writing import write_failure
from models.errors import VectorFileError
from models.loading import open_vectors_steps
from models.vectors.formats import EXTENSIONS, FORMATS, sniff_format, write_vectors_steps
from models.vectors.store import WordVectors

# (label in the save dialog, format name, name pattern); the label is what the dialog returns.
EXPORT_FORMATS = tuple((f.dialog_filter, f.name, "*" + f.extensions[0]) for f in FORMATS)
OPEN_FILTER = f"Word vectors ({' '.join('*' + e for e in EXTENSIONS)});;All files (*)"


@dataclass
class OpenedVectors:
    """Vectors read from a file, standing where a trained model would."""
    vectors: WordVectors
    path: Path
    format: str
    stats: dict = field(default_factory=dict)     # seconds to read, rows per second

    KIND = "vectors"      # its checkpoint's model name, beside the registry's trained models

    @property
    def counts(self):
        """Files keep word order (most frequent first for word2vec-style files) but no counts."""
        return None

    def checkpoint(self) -> Checkpoint:
        """The vectors as a checkpoint, so that a session holds them as it holds trained models."""
        return Checkpoint(self.KIND, {}, {"matrix": self.vectors.matrix},
                          {"words": self.vectors.words, "metadata": self.vectors.metadata,
                           "path": str(self.path), "format": self.format, "stats": self.stats})

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint) -> "OpenedVectors":
        e = ckpt.extra
        return cls(WordVectors(list(e["words"]), ckpt.tensors["matrix"], e.get("metadata") or {}),
                   Path(e["path"]), str(e["format"]), dict(e.get("stats") or {}))


def open_steps(path: str | Path):
    """Read a vector file or model folder with progress; returns an :class:`OpenedVectors`."""
    path = Path(path)
    t0 = time.perf_counter()
    vectors = yield from open_vectors_steps(path)
    seconds = time.perf_counter() - t0
    fmt = "model folder" if path.is_dir() and not (path / "vectors.tsv").is_file() else sniff_format(path)
    return OpenedVectors(vectors, path, fmt, {"seconds": seconds, "rows_per_second": len(vectors) / max(seconds, 1e-9)})


def export_steps(vectors: WordVectors, path: str | Path, fmt: str):
    try:
        return (yield from write_vectors_steps(vectors, projector_name(path, fmt), fmt))
    except VectorFileError as e:
        # A full disk and a denied rename call for different advice; the writer gives one for both.
        cause = disk_error(e)
        if cause is None:
            raise
        raise VectorFileError(*write_failure(cause, str(path), "a file already there is")) from None


def projector_name(path: str | Path, fmt: str) -> Path:
    """A projector pair is named NAME_vectors.tsv + NAME_metadata.tsv (or vectors.tsv +
    metadata.tsv), the names from which either file of the pair finds the other."""
    path = Path(path)
    if fmt != "tsv" or path.is_dir() or "vectors" in path.name or not path.suffix:
        return path
    return path.with_name(f"{path.stem}_vectors.tsv")


def format_for_filter(selected_filter: str) -> str:
    for label, fmt, _ in EXPORT_FORMATS:
        if label == selected_filter:
            return fmt
    return "auto"


def counts_of(model):
    """Word counts of a trained model, or None for vectors that came without them."""
    vocab = getattr(model, "vocab", None)
    return getattr(vocab, "counts", None) if vocab is not None else getattr(model, "counts", None)
