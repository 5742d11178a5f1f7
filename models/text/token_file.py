"""A corpus's tokens as two flat arrays, held in memory or in files read a window at a time.

Sentence ``s`` is ``ids[starts[s]:starts[s + 1]]``: ``ids`` int32, ``starts`` int64 offsets. A
small corpus keeps both in memory; past :data:`SPILL_TOKENS` tokens a :class:`TokenSink` moves
them to files in the corpus cache, and readers get :class:`DiskArray` s instead of NumPy arrays.

A DiskArray reads with ``pread``, not through a memory map: pages of a mapped file that have been
read count in the process's resident memory until the kernel needs them back, so a map over a
10 GB token file would show (and, on a busy machine, hold) 10 GB; a read keeps only the window it
was asked for. Code that walks a corpus goes a window of sentences at a time
(:func:`sentence_window`, :func:`sentence_chunks`); indexing one element or a slice works on both
kinds, and ``np.asarray`` reads a DiskArray whole, for the few uses that need random access to
everything (the full-softmax sampler).
"""
from __future__ import annotations

import operator
import os
import weakref
from pathlib import Path

import numpy as np

SPILL_TOKENS = 8_000_000        # 32 MB of ids: below this a corpus stays in memory
STARTS_BLOCK = 1 << 20          # sentence offsets read at once when cutting a corpus into chunks


class DiskArray:
    """A read-only 1-D array in a file (native byte order, no header), read by pieces."""

    def __init__(self, path: str | Path, dtype):
        self.path, self.dtype = Path(path), np.dtype(dtype)
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        weakref.finalize(self, os.close, self._fd)
        self.size = os.fstat(self._fd).st_size // self.dtype.itemsize
        self.shape = (self.size,)
        self.ndim = 1

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            part = self._read(start, max(start, stop)) if step > 0 else self._read(stop + 1, start + 1)
            return part[::step] if step != 1 else part
        i = operator.index(key)
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(f"index {key} out of range for {self.size} elements")
        return self._read(i, i + 1)[0]

    def __array__(self, dtype=None, copy=None):
        whole = self._read(0, self.size)
        return whole if dtype is None else whole.astype(dtype, copy=False)

    def _read(self, a: int, b: int) -> np.ndarray:
        out = np.empty(b - a, dtype=self.dtype)
        view, got, want = memoryview(out).cast("B"), 0, out.nbytes
        while got < want:
            n = os.preadv(self._fd, [view[got:]], a * self.dtype.itemsize + got)
            if n <= 0:
                raise OSError(f"{self.path} ended early: it was changed while in use")
            got += n
        return out


def sentence_window(ids, starts, s0: int, s1: int) -> tuple[np.ndarray, np.ndarray]:
    """Sentences [s0, s1) as (their tokens, ``starts[s0:s1 + 1]``): the offsets stay those of the
    whole corpus, so token i of the corpus is ``tokens[i - offsets[0]]``."""
    offsets = np.asarray(starts[s0:s1 + 1])
    return np.asarray(ids[int(offsets[0]):int(offsets[-1])]), offsets


def sentence_chunks(starts, tokens: int):
    """(s0, s1) pairs cutting every sentence into runs of about ``tokens`` tokens (a sentence
    longer than that is a run of its own), reading the offsets a block at a time."""
    n = len(starts) - 1
    s0 = 0
    while s0 < n:
        block = np.asarray(starts[s0:min(n, s0 + STARTS_BLOCK) + 1])
        cut = int(np.searchsorted(block, block[0] + tokens, side="right")) - 1
        s1 = s0 + max(1, cut)
        yield s0, s1
        s0 = s1


class TokenSink:
    """Sentences appended a chunk at a time, kept in memory until they pass ``spill`` tokens and
    then written to ``ids_path``/``starts_path`` through ``files`` (a models.core.writing.Staged
    set: they take their names only when the set is committed). No files: always in memory.
    A context manager: leaving it closes the files, finished or not."""

    def __init__(self, files=None, ids_path: Path | None = None, starts_path: Path | None = None,
                 spill: int = SPILL_TOKENS):
        self.files, self.paths, self.spill = files, (ids_path, starts_path), spill
        self._ids: list[np.ndarray] = []
        self._starts: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.n_tokens, self.n_sentences = 0, 0
        self._out = None            # (ids file, starts file) once spilled

    @property
    def on_disk(self) -> bool:
        return self._out is not None

    def add(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        """Append sentences: their tokens, and the number of tokens of each."""
        ends = self.n_tokens + np.cumsum(lengths, dtype=np.int64)
        ids = np.ascontiguousarray(ids, dtype=np.int32)
        self.n_tokens += ids.size
        self.n_sentences += len(lengths)
        if self._out is None:
            self._ids.append(ids)
            self._starts.append(ends)
            if self.files is not None and self.n_tokens > self.spill:
                self._out = tuple(self.files.open(p) for p in self.paths)
                for f, parts in zip(self._out, (self._ids, self._starts)):
                    for part in parts:
                        f.write(memoryview(part))
                self._ids, self._starts = [], []
        else:
            self._out[0].write(memoryview(ids))
            self._out[1].write(memoryview(ends))

    def finish(self):
        """(ids, starts) as NumPy arrays; None when they are in files (open them with :meth:`open`
        once the set of files is committed)."""
        if self._out is None:
            return np.concatenate(self._ids) if self._ids else np.zeros(0, np.int32), np.concatenate(self._starts)
        self.close()
        return None

    def close(self) -> None:
        for f in self._out or ():
            f.close()

    def __enter__(self) -> "TokenSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> tuple[DiskArray, DiskArray]:
        return DiskArray(self.paths[0], np.int32), DiskArray(self.paths[1], np.int64)
