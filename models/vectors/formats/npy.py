"""A NumPy matrix, ``NAME.npy``, with its words one per line in ``NAME.vocab.txt``. The matrix is
read through a memory map in blocks and never unpickled."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from models.core.writing import staged
from models.errors import VectorFileError
from models.vectors.formats import reading
from models.vectors.formats.reading import BOM, Rows, decode, open_file, progress
from models.vectors.formats.record import VectorFormat
from models.vectors.formats.writing import encode, written
from models.vectors.store import WordVectors

VOCAB_SUFFIXES = (".vocab.txt", ".txt", "_vocab.txt", ".words.txt")


def npy_vocab_path(path: str | Path, existing: bool = True) -> Path:
    """The vocabulary file beside ``NAME.npy``: the first of NAME.vocab.txt, NAME.txt, NAME_vocab.txt,
    NAME.words.txt, vocab.txt, words.txt that exists (or NAME.vocab.txt for a new file)."""
    path = Path(path)
    candidates = [path.with_name(path.stem + s) for s in VOCAB_SUFFIXES]
    candidates += [path.with_name("vocab.txt"), path.with_name("words.txt")]
    if not existing:
        return candidates[0]
    for c in candidates:
        if c.is_file():
            return c
    raise VectorFileError(f"{path}: no vocabulary file beside it.",
                          f"Put the words, one per line, in {candidates[0].name}.")


def read_npy(path: Path):
    vocab_path = npy_vocab_path(path)
    shape, dtype, offset = _npy_header(path)
    n, dim = shape
    words = _read_vocab(vocab_path, n)
    rows = Rows(path, n, dim)
    rows.words = words
    data = np.load(path, mmap_mode="r", allow_pickle=False)
    yield progress(0, n, path)
    step = max(1, (reading.BLOCK_BYTES * 4) // max(1, dim * dtype.itemsize))
    for start in range(0, n, step):
        with np.errstate(all="ignore"):
            block = np.asarray(data[start:start + step], dtype=np.float32)
        rows.put(start, block, lambda i, start=start: f"{path}, row {start + i + 1}")
        yield progress(min(n, start + step), n, path)
    del data
    return rows.result()


def _npy_header(path: Path) -> tuple[tuple[int, int], np.dtype, int]:
    fmt = np.lib.format
    with open_file(path) as f:
        try:
            version = fmt.read_magic(f)
            reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _fortran, dtype = reader(f)
        except Exception as e:  # noqa: BLE001 - NumPy's header parser raises many kinds on garbage
            # NumPy quotes the whole header, which on a damaged file is any bytes at any length.
            reason = " ".join(str(e).split())
            reason = reason if len(reason) <= 80 else reason[:77] + "..."
            raise VectorFileError(f"{path}, byte 0: not a valid .npy file ({reason!r}).",
                                  "Save the matrix with numpy.save.") from None
        offset = f.tell()
    if dtype.hasobject or dtype.kind not in "fiu" or dtype.fields is not None:
        raise VectorFileError(f"{path}: holds {dtype} values, not numbers.",
                              "Save a float32 or float64 matrix; object arrays are never unpickled.")
    if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
        raise VectorFileError(f"{path}: an array of shape {shape}, not a (words x dimensions) matrix.",
                              "Save a two-dimensional matrix with one row per word.")
    need = offset + math.prod(shape) * dtype.itemsize
    if need > path.stat().st_size:
        raise VectorFileError(f"{path}, byte {path.stat().st_size}: the file ends before its {shape[0]} x {shape[1]} "
                              f"matrix does ({need:,} bytes needed).", "The file is truncated; save it again.")
    return shape, dtype, offset


def _read_vocab(path: Path, n: int) -> list[str]:
    if path.stat().st_size > n * 4096 + 4096:
        raise VectorFileError(f"{path}: far too big for the {n} words of its matrix.", "Check the vocabulary file.")
    with open_file(path) as f:
        text = decode(path, f.read().removeprefix(BOM), 1)
    words = [w.rstrip("\r") for w in text.split("\n")]
    if text.endswith("\n"):
        words.pop()
    if len(words) != n:
        raise VectorFileError(f"{path}: {len(words)} words but the matrix has {n} rows.",
                              "Write one word per line, in the order of the matrix rows.")
    seen: set[str] = set()
    for i, w in enumerate(words):
        where = f"{path}, line {i + 1}"
        if not w:
            raise VectorFileError(f"{where}: empty word.", "Write one word per line.")
        if w in seen:
            raise VectorFileError(f"{where}: duplicate word {w!r}.", "Each word may appear once; remove the repeat.")
        seen.add(w)
    return words


def write_npy(vectors: WordVectors, path: Path):
    vocab_path = npy_vocab_path(path, existing=False)
    with staged() as pair:          # matrix and words are replaced together or not at all
        pair.write(vocab_path, encode("\n".join(vectors.words) + "\n", str(vocab_path)))
        yield written(0, len(vectors), path)
        with pair.open(path) as f:
            np.save(f, np.ascontiguousarray(vectors.matrix, dtype=np.float32), allow_pickle=False)
    yield written(len(vectors), len(vectors), path)
    return [path, vocab_path]


def has_npy_magic(head: bytes) -> bool:
    return head.startswith(b"\x93NUMPY")


FORMAT = VectorFormat("npy", "NumPy matrix + vocabulary", (".npy",), read_npy, write_npy, sniff=has_npy_magic,
                      forbidden=r"[\r\n]", outputs=lambda path: [path, npy_vocab_path(path, existing=False)])
