"""Reading a corpus: a plain-text or gzip file, or a folder of them, one sentence or document per line.

A corpus is read as a stream, a chunk of text at a time, so memory does not grow with its size:
each chunk is tokenized and its words numbered and counted (:class:`TokenIds`), and the numbers go
to a compact token file in the corpus cache (``$EMBEDDING_EXPLORER_CACHE``, see
models.text.token_file) once the corpus is past a few million tokens; a small corpus stays in
memory. The same file (path, size, modification time) read again with the same settings opens its
token file at once. A folder is read as its ``.txt`` and ``.txt.gz`` files in sorted order.

Bad files (missing, a FIFO or a device, empty, binary: control characters at the start or a NUL
byte anywhere, too few words) raise :class:`CorpusError` naming the file and what to do. Lines are
at most :data:`MAX_LINE_BYTES`, a ceiling stated when it is hit. Text that is not UTF-8 is decoded
as Windows-1252 (a superset of Latin-1 that covers most legacy English text) from the first chunk
that is not, and the fallback is reported, not hidden.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import operator
import os
import re
import shutil
import zlib
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numba
import numpy as np

from models.core.cache import CACHE_ENV, cache_dir
from models.core.events import Progress, Rate, drain
from models.core.heap import collector_paused
from models.core.reading import check_regular, open_regular, size_text
from models.core.writing import Staged, staged
from models.errors import CorpusError
from models.text.token_file import SPILL_TOKENS, DiskArray, TokenSink, sentence_chunks

TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
MAX_SENTENCE = 1000  # longer lines are split, as word2vec.c does, so windows stay local
_SNIFF = 64 * 1024
MAX_LINE_BYTES = 16 << 20       # a document a line; a "line" past this is not text
_CHUNK = 1 << 20                # text read, tokenized and counted between two progress events
_HINT = "Choose a .txt or .txt.gz file with one sentence per line, or a folder of them."
SUFFIXES = (".txt", ".txt.gz")
NEWLINE = b"\n"
FORMAT = 1                      # of the token files in the cache: a change here makes them be read again
KEEP_CACHED = 4                 # corpora whose token files are kept; the least recently read go first
# A corpus that would fill the disk (a text bomb inflating without end, a corpus larger than the
# disk) stops while this much is still free, so the rest of the system keeps working.
DISK_RESERVE = 1 << 30

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_CORPUS = ASSETS / "corpus" / "default.txt.gz"


def tokenize(line: str) -> list[str]:
    """Lower-cased word tokens; punctuation dropped, inner apostrophes kept (don't, o'clock)."""
    return TOKEN.findall(line.lower())


@numba.njit(cache=True, nogil=True)
def add_counts(counts, ids):
    """``counts[t] += 1`` for every t in ``ids``, without the GIL (see models.text.vocab)."""
    for t in ids:
        counts[t] += 1


@dataclass(frozen=True)
class TokenIds:
    """Every token of a corpus as an integer: token i is ``types[ids[i]]``, and sentence s is
    ``ids[starts[s]:starts[s + 1]]``. Vocabularies are counted and corpora encoded from this in
    NumPy and numba (see models.text.vocab): a Python Counter and list comprehension over the
    bundled corpus's 5 million tokens took 1.6 s and kept the GIL busy all along, and the window's
    thread waits for the GIL at every paint. ``ids`` and ``starts`` are NumPy arrays, or for a large
    corpus DiskArrays (models.text.token_file)."""
    types: list[str]        # in order of first appearance
    ids: np.ndarray         # int32 (n_tokens,)
    starts: np.ndarray      # int64 (n_sentences + 1,)
    counts: np.ndarray | None = None    # int64 (len(types),): how often each type occurs, when known

    @classmethod
    def from_sentences(cls, sentences) -> "TokenIds":
        index = defaultdict(itertools.count().__next__)     # an unseen word gets the next id
        ids, lengths = _number(sentences, index.__getitem__)
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return cls(list(index), ids, starts)

    def type_counts(self) -> np.ndarray:
        if self.counts is not None:
            return self.counts
        counts = np.zeros(len(self.types), dtype=np.int64)
        for s0, s1 in sentence_chunks(self.starts, SPILL_TOKENS):
            add_counts(counts, np.asarray(self.ids[int(self.starts[s0]):int(self.starts[s1])]))
        return counts


def _number(sentences, get) -> tuple[np.ndarray, np.ndarray]:
    """The ids ``get`` gives each word of ``sentences``, and the length of each sentence."""
    ids, lengths = array("i"), array("q")
    for s in sentences:             # one short C call per sentence: the GIL changes hands between them
        ids.extend(map(get, s))
        lengths.append(len(s))
    return (np.frombuffer(ids, dtype=np.intc).astype(np.int32, copy=False),
            np.frombuffer(lengths, dtype=np.int64))


class TokenSentences(Sequence):
    """The sentences of a :class:`TokenIds` as lists of words, made when asked for: a large
    corpus is never held as Python strings (about 60 bytes a word)."""

    def __init__(self, tokens: TokenIds):
        self.tokens = tokens

    def __len__(self) -> int:
        return len(self.tokens.starts) - 1

    def __getitem__(self, s):
        if isinstance(s, slice):
            return [self[i] for i in range(*s.indices(len(self)))]
        s = range(len(self))[s]         # a negative index counts from the end; past it, IndexError
        t = self.tokens
        return self._words(np.asarray(t.ids[int(t.starts[s]):int(t.starts[s + 1])]))

    def _words(self, ids: np.ndarray) -> list[str]:
        return list(operator.itemgetter(*ids.tolist())(self.tokens.types)) if ids.size > 1 else \
            [self.tokens.types[int(i)] for i in ids]

    def __iter__(self):
        t = self.tokens
        for s0, s1 in sentence_chunks(t.starts, 1 << 20):
            offsets = np.asarray(t.starts[s0:s1 + 1])
            ids = np.asarray(t.ids[int(offsets[0]):int(offsets[-1])])
            for a, b in zip((offsets[:-1] - offsets[0]).tolist(), (offsets[1:] - offsets[0]).tolist()):
                yield self._words(ids[a:b])

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, Sequence)) and len(self) == len(other) and all(
            a == b for a, b in zip(self, other))

    __hash__ = None


@dataclass
class Corpus:
    """A corpus read for training: ``path`` (a file or a folder) and its sentences, given as lists
    of words (a corpus made in code) or read as :class:`TokenIds` (``tokens``), when
    ``sentences`` is a view made from them."""
    path: Path
    sentences: Sequence[list[str]] | None = None
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
    # Vocabularies and encodings made for training, by (min count, max size): a model trained again
    # on the same corpus starts at once (see models.text.vocab.prepare_steps). Trainers only read them.
    prepared: dict = field(default_factory=dict, repr=False, compare=False)
    tokens: TokenIds | None = field(default=None, repr=False, compare=False)
    # The cache folder of its token files, where its encodings for training are written too (None:
    # all in memory)
    cache: Path | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.sentences is None:
            self.sentences = TokenSentences(self.tokens)

    @property
    def n_tokens(self) -> int:
        if self.tokens is not None:
            return int(self.tokens.starts[-1])
        return sum(len(s) for s in self.sentences)

    @property
    def n_sentences(self) -> int:
        return len(self.sentences)

    @cached_property
    def token_ids(self) -> TokenIds:
        """The sentences as integers (the reader makes them, in its worker thread)."""
        return self.tokens if self.tokens is not None else TokenIds.from_sentences(self.sentences)


# --- which files ------------------------------------------------------------------------------

def corpus_files(path: Path) -> list[Path]:
    """The files of the corpus at ``path``: the file itself, or a folder's .txt and .txt.gz files
    in sorted order (sub-folders and other files are not read)."""
    if not path.exists() and not path.is_symlink():
        raise CorpusError(f"Corpus file not found: {path}.", "Check the path, or use the bundled corpus.")
    if not path.is_dir():
        check_regular(path, "a text file", CorpusError, _HINT)      # a FIFO, a device, a link loop: said here
        return [path]
    try:
        names = sorted(e.name for e in os.scandir(path) if e.name.endswith(SUFFIXES) and not e.is_dir())
    except OSError as e:
        raise CorpusError(f"Cannot read the folder {path}: {e.strerror or e}.", _HINT) from None
    if not names:
        raise CorpusError(f"{path} is a folder with no .txt or .txt.gz file in it.", _HINT)
    for name in names:
        check_regular(path / name, "a text file", CorpusError, _HINT)
    return [path / n for n in names]


def _cache_key(files: list[Path]) -> str:
    """What the token files depend on: each file's place, size and modification time, and the
    tokenizer's rules."""
    stats = [(os.path.realpath(f), st.st_size, st.st_mtime_ns) for f in files for st in [os.stat(f)]]
    blob = json.dumps([FORMAT, TOKEN.pattern, MAX_SENTENCE, stats])
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


# --- pass 1: text to numbered tokens ----------------------------------------------------------

class _TextReader:
    """One file's text in chunks of whole lines, checked as it comes: binary content, a line past
    :data:`MAX_LINE_BYTES`, text that is not UTF-8. ``done`` is how far into the file (its bytes
    on disk) reading has come."""

    def __init__(self, path: Path, f):
        self.path, self.raw = path, f
        self.stream = gzip.GzipFile(fileobj=f) if path.suffix == ".gz" else f
        self.encoding, self.total, self.line = "utf-8", 0, 1      # line: the number of the next chunk's first line

    @property
    def done(self) -> int:
        return self.raw.tell()

    def pieces(self):
        carry, run, breaks = b"", 0, 0        # run: bytes since the last line break
        while chunk := self.stream.read(_CHUNK):
            self._check_binary(chunk)
            run = self._check_lines(chunk, run, breaks)
            breaks += chunk.count(b"\n")
            self.total += len(chunk)
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                carry += chunk
                continue
            yield self._decode(carry + chunk[:cut])
            carry = chunk[cut:]
        if self.total == 0:
            raise CorpusError(f"{self.path} is empty.", "Choose a text file with at least a few thousand words.")
        if carry:
            yield self._decode(carry)

    def _check_binary(self, chunk: bytes) -> None:
        # Control characters are judged on the first 64 KB; a NUL byte anywhere means binary (or
        # UTF-16), not text with a stray character, and is cheap to look for in every chunk.
        nul = chunk.find(b"\x00")
        if nul >= 0 or (self.total == 0 and _looks_binary(chunk[:_SNIFF])):
            where = f" (a NUL byte at byte {self.total + nul:,} of its text)" if nul >= 0 else ""
            raise CorpusError(f"{self.path} looks like a binary file, not text{where}.",
                              "Choose a plain-text file (.txt or .txt.gz), one sentence per line, saved as UTF-8.")

    def _check_lines(self, chunk: bytes, run: int, breaks: int) -> int:
        """Refuse a line past :data:`MAX_LINE_BYTES` (``run`` bytes of it came before this chunk,
        after ``breaks`` line breaks); returns the new run."""
        if run + len(chunk) <= MAX_LINE_BYTES:
            cut = chunk.rfind(b"\n")
            return run + len(chunk) if cut < 0 else len(chunk) - cut - 1
        parts = chunk.split(b"\n")
        for k, part in enumerate(parts):
            if (run if k == 0 else 0) + len(part) > MAX_LINE_BYTES:
                raise CorpusError(f"{self.path}, line {breaks + k + 1:,}: a line longer than "
                                  f"{size_text(MAX_LINE_BYTES)}.",
                                  "Put one sentence or document per line; this may not be a text file.")
        return len(parts[-1]) + (run if len(parts) == 1 else 0)

    def _decode(self, piece: bytes) -> str:
        line, self.line = self.line, self.line + piece.count(b"\n")
        if self.encoding == "utf-8":
            try:
                return piece.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = line + piece.count(NEWLINE, 0, e.start)
                self.encoding = f"cp1252 (not UTF-8 from line {bad:,})"
        return piece.decode("cp1252", errors="replace")


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return len(head) > 0 and control / len(head) > 0.05


def _sentences(text: str):
    for line in text.splitlines():
        words = tokenize(line)
        for i in range(0, len(words), MAX_SENTENCE):
            yield words[i:i + MAX_SENTENCE]


def read_corpus_steps(path: str | Path):
    """Read and tokenise a corpus file or folder, yielding progress; returns the :class:`Corpus`.

    Raises CorpusError for anything unfit to train on. Closing the generator stops at the next
    chunk and leaves nothing half-written in the cache.
    """
    path = Path(path)
    files = corpus_files(path)
    folder = _cache_folder(files)
    if folder is not None and (kept := _open_cached(path, folder)) is not None:
        yield Progress(1, 1, unit="B", message=f"Read {path.name} from the cache")
        return kept
    sizes = [_size(f) for f in files]
    total_bytes, before = sum(sizes), 0
    rate = Rate(total_bytes)
    index = defaultdict(itertools.count().__next__)     # an unseen word gets the next id
    get = index.__getitem__
    counts = np.zeros(1 << 16, dtype=np.int64)
    notes: list[str] = []
    with (staged() if folder is not None else contextlib.nullcontext()) as out, (
            TokenSink(out, folder / "tokens.i32", folder / "starts.i64", SPILL_TOKENS) if out else TokenSink()) as sink:
        for f, size in zip(files, sizes):
            with open_regular(f, "a text file", CorpusError, _HINT) as raw:
                reader = _TextReader(f, raw)
                for text in _guarded(f, reader.pieces()):
                    # Millions of new lists and strings, none in a cycle: see models.core.heap.
                    with collector_paused():
                        ids, lengths = _number(_sentences(text), get)
                    counts = _grown(counts, len(index))
                    add_counts(counts, ids)
                    _write(sink, ids, lengths, folder)
                    done = before + reader.done
                    speed, eta = rate.update(done)
                    yield Progress(done, total_bytes, items_per_second=speed, eta_seconds=eta, unit="B",
                                   message=f"Reading {f.name}")
            if reader.encoding != "utf-8":
                notes.append(f"{f.name} is not valid UTF-8; read as {reader.encoding}.")
            before += size
        if sink.n_tokens == 0:
            raise CorpusError(f"{path} contains no words.", "Choose a text file with running text.")
        types, counts = list(index), counts[:len(index)]
        arrays = sink.finish()
        if arrays is None:
            _write_meta(out, folder, types, counts, notes)
    if arrays is None:
        _forget_old(folder)
        return _open_cached(path, folder)
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.rmdir()          # a corpus this small is kept in memory only
    yield Progress(total_bytes, total_bytes, unit="B", message=f"Read {path.name}")
    return Corpus(path, None, _encoding(notes), notes, tokens=TokenIds(types, *arrays, counts))


def _grown(counts: np.ndarray, n: int) -> np.ndarray:
    """``counts`` with room for ``n`` types (doubled, so growing costs little in all)."""
    if n <= counts.size:
        return counts
    return np.concatenate([counts, np.zeros(max(n, 2 * counts.size) - counts.size, dtype=np.int64)])


def _size(f: Path) -> int:
    with contextlib.suppress(OSError):
        return f.stat().st_size
    return 0


def _guarded(path: Path, pieces):
    """``pieces``, with a damaged file's errors said as a CorpusError naming it."""
    try:
        yield from pieces
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise CorpusError(f"Could not read {path}: {e}.",
                          "If it is compressed, check the .gz file is complete.") from e


def _write(sink: TokenSink, ids, lengths, folder: Path | None) -> None:
    hint = f"Free some disk space, or set {CACHE_ENV} to a folder with room."
    try:
        sink.add(ids, lengths)
        if sink.on_disk and shutil.disk_usage(folder).free < DISK_RESERVE:
            raise CorpusError(f"The corpus's token file in {folder} would leave less than "
                              f"{DISK_RESERVE >> 30} GiB free on its disk; reading stopped at "
                              f"{sink.n_tokens:,} tokens.", hint)
    except OSError as e:
        raise CorpusError(f"Could not write the corpus's token file in {folder}: {e.strerror or e}.", hint) from e


def _encoding(notes: list[str]) -> str:
    return "utf-8" if not notes else notes[0].split("; read as ", 1)[1].rstrip(".")


# --- the cache of token files -----------------------------------------------------------------

def corpora_cache() -> Path:
    return cache_dir() / "corpora"


def _cache_folder(files: list[Path]) -> Path | None:
    """This corpus's folder in the cache, made if need be; None where the cache cannot be written
    (the corpus is then kept in memory)."""
    folder = corpora_cache() / _cache_key(files)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def _write_meta(out: Staged, folder: Path, types: list[str], counts: np.ndarray, notes: list[str]) -> None:
    """The vocabulary of types, their counts, and last (its name marks the set complete) meta.json."""
    out.write(folder / "types.txt", "\n".join(types).encode("utf-8"))
    out.write(folder / "counts.i64", counts.tobytes())
    out.write(folder / "meta.json", json.dumps({"format": FORMAT, "notes": notes}).encode())


def _open_cached(path: Path, folder: Path) -> Corpus | None:
    """The corpus whose token files are in ``folder``, or None if they are not all there."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        types = (folder / "types.txt").read_text(encoding="utf-8").split("\n")
        counts = np.fromfile(folder / "counts.i64", dtype=np.int64)
        ids, starts = DiskArray(folder / "tokens.i32", np.int32), DiskArray(folder / "starts.i64", np.int64)
        os.utime(folder)            # recently used: see _forget_old
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT or len(types) != counts.size or int(starts[-1]) != ids.size:
        return None
    notes = list(meta.get("notes", []))
    return Corpus(path, None, _encoding(notes), notes, tokens=TokenIds(types, ids, starts, counts), cache=folder)


def _forget_old(keep: Path) -> None:
    """Remove the token files of all but the :data:`KEEP_CACHED` most recently read corpora."""
    with contextlib.suppress(OSError):
        folders = sorted((p for p in corpora_cache().iterdir() if p.is_dir() and p != keep),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in folders[KEEP_CACHED - 1:]:
            shutil.rmtree(old, ignore_errors=True)


def read_corpus(path: str | Path) -> Corpus:
    return drain(read_corpus_steps(path))
