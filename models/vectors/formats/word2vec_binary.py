"""word2vec binary: a ``ROWS DIM`` text header, then per word ``WORD`` and a space followed by DIM
little-endian float32 (and, from word2vec's C tool, a line break)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.core.writing import atomic_open
from models.errors import VectorFileError
from models.vectors.formats import reading
from models.vectors.formats.reading import (BOM, Rows, looks_like_text_row, open_file, parse_header_tokens, progress,
                                            read_header)
from models.vectors.formats.record import VectorFormat
from models.vectors.formats.writing import encode, row_blocks, written
from models.vectors.store import WordVectors

MAX_WORD_BYTES = 4096          # a "word" longer than this is a dimension that does not fit the rows


def read_word2vec_binary(path: Path):
    with open_file(path) as f:
        n, dim, offset = read_header(path, f, lambda d: 4 * d)
        rows = Rows(path, n, dim)
        yield progress(0, n, path)
        reader = _BinaryRows(path, f, offset, dim)
        while len(rows) < n:
            start = len(rows)
            batch = min(n - start, 8192)
            places = []
            values = np.empty((batch, dim), dtype=np.float32)
            for i in range(batch):
                where, word, values[i] = reader.next_row(start + i + 1)
                rows.add_word(word, where)
                places.append(where)
            rows.put(start, values, places.__getitem__)
            yield progress(len(rows), n, path)
        reader.expect_end(n)
    return rows.result()


class _BinaryRows:
    """Walks ``WORD<space><dim float32>`` records through a sliding buffer, tracking byte offsets."""

    def __init__(self, path: Path, f, offset: int, dim: int):
        self.path, self.f, self.dim = path, f, dim
        self.row_bytes = 4 * dim
        self.buf, self.pos, self.base = b"", 0, offset

    def _refill(self) -> bool:
        more = self.f.read(max(reading.BLOCK_BYTES, self.row_bytes + MAX_WORD_BYTES))
        if not more:
            return False
        self.buf = self.buf[self.pos:] + more
        self.base += self.pos
        self.pos = 0
        return True

    def next_row(self, row: int) -> tuple[str, str, np.ndarray]:
        while True:
            # Skip the line break that word2vec's C tool writes after each vector (gensim does not).
            while self.pos < len(self.buf) and self.buf[self.pos] in b"\n\r":
                self.pos += 1
            sp = self.buf.find(b" ", self.pos, self.pos + MAX_WORD_BYTES)
            if sp >= 0 and sp + 1 + self.row_bytes <= len(self.buf):
                break
            if sp < 0 and len(self.buf) - self.pos >= MAX_WORD_BYTES:
                raise VectorFileError(f"{self.path}, byte {self.base + self.pos}: row {row} has no word "
                                      f"ending within {MAX_WORD_BYTES} bytes.",
                                      "The header's dimension may be wrong, or this is not word2vec binary.")
            if not self._refill():
                raise VectorFileError(f"{self.path}, byte {self.base + self.pos}: the file ends inside row {row}.",
                                      "The file is truncated; download or copy it again.")
        where = f"{self.path}, byte {self.base + self.pos} (row {row})"
        raw = self.buf[self.pos:sp]
        try:
            word = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise VectorFileError(f"{where}: a word with bytes that are not UTF-8 ({e.reason}).",
                                  "The header's dimension may be wrong, or the file is damaged.") from None
        values = np.frombuffer(self.buf, dtype="<f4", count=self.dim, offset=sp + 1)
        self.pos = sp + 1 + self.row_bytes
        return where, word, values

    def expect_end(self, n: int) -> None:
        """Only whitespace may follow the last row the header promises."""
        while True:
            tail = self.buf[self.pos:]
            if tail.strip():
                offset = self.base + self.pos + (len(tail) - len(tail.lstrip()))
                raise VectorFileError(f"{self.path}, byte {offset}: data after the {n} rows the header promises.",
                                      "The header's row count or dimension is wrong.")
            self.pos = len(self.buf)
            if not self._refill():
                return


def write_word2vec_binary(vectors: WordVectors, path: Path):
    with atomic_open(path) as f:
        f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        for start, words, block in row_blocks(vectors):
            block = np.ascontiguousarray(block, dtype="<f4")
            f.write(b"".join(encode(w, "a word") + b" " + row.tobytes() + b"\n" for w, row in zip(words, block)))
            yield written(start + len(words), len(vectors), path)
    return [path]


def has_binary_header(head: bytes) -> bool:
    """A ``ROWS DIM`` first line followed by rows that are not text."""
    first, _, rest = head.removeprefix(BOM).partition(b"\n")
    header = parse_header_tokens(first)
    return header is not None and not looks_like_text_row(rest, header[1])


FORMAT = VectorFormat("word2vec-binary", "word2vec binary", (".bin",), read_word2vec_binary, write_word2vec_binary,
                      aliases=("bin", "binary"), sniff=has_binary_header)
