"""GloVe text: word2vec text without the header; any file that nothing else claims is read as it."""
from __future__ import annotations

from pathlib import Path

from models.errors import VectorFileError
from models.vectors.formats.reading import BOM, MAX_LINE_BYTES, Rows, count_lines, fill_text_rows, open_file, progress
from models.vectors.formats.record import VectorFormat
from models.vectors.formats.word2vec import write_word2vec_text
from models.vectors.store import WordVectors


def read_glove(path: Path):
    with open_file(path) as f:
        lines = count_lines(f)
        f.seek(0)
        first = f.readline(MAX_LINE_BYTES).removeprefix(BOM).decode("utf-8", "replace").rstrip(" \t\r\n")
        word, _, rest = first.partition(" ")
        dim = len(rest.split())
        if dim < 1 or not word:
            raise VectorFileError(f"{path}, line 1: expected a word followed by its values.",
                                  "GloVe files hold one word and its numbers per line.")
        # A valid row takes at least 2 * dim + 1 bytes, which bounds the rows before allocating.
        capacity = min(lines, path.stat().st_size // (2 * dim + 1) + 1)
        rows = Rows(path, capacity, dim)
        yield progress(0, lines, path)
        f.seek(0)
        yield from fill_text_rows(path, f, rows, first_lineno=1, limit=capacity, total=lines)
    return rows.result()


def write_glove(vectors: WordVectors, path: Path):
    return (yield from write_word2vec_text(vectors, path, header=False))


FORMAT = VectorFormat("glove", "GloVe text, no header", (".txt", ".glove"), read_glove, write_glove,
                      by_name=False, fallback=True)
