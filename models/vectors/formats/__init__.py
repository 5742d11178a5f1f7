"""Word-vector files in and out: word2vec text and binary, GloVe, fastText .vec, the TensorFlow
Embedding Projector's TSV pair, and a .npy matrix with a vocabulary file.

Each format is one module holding one :class:`~models.vectors.formats.record.VectorFormat`: its
reader, its writer, how its files are recognised, their name endings and the file dialogs' entry.
:data:`FORMATS` lists them; adding a format is one module and one line there. The command line,
the loaders and the window's file dialogs all read these records.

Readers fill one preallocated float32 matrix block by block, parsing each block of lines with
NumPy's C parser, so memory stays near the size of the matrix and large files load in seconds. A
block the fast parser rejects is re-read line by line, only to say exactly where and why. Every
reader raises :class:`VectorFileError` naming the file and the line (or byte offset) and never
returns half a file. Every writer streams into a temporary file beside the target and renames it
into place, so an interrupted write leaves the previous file as it was.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from models.core.events import drain
from models.core.writing import check_outputs, write_failure
from models.errors import VectorFileError
from models.vectors.formats import fasttext, glove, npy, tsv, word2vec, word2vec_binary
from models.vectors.formats.reading import check_file, open_file
from models.vectors.formats.record import VectorFormat
from models.vectors.store import WordVectors

# In the order the command line and the save dialog offer them; a name ending two formats share
# (.txt) names the first of them.
FORMATS: tuple[VectorFormat, ...] = (word2vec.FORMAT, word2vec_binary.FORMAT, glove.FORMAT, fasttext.FORMAT,
                                     tsv.FORMAT, npy.FORMAT)

# For the command line's choices and help, which are made once.
NAMES = tuple(f.name for f in FORMATS)
ALIASES = {alias: f.name for f in FORMATS for alias in f.aliases}
EXTENSIONS = tuple(dict.fromkeys(e for f in FORMATS for e in f.extensions))


# --- choosing a format -----------------------------------------------------------------------
def named(fmt: str) -> VectorFormat:
    """The record of a format name or alias (not "auto")."""
    name = fmt.lower()
    for f in FORMATS:
        if name == f.name or name in f.aliases:
            return f
    raise VectorFileError(f"Unknown vector format {fmt!r}.", f"Choose one of: {_names()}.")


def normalize_format(fmt: str) -> str:
    """The format's own name for a name or an alias, or "auto"."""
    return "auto" if fmt.lower() == "auto" else named(fmt).name


def _names() -> str:
    return ", ".join(f.name for f in FORMATS)


def sniff_format(path: str | Path) -> str:
    """The format of an existing file or folder, from its name and, where that is ambiguous, its bytes."""
    path = Path(path)
    if path.is_dir():
        for f in FORMATS:
            if f.folder_file and (path / f.folder_file).is_file():
                return f.name
        raise VectorFileError(f"{path} is a folder without vectors.tsv.",
                              "Give a vector file, or a folder holding vectors.tsv and metadata.tsv.")
    check_file(path)
    suffix = path.suffix.lower()
    for f in FORMATS:
        if f.by_name and suffix in f.extensions:
            return f.name
    with open_file(path) as fh:
        head = fh.read(1 << 16)
    for f in FORMATS:
        if f.sniff is not None and f.sniff(head):
            return f.name
    return next(f.name for f in FORMATS if f.fallback)


def format_for_output(path: str | Path) -> str:
    """The format a new file should get from its name, for writers given ``fmt="auto"``."""
    path = Path(path)
    if path.is_dir() or not path.suffix:       # a folder gets the projector's vectors.tsv + metadata.tsv
        return next(f.name for f in FORMATS if f.folder_file)
    for f in FORMATS:
        if path.suffix.lower() in f.extensions:
            return f.name
    endings = list(dict.fromkeys(e for f in FORMATS for e in f.extensions))
    raise VectorFileError(f"Cannot tell a vector format from the name {path.name!r}.",
                          f"Name it {', '.join(endings[:-1])} or {endings[-1]}, or choose one of: {_names()}.")


# --- reading ----------------------------------------------------------------------------------
def read_vectors_steps(path: str | Path, fmt: str = "auto"):
    """Read a vector file, yielding :class:`Progress` (unit "rows"); returns :class:`WordVectors`."""
    path = Path(path)
    fmt = normalize_format(fmt)
    try:
        record = named(sniff_format(path) if fmt == "auto" else fmt)
        if not (record.folder_file and path.is_dir()):
            check_file(path)
        return (yield from record.read(path))
    except MemoryError:
        raise VectorFileError(f"{path}: not enough memory for its vectors.",
                              "Close other programs or use a smaller file.") from None
    except OSError as e:
        raise VectorFileError(f"Cannot read {path}: {e.strerror or e}.", "Check the file and try again.") from None


def read_vectors(path: str | Path, fmt: str = "auto") -> WordVectors:
    return drain(read_vectors_steps(path, fmt))


# --- writing ----------------------------------------------------------------------------------
def write_vectors_steps(vectors: WordVectors, path: str | Path, fmt: str = "auto"):
    """Write ``vectors`` in ``fmt``, yielding :class:`Progress`; returns the paths written."""
    path = Path(path)
    record = _output_format(path, fmt)
    _check_writable(vectors, record)
    try:
        return (yield from record.write(vectors, path))
    except OSError as e:
        raise VectorFileError(*write_failure(e, str(path), "any file already there is")) from None


def write_vectors(vectors: WordVectors, path: str | Path, fmt: str = "auto") -> list[Path]:
    return drain(write_vectors_steps(vectors, path, fmt))


def check_destination(path: str | Path, fmt: str = "auto") -> None:
    """Refuse, before a long read, a destination the write would fail at (see
    :func:`models.core.writing.check_outputs`): every file of the format's set is checked."""
    path = Path(path)
    try:
        check_outputs(_output_format(path, fmt).outputs(path))
    except OSError as e:
        raise VectorFileError(*write_failure(e, str(path), "nothing was read or written; any file already there is")) \
            from None


def _output_format(path: Path, fmt: str) -> VectorFormat:
    fmt = normalize_format(fmt)
    return named(format_for_output(path) if fmt == "auto" else fmt)


def _check_writable(vectors: WordVectors, record: VectorFormat) -> None:
    if len(vectors) == 0:
        raise VectorFileError("There are no vectors to write.", "Train or load some first.")
    bad = re.compile(record.forbidden)
    for i, w in enumerate(vectors.words):
        if not w or bad.search(w):
            raise VectorFileError(f"Row {i + 1}: the word {w!r} cannot be written as {record.name} "
                                  f"({'it is empty' if not w else 'it holds a space, tab or line break'}).",
                                  "Choose the npy or tsv format, or rename the word.")
    if len(vectors.index) != len(vectors.words):
        raise VectorFileError("The vectors repeat a word; a file could not be read back.", "Remove the repeat.")
    finite = np.isfinite(vectors.matrix).all(axis=1)
    if not finite.all():
        word = vectors.words[int(np.argmin(finite))]
        raise VectorFileError(f"The vector of {word!r} holds NaN or infinite values.", "Retrain or drop that word.")
