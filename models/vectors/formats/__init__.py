"""Word-vector files in and out: word2vec text and binary, GloVe, fastText .vec, the TensorFlow
Embedding Projector's TSV pair, and a .npy matrix with a vocabulary file.

Readers fill one preallocated float32 matrix block by block, parsing each block of lines with
NumPy's C parser, so memory stays near the size of the matrix and large files load in seconds. A
block the fast parser rejects is re-read line by line, only to say exactly where and why. Every
reader raises :class:`VectorFileError` naming the file and the line (or byte offset) and never
returns half a file. Every writer streams into a temporary file beside the target and renames it
into place, so an interrupted write leaves the previous file as it was.

| format            | files                                   | header            |
| ----------------- | --------------------------------------- | ----------------- |
| ``word2vec``      | one text file, ``WORD v1 v2 ...``        | ``ROWS DIM``      |
| ``fasttext``      | the same, named ``.vec``                 | ``ROWS DIM``      |
| ``glove``         | one text file, ``WORD v1 v2 ...``        | none              |
| ``word2vec-binary`` | ``WORD`` space, DIM little-endian float32 | ``ROWS DIM``  |
| ``tsv``           | ``vectors.tsv`` + ``metadata.tsv``       | metadata: see below |
| ``npy``           | ``NAME.npy`` + ``NAME.vocab.txt``        | the .npy header   |

Projector metadata follows the projector's rule: with several columns the first row names them;
a single column has no header, unless it has exactly one row more than the vectors. The first
column holds the words; the others are kept in :attr:`WordVectors.metadata`.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from models.core.events import Progress, drain
from models.core.reading import check_regular, open_regular
from models.core.writing import atomic_open, check_outputs, staged, write_failure
from models.errors import VectorFileError
from models.vectors.store import WordVectors

FORMATS = ("word2vec", "word2vec-binary", "glove", "fasttext", "tsv", "npy")
ALIASES = {"w2v": "word2vec", "text": "word2vec", "txt": "word2vec", "bin": "word2vec-binary",
           "binary": "word2vec-binary", "vec": "fasttext", "projector": "tsv"}
SUFFIXES = {".txt": "word2vec", ".vec": "fasttext", ".bin": "word2vec-binary", ".tsv": "tsv",
            ".npy": "npy"}
FORMAT_HELP = ", ".join(FORMATS)

BLOCK_BYTES = 1 << 22          # big enough that NumPy's parser dominates, small next to the matrix
MAX_LINE_BYTES = 1 << 26       # a "line" longer than this is a binary file read as text
MAX_WORD_BYTES = 4096          # likewise for a word in word2vec binary
FLOAT_FORMAT = "%.9g"          # nine significant digits bring every float32 back exactly
_BOM = b"\xef\xbb\xbf"
_TEXT_HINT = "Each line must be a word followed by {dim} numbers separated by spaces."


# --- choosing a format -----------------------------------------------------------------------
def normalize_format(fmt: str) -> str:
    name = ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS and name != "auto":
        raise VectorFileError(f"Unknown vector format {fmt!r}.", f"Choose one of: {FORMAT_HELP}.")
    return name


def sniff_format(path: str | Path) -> str:
    """The format of an existing file or folder, from its name and, where that is ambiguous, its bytes."""
    path = Path(path)
    if path.is_dir():
        if (path / "vectors.tsv").is_file():
            return "tsv"
        raise VectorFileError(f"{path} is a folder without vectors.tsv.",
                              "Give a vector file, or a folder holding vectors.tsv and metadata.tsv.")
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix in (".npy", ".tsv", ".bin", ".vec"):
        return SUFFIXES[suffix]
    with _open(path) as f:
        head = f.read(1 << 16)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    first, _, rest = head.removeprefix(_BOM).partition(b"\n")
    header = _parse_header_tokens(first)
    if header is None:
        return "glove"
    return "word2vec" if _looks_like_text_row(rest, header[1]) else "word2vec-binary"


def format_for_output(path: str | Path) -> str:
    """The format a new file should get from its name, for writers given ``fmt="auto"``."""
    path = Path(path)
    if path.is_dir() or not path.suffix:       # a folder gets the projector's vectors.tsv + metadata.tsv
        return "tsv"
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise VectorFileError(f"Cannot tell a vector format from the name {path.name!r}.",
                              f"Name it .txt, .vec, .bin, .tsv or .npy, or choose one of: {FORMAT_HELP}.") from None


def _looks_like_text_row(data: bytes, dim: int) -> bool:
    """Binary float32 rows are almost never valid UTF-8 for long; a text row always is."""
    line = data.split(b"\n", 1)[0]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(line) - 3 and len(line) == len(data)   # a character cut by the sniff window
    return True


# --- reading ----------------------------------------------------------------------------------
def read_vectors_steps(path: str | Path, fmt: str = "auto"):
    """Read a vector file, yielding :class:`Progress` (unit "rows"); returns :class:`WordVectors`."""
    path = Path(path)
    fmt = normalize_format(fmt)
    try:
        if fmt == "auto":
            fmt = sniff_format(path)
        if fmt != "tsv" or not path.is_dir():
            _check_file(path)
        return (yield from _READERS[fmt](path))
    except MemoryError:
        raise VectorFileError(f"{path}: not enough memory for its vectors.",
                              "Close other programs or use a smaller file.") from None
    except OSError as e:
        raise VectorFileError(f"Cannot read {path}: {e.strerror or e}.", "Check the file and try again.") from None


def read_vectors(path: str | Path, fmt: str = "auto") -> WordVectors:
    return drain(read_vectors_steps(path, fmt))


def open_vectors_steps(path: str | Path, fmt: str = "auto"):
    """Like :func:`read_vectors_steps`, but a model folder written by training is accepted too."""
    path = Path(path)
    if normalize_format(fmt) == "auto" and path.is_dir() and not (path / "vectors.tsv").is_file():
        from models.text.embedding import load_embedding

        yield Progress(step=0, total_steps=1, unit="models", message=f"loading {path.name}")
        return load_embedding(path).vectors
    return (yield from read_vectors_steps(path, fmt))


def _check_file(path: Path) -> None:
    if check_regular(path, "a vector file", VectorFileError, "Give the path of a file.") == 0:
        raise VectorFileError(f"{path} is empty.", "Give a file that holds vectors.")


def _open(path: Path):
    """Every reader opens its files here: a regular file, or a VectorFileError naming what it is."""
    return open_regular(path, "a vector file", VectorFileError, "Give the path of a file.")


def _progress(done: int, total: int, path: Path) -> Progress:
    return Progress(step=done, total_steps=total, unit="rows", message=f"reading {path.name}")


class _Rows:
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


def _parse_header_tokens(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    n, dim = int(parts[0]), int(parts[1])
    return (n, dim) if n > 0 and dim > 0 else None


def _read_header(path: Path, f, bytes_per_row_at_least) -> tuple[int, int, int]:
    """Parse ``ROWS DIM`` and check that the file is big enough to hold them before allocating."""
    line = f.readline(256).removeprefix(_BOM)
    header = _parse_header_tokens(line) if line.endswith(b"\n") else None
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


# text formats: word2vec, fastText, GloVe
def _read_word2vec_text(path: Path):
    with _open(path) as f:
        n, dim, _ = _read_header(path, f, lambda d: 2 * d)
        rows = _Rows(path, n, dim)
        yield _progress(0, n, path)
        yield from _fill_text_rows(path, f, rows, first_lineno=2, limit=n)
    if len(rows) != n:
        raise VectorFileError(f"{path}: the header promises {n} rows but the file has {len(rows)}.",
                              "The file may be truncated, or the header is wrong.")
    return rows.result()


def _read_glove(path: Path):
    with _open(path) as f:
        lines = _count_lines(f)
        f.seek(0)
        first = f.readline(MAX_LINE_BYTES).removeprefix(_BOM).decode("utf-8", "replace").rstrip(" \t\r\n")
        word, _, rest = first.partition(" ")
        dim = len(rest.split())
        if dim < 1 or not word:
            raise VectorFileError(f"{path}, line 1: expected a word followed by its values.",
                                  "GloVe files hold one word and its numbers per line.")
        # A valid row takes at least 2 * dim + 1 bytes, which bounds the rows before allocating.
        capacity = min(lines, path.stat().st_size // (2 * dim + 1) + 1)
        rows = _Rows(path, capacity, dim)
        yield _progress(0, lines, path)
        f.seek(0)
        yield from _fill_text_rows(path, f, rows, first_lineno=1, limit=capacity, total=lines)
    return rows.result()


def _count_lines(f) -> int:
    count, last = 0, b"\n"
    while chunk := f.read(BLOCK_BYTES):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


def _fill_text_rows(path: Path, f, rows: _Rows, first_lineno: int, limit: int, total: int | None = None):
    """Parse lines ``WORD v1 ... vDIM`` from ``f`` into ``rows``, yielding progress after each block."""
    total = limit if total is None else total
    for lineno, block in _line_blocks(path, f, first_lineno):
        text = _decode(path, block, lineno)
        start = len(rows)
        rests, places = [], []
        for i, line in enumerate(text.split("\n")):
            line = line.rstrip(" \t\r")
            if not line:
                continue
            where = f"{path}, line {lineno + i}"
            if len(rows) == limit:
                # Short rows are the likelier cause than a wrong count: report them first if so.
                _parse_values(rests + [line.partition(" ")[2]], places + [where], rows.dim, " ")
                raise VectorFileError(f"{where}: more rows than the {limit} the header promises.",
                                      "Fix the header's row count.")
            word, _, rest = line.partition(" ")
            rows.add_word(word, where)
            rests.append(rest)
            places.append(where)
        if rests:
            rows.put(start, _parse_values(rests, places, rows.dim, " "), places.__getitem__)
        yield _progress(len(rows), total, path)


def _line_blocks(path: Path, f, lineno: int):
    """Blocks of whole lines with the number of their first line."""
    carry = b""
    while True:
        chunk = f.read(BLOCK_BYTES)
        if not chunk:
            if carry:
                yield lineno, carry
            return
        if lineno == 1:
            chunk = chunk.removeprefix(_BOM)
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


def _decode(path: Path, block: bytes, lineno: int, what: str = "line") -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as e:
        line = lineno + block.count(b"\n", 0, e.start)
        raise VectorFileError(f"{path}, {what} {line}: bytes that are not UTF-8 ({e.reason}).",
                              "Re-save the file as UTF-8, or choose the word2vec-binary format if it is binary.") from None


def _parse_values(rests: list[str], places: list[str], dim: int, sep: str) -> np.ndarray:
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
            raise VectorFileError(f"{places[i]}: {len(parts)} values, expected {dim}.", _TEXT_HINT.format(dim=dim))
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


# word2vec binary
def _read_word2vec_binary(path: Path):
    with _open(path) as f:
        n, dim, offset = _read_header(path, f, lambda d: 4 * d)
        rows = _Rows(path, n, dim)
        yield _progress(0, n, path)
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
            yield _progress(len(rows), n, path)
        reader.expect_end(n)
    return rows.result()


class _BinaryRows:
    """Walks ``WORD<space><dim float32>`` records through a sliding buffer, tracking byte offsets."""

    def __init__(self, path: Path, f, offset: int, dim: int):
        self.path, self.f, self.dim = path, f, dim
        self.row_bytes = 4 * dim
        self.buf, self.pos, self.base = b"", 0, offset

    def _refill(self) -> bool:
        more = self.f.read(max(BLOCK_BYTES, self.row_bytes + MAX_WORD_BYTES))
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


# TensorFlow Embedding Projector: vectors.tsv + metadata.tsv
def tsv_paths(path: str | Path) -> tuple[Path, Path]:
    """(vectors.tsv, metadata.tsv) for a folder, either file of the pair, or a ``NAME_vectors.tsv``."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        return path / "vectors.tsv", path / "metadata.tsv"
    name = path.name
    if "metadata" in name:
        return path.with_name(name.replace("metadata", "vectors")), path
    if "vectors" in name:
        return path, path.with_name(name.replace("vectors", "metadata"))
    return path, path.with_name(path.stem + "_metadata.tsv")


def _read_tsv(path: Path):
    vec_path, meta_path = tsv_paths(path)
    for p in (vec_path, meta_path):
        if not p.is_file():
            raise VectorFileError(f"{p}: file not found.",
                                  "The projector format needs vectors.tsv and metadata.tsv side by side.")
        _check_file(p)
    with _open(vec_path) as f:
        first = f.readline(MAX_LINE_BYTES).removeprefix(_BOM)
    dim = len(first.rstrip(b"\r\n").split(b"\t"))
    words, metadata = _read_metadata(meta_path, vec_path)
    n = len(words)
    if n * dim > vec_path.stat().st_size:
        raise VectorFileError(f"{meta_path}: {n} words, more rows than {vec_path.name} can hold.",
                              "The two files do not belong together.")
    rows = _Rows(vec_path, n, dim)
    yield _progress(0, n, vec_path)
    with _open(vec_path) as f:
        for lineno, block in _line_blocks(vec_path, f, 1):
            text = _decode(vec_path, block, lineno)
            rests, places = [], []
            for i, line in enumerate(text.split("\n")):
                line = line.rstrip("\r")
                if not line.strip():
                    continue
                where = f"{vec_path}, line {lineno + i}"
                if len(rows) + len(rests) == n:
                    raise VectorFileError(f"{where}: more vectors than the {n} words of {meta_path.name}.",
                                          "The two files must have one row per word.")
                rests.append(line)
                places.append(where)
            if rests:
                start = len(rows)
                values = _parse_values(rests, places, dim, "\t")
                for w in words[start:start + len(rests)]:
                    rows.words.append(w)
                rows.put(start, values, places.__getitem__)
            yield _progress(len(rows), n, vec_path)
    if len(rows) != n:
        raise VectorFileError(f"{vec_path}: {len(rows)} vectors but {meta_path.name} names {n} words.",
                              "The two files must have one row per word.")
    return rows.result(metadata)


def _read_metadata(path: Path, vec_path: Path) -> tuple[list[str], dict[str, list[str]]]:
    with _open(path) as f:
        text = _decode(path, f.read().removeprefix(_BOM), 1)
    rows = [line.rstrip("\r").split("\t") for line in text.split("\n")]
    if rows and rows[-1] == [""]:
        rows.pop()
    ncols = len(rows[0]) if rows else 0
    has_header = ncols > 1 or len(rows) == _count_vector_rows(vec_path) + 1
    names = rows[0] if has_header else ["word"]
    body = rows[1:] if has_header else rows
    first_line = 2 if has_header else 1
    seen: set[str] = set()
    for i, r in enumerate(body):
        where = f"{path}, line {first_line + i}"
        if len(r) != ncols:
            raise VectorFileError(f"{where}: {len(r)} columns, expected {ncols}.",
                                  "Every metadata row needs the same tab-separated columns.")
        word = r[0]
        if not word:
            raise VectorFileError(f"{where}: empty word.", "The first column must name each row.")
        if word in seen:
            raise VectorFileError(f"{where}: duplicate word {word!r}.", "Each word may appear once; remove the repeat.")
        seen.add(word)
    words = [r[0] for r in body]
    metadata = {name or f"column {j + 1}": [r[j] for r in body] for j, name in enumerate(names) if j > 0}
    return words, metadata


def _count_vector_rows(vec_path: Path) -> int:
    with _open(vec_path) as f:
        return sum(1 for line in f if line.strip())


# NumPy matrix + vocabulary
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


def _read_npy(path: Path):
    vocab_path = npy_vocab_path(path)
    shape, dtype, offset = _npy_header(path)
    n, dim = shape
    words = _read_vocab(vocab_path, n)
    rows = _Rows(path, n, dim)
    rows.words = words
    data = np.load(path, mmap_mode="r", allow_pickle=False)
    yield _progress(0, n, path)
    step = max(1, (BLOCK_BYTES * 4) // max(1, dim * dtype.itemsize))
    for start in range(0, n, step):
        with np.errstate(all="ignore"):
            block = np.asarray(data[start:start + step], dtype=np.float32)
        rows.put(start, block, lambda i, start=start: f"{path}, row {start + i + 1}")
        yield _progress(min(n, start + step), n, path)
    del data
    return rows.result()


def _npy_header(path: Path) -> tuple[tuple[int, int], np.dtype, int]:
    fmt = np.lib.format
    with _open(path) as f:
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
    with _open(path) as f:
        text = _decode(path, f.read().removeprefix(_BOM), 1)
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


_READERS = {"word2vec": _read_word2vec_text, "fasttext": _read_word2vec_text, "glove": _read_glove,
            "word2vec-binary": _read_word2vec_binary, "tsv": _read_tsv, "npy": _read_npy}


# --- writing ----------------------------------------------------------------------------------
def write_vectors_steps(vectors: WordVectors, path: str | Path, fmt: str = "auto"):
    """Write ``vectors`` in ``fmt``, yielding :class:`Progress`; returns the paths written."""
    path = Path(path)
    fmt = normalize_format(fmt)
    if fmt == "auto":
        fmt = format_for_output(path)
    _check_writable(vectors, fmt)
    try:
        return (yield from _WRITERS[fmt](vectors, path))
    except OSError as e:
        raise VectorFileError(*write_failure(e, str(path), "any file already there is")) from None


def check_destination(path: str | Path, fmt: str = "auto") -> None:
    """Refuse, before a long read, a destination the write would fail at (see
    :func:`models.core.writing.check_outputs`): every file of the format's set is checked."""
    path = Path(path)
    fmt = normalize_format(fmt)
    fmt = format_for_output(path) if fmt == "auto" else fmt
    targets = (list(tsv_paths(path)) if fmt == "tsv" else
               [path, npy_vocab_path(path, existing=False)] if fmt == "npy" else [path])
    try:
        check_outputs(targets)
    except OSError as e:
        raise VectorFileError(*write_failure(e, str(path), "nothing was read or written; any file already there is")) \
            from None


def write_vectors(vectors: WordVectors, path: str | Path, fmt: str = "auto") -> list[Path]:
    return drain(write_vectors_steps(vectors, path, fmt))


_FORBIDDEN = {"word2vec": r"\s", "fasttext": r"\s", "glove": r"\s", "word2vec-binary": r"\s",
              "tsv": r"[\t\r\n]", "npy": r"[\r\n]"}


def _check_writable(vectors: WordVectors, fmt: str) -> None:
    if len(vectors) == 0:
        raise VectorFileError("There are no vectors to write.", "Train or load some first.")
    bad = re.compile(_FORBIDDEN[fmt])
    for i, w in enumerate(vectors.words):
        if not w or bad.search(w):
            raise VectorFileError(f"Row {i + 1}: the word {w!r} cannot be written as {fmt} "
                                  f"({'it is empty' if not w else 'it holds a space, tab or line break'}).",
                                  "Choose the npy or tsv format, or rename the word.")
    if len(vectors.index) != len(vectors.words):
        raise VectorFileError("The vectors repeat a word; a file could not be read back.", "Remove the repeat.")
    finite = np.isfinite(vectors.matrix).all(axis=1)
    if not finite.all():
        word = vectors.words[int(np.argmin(finite))]
        raise VectorFileError(f"The vector of {word!r} holds NaN or infinite values.", "Retrain or drop that word.")


def _row_blocks(vectors: WordVectors, rows: int = 2000):
    for start in range(0, len(vectors), rows):
        yield start, vectors.words[start:start + rows], vectors.matrix[start:start + rows]


def _encode(word_or_text: str, where: str) -> bytes:
    try:
        return word_or_text.encode("utf-8")
    except UnicodeEncodeError:
        raise VectorFileError(f"{where}: text that cannot be written as UTF-8.", "Rename the word.") from None


def _text_lines(words, block, sep: str, with_words: bool = True) -> bytes:
    fmt = sep.join([FLOAT_FORMAT] * block.shape[1])
    if with_words:
        lines = [w + sep + fmt % tuple(row) for w, row in zip(words, block.tolist())]
    else:
        lines = [fmt % tuple(row) for row in block.tolist()]
    return _encode("\n".join(lines) + "\n", "a row")


def _writing(done: int, total: int, path: Path) -> Progress:
    return Progress(step=done, total_steps=total, unit="rows", message=f"writing {path.name}")


def _write_word2vec_text(vectors: WordVectors, path: Path, header: bool = True):
    with atomic_open(path) as f:
        if header:
            f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        for start, words, block in _row_blocks(vectors):
            f.write(_text_lines(words, block, " "))
            yield _writing(start + len(words), len(vectors), path)
    return [path]


def _write_glove(vectors: WordVectors, path: Path):
    return (yield from _write_word2vec_text(vectors, path, header=False))


def _write_word2vec_binary(vectors: WordVectors, path: Path):
    with atomic_open(path) as f:
        f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        for start, words, block in _row_blocks(vectors):
            block = np.ascontiguousarray(block, dtype="<f4")
            f.write(b"".join(_encode(w, "a word") + b" " + row.tobytes() + b"\n" for w, row in zip(words, block)))
            yield _writing(start + len(words), len(vectors), path)
    return [path]


def _write_tsv(vectors: WordVectors, path: Path):
    vec_path, meta_path = tsv_paths(path)
    vec_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in (vectors.metadata or {}).items() if len(v) == len(vectors)}
    for name, column in meta.items():
        for value in [name, *column]:
            if re.search(r"[\t\r\n]", value):
                raise VectorFileError(f"Metadata column {name!r} holds a tab or line break: {value!r}.",
                                      "The projector's TSV cannot hold it; clean the metadata.")
    with staged() as pair:          # the two files are replaced together or not at all
        names = ["word", *meta]
        rows = zip(vectors.words, *meta.values())
        lines = (["\t".join(names)] if meta else []) + ["\t".join(r) for r in rows]
        pair.write(meta_path, _encode("\n".join(lines) + "\n", str(meta_path)))
        with pair.open(vec_path) as f:
            for start, words, block in _row_blocks(vectors):
                f.write(_text_lines(words, block, "\t", with_words=False))
                yield _writing(start + len(words), len(vectors), vec_path)
    return [vec_path, meta_path]


def _write_npy(vectors: WordVectors, path: Path):
    vocab_path = npy_vocab_path(path, existing=False)
    with staged() as pair:          # matrix and words are replaced together or not at all
        pair.write(vocab_path, _encode("\n".join(vectors.words) + "\n", str(vocab_path)))
        yield _writing(0, len(vectors), path)
        with pair.open(path) as f:
            np.save(f, np.ascontiguousarray(vectors.matrix, dtype=np.float32), allow_pickle=False)
    yield _writing(len(vectors), len(vectors), path)
    return [path, vocab_path]


_WRITERS = {"word2vec": _write_word2vec_text, "fasttext": _write_word2vec_text, "glove": _write_glove,
            "word2vec-binary": _write_word2vec_binary, "tsv": _write_tsv, "npy": _write_npy}
