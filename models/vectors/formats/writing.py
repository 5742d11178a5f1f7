"""What the writers share: rows in blocks, UTF-8 that names what cannot be written, text rows that
bring every float32 back exactly, and progress in rows."""
from __future__ import annotations

from pathlib import Path

from models.core.events import Progress
from models.errors import VectorFileError
from models.vectors.store import WordVectors

FLOAT_FORMAT = "%.9g"          # nine significant digits bring every float32 back exactly


def row_blocks(vectors: WordVectors, rows: int = 2000):
    for start in range(0, len(vectors), rows):
        yield start, vectors.words[start:start + rows], vectors.matrix[start:start + rows]


def encode(word_or_text: str, where: str) -> bytes:
    try:
        return word_or_text.encode("utf-8")
    except UnicodeEncodeError:
        raise VectorFileError(f"{where}: text that cannot be written as UTF-8.", "Rename the word.") from None


def text_lines(words, block, sep: str, with_words: bool = True) -> bytes:
    fmt = sep.join([FLOAT_FORMAT] * block.shape[1])
    if with_words:
        lines = [w + sep + fmt % tuple(row) for w, row in zip(words, block.tolist())]
    else:
        lines = [fmt % tuple(row) for row in block.tolist()]
    return encode("\n".join(lines) + "\n", "a row")


def written(done: int, total: int, path: Path) -> Progress:
    return Progress(step=done, total_steps=total, unit="rows", message=f"writing {path.name}")
