"""word2vec text: a ``ROWS DIM`` header, then one ``WORD v1 v2 ...`` line per word."""
from __future__ import annotations

from pathlib import Path

from models.core.writing import atomic_open
from models.errors import VectorFileError
from models.vectors.formats.reading import (BOM, Rows, fill_text_rows, looks_like_text_row, open_file,
                                            parse_header_tokens, progress, read_header)
from models.vectors.formats.record import VectorFormat
from models.vectors.formats.writing import row_blocks, text_lines, written
from models.vectors.store import WordVectors


def read_word2vec_text(path: Path):
    with open_file(path) as f:
        n, dim, _ = read_header(path, f, lambda d: 2 * d)
        rows = Rows(path, n, dim)
        yield progress(0, n, path)
        yield from fill_text_rows(path, f, rows, first_lineno=2, limit=n)
    if len(rows) != n:
        raise VectorFileError(f"{path}: the header promises {n} rows but the file has {len(rows)}.",
                              "The file may be truncated, or the header is wrong.")
    return rows.result()


def write_word2vec_text(vectors: WordVectors, path: Path, header: bool = True):
    with atomic_open(path) as f:
        if header:
            f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        for start, words, block in row_blocks(vectors):
            f.write(text_lines(words, block, " "))
            yield written(start + len(words), len(vectors), path)
    return [path]


def has_text_header(head: bytes) -> bool:
    """A ``ROWS DIM`` first line followed by text rows (binary rows are almost never UTF-8)."""
    first, _, rest = head.removeprefix(BOM).partition(b"\n")
    header = parse_header_tokens(first)
    return header is not None and looks_like_text_row(rest, header[1])


FORMAT = VectorFormat("word2vec", "word2vec text", (".txt",), read_word2vec_text, write_word2vec_text,
                      aliases=("w2v", "text", "txt"), by_name=False, sniff=has_text_header)
