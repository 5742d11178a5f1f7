"""What the readers share: opening and checking a file, the growing matrix of rows with its checks,
the ``ROWS DIM`` header, blocks of whole lines, and NumPy's fast parser with a careful fallback."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from models.core.events import Progress
from models.core.reading import check_regular, open_regular
from models.errors import VectorFileError
from models.vectors.store import WordVectors

BLOCK_BYTES = 1 << 22          # big enough that NumPy's parser dominates, small next to the matrix


MAX_LINE_BYTES = 1 << 26       # a "line" longer than this is a binary file read as text


BOM = b"\xef\xbb\xbf"


TEXT_HINT = "Each line must be a word followed by {dim} numbers separated by spaces."


def check_file(path: Path) -> None:
    if check_regular(path, "a vector file", VectorFileError, "Give the path of a file.") == 0:
        raise VectorFileError(f"{path} is empty.", "Give a file that holds vectors.")


def open_file(path: Path):
    """Every reader opens its files here: a regular file, or a VectorFileError naming what it is."""
    return open_regular(path, "a vector file", VectorFileError, "Give the path of a file.")


def progress(done: int, total: int, path: Path) -> Progress:
    return Progress(step=done, total_steps=total, unit="rows", message=f"reading {path.name}")


class Rows:
    """The growing result of a reader: the preallocated matrix, the words so far, and their checks."""

    def __init__(self, path: Path, capacity: int, dim: int):
        self.path, self.dim = path, dim
        self.matrix = np.empty((capacity, dim), dtype=np.float32)
        self.words: list[str] = []
        self.seen: set[str] = set()

    def __len__(self) -> int:
        return len(self.words)

    def add_word(self, word: str, where: str) -> None:
        if not word:
            raise VectorFileError(f"{where}: empty word.", "Every row needs a word before its values.")
        if word in self.seen:
            raise VectorFileError(f"{where}: duplicate word {word!r}.", "Each word may appear once; remove the repeat.")
        self.seen.add(word)
        self.words.append(word)

    def put(self, start: int, values: np.ndarray, where) -> None:
        """Store rows from ``start`` on after checking that every value is finite; ``where(i)`` names row i."""
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            bad = int(np.argmin(finite))
            raise VectorFileError(f"{where(bad)}: NaN or infinite value for {self.words[start + bad]!r}.",
                                  "Fix or drop that row; such a vector breaks every distance.")
        self.matrix[start:start + len(values)] = values

    def result(self, metadata: dict | None = None) -> WordVectors:
        if not self.words:
            raise VectorFileError(f"{self.path} holds no vectors.", "Give a file with at least one row.")
        if len(self) < len(self.matrix):
            self.matrix.resize((len(self), self.dim), refcheck=False)
        return WordVectors(self.words, self.matrix, metadata=metadata)


def parse_header_tokens(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    n, dim = int(parts[0]), int(parts[1])
    return (n, dim) if n > 0 and dim > 0 else None


def looks_like_text_row(data: bytes, dim: int) -> bool:
    """Binary float32 rows are almost never valid UTF-8 for long; a text row always is."""
    line = data.split(b"\n", 1)[0]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(line) - 3 and len(line) == len(data)   # a character cut by the sniff window
    return True


def read_header(path: Path, f, bytes_per_row_at_least) -> tuple[int, int, int]:
    """Parse ``ROWS DIM`` and check that the file is big enough to hold them before allocating."""
    line = f.readline(256).removeprefix(BOM)
    header = parse_header_tokens(line) if line.endswith(b"\n") else None
    if header is None:
        raise VectorFileError(f"{path}, line 1: expected a header 'ROWS DIMENSIONS' (two positive whole numbers).",
                              "Is this a word2vec file? GloVe files have no header: choose the glove format.")
    n, dim = header
    # Loose on purpose: it only has to stop an absurd allocation; near misses are then reported
    # where the rows run out, which says more.
    size = path.stat().st_size
    if n * bytes_per_row_at_least(dim) > size:
        raise VectorFileError(f"{path}, line 1: the header claims {n} x {dim} values, more than the file can hold "
                              f"({size:,} bytes).", "The header or the file is damaged.")
    return n, dim, f.tell()


def count_lines(f) -> int:
    count, last = 0, b"\n"
    while chunk := f.read(BLOCK_BYTES):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


def fill_text_rows(path: Path, f, rows: Rows, first_lineno: int, limit: int, total: int | None = None):
    """Parse lines ``WORD v1 ... vDIM`` from ``f`` into ``rows``, yielding progress after each block."""
    total = limit if total is None else total
    for lineno, block in line_blocks(path, f, first_lineno):
        text = decode(path, block, lineno)
        start = len(rows)
        rests, places = [], []
        for i, line in enumerate(text.split("\n")):
            line = line.rstrip(" \t\r")
            if not line:
                continue
            where = f"{path}, line {lineno + i}"
            if len(rows) == limit:
                # Short rows are the likelier cause than a wrong count: report them first if so.
                parse_values(rests + [line.partition(" ")[2]], places + [where], rows.dim, " ")
                raise VectorFileError(f"{where}: more rows than the {limit} the header promises.",
                                      "Fix the header's row count.")
            word, _, rest = line.partition(" ")
            rows.add_word(word, where)
            rests.append(rest)
            places.append(where)
        if rests:
            rows.put(start, parse_values(rests, places, rows.dim, " "), places.__getitem__)
        yield progress(len(rows), total, path)


def line_blocks(path: Path, f, lineno: int):
    """Blocks of whole lines with the number of their first line."""
    carry = b""
    while True:
        chunk = f.read(BLOCK_BYTES)
        if not chunk:
            if carry:
                yield lineno, carry
            return
        if lineno == 1:
            chunk = chunk.removeprefix(BOM)
        chunk = carry + chunk
        cut = chunk.rfind(b"\n")
        if cut < 0:
            if len(chunk) > MAX_LINE_BYTES:
                raise VectorFileError(f"{path}, line {lineno}: a line longer than {MAX_LINE_BYTES >> 20} MB.",
                                      "This looks like a binary file; choose the word2vec-binary or npy format.")
            carry = chunk
            continue
        block, carry = chunk[:cut + 1], chunk[cut + 1:]
        yield lineno, block
        lineno += block.count(b"\n")


def decode(path: Path, block: bytes, lineno: int, what: str = "line") -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as e:
        line = lineno + block.count(b"\n", 0, e.start)
        raise VectorFileError(f"{path}, {what} {line}: bytes that are not UTF-8 ({e.reason}).",
                              "Re-save the file as UTF-8, or choose the word2vec-binary format if it is binary.") from None


def parse_values(rests: list[str], places: list[str], dim: int, sep: str) -> np.ndarray:
    """Rows of ``dim`` numbers: NumPy's C parser first, the careful line-by-line reading on any doubt."""
    with np.errstate(all="ignore"):
        if not all(rests):      # loadtxt would skip an empty row and warn; the careful reader names it
            return _parse_values_slowly(rests, places, dim)
        try:
            values = np.loadtxt(rests, dtype=np.float32, delimiter=sep, comments=None, ndmin=2, quotechar=None)
            if values.shape == (len(rests), dim):
                return values
        except Exception:  # noqa: BLE001 - whatever the fast parser disliked, the careful one explains
            pass
        return _parse_values_slowly(rests, places, dim)


def _parse_values_slowly(rests: list[str], places: list[str], dim: int) -> np.ndarray:
    values = np.empty((len(rests), dim), dtype=np.float32)
    for i, rest in enumerate(rests):
        parts = rest.split()
        if len(parts) != dim:
            raise VectorFileError(f"{places[i]}: {len(parts)} values, expected {dim}.", TEXT_HINT.format(dim=dim))
        for p in parts:
            if not _is_number(p):
                raise VectorFileError(f"{places[i]}: a value is not a number ({p[:40]!r}).",
                                      "Values must be decimal numbers such as 0.25 or -1e-3.")
        values[i] = np.array([float(p) for p in parts], dtype=np.float64)
    return values


# Digits before and after an optional point are matched so that they cannot trade places: with
# "\d+\.?\d*" a run of n digits that ends in a letter backtracks n^2 times (8,000 digits: 6 s).
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE)


def _is_number(token: str) -> bool:
    return _NUMBER.fullmatch(token) is not None
