"""Reading a corpus: a plain-text or gzip file, one sentence or document per line.

Bad files (missing, a folder, a FIFO or a device, empty, binary: control characters at the start or
a NUL byte anywhere, too few words) raise :class:`CorpusError` naming the file and what to do. Reading
is bounded: at most :data:`MAX_TEXT_BYTES` of text (after decompression: a gzip bomb inflates a
thousandfold) and lines of at most :data:`MAX_LINE_BYTES`, each ceiling stated when it is hit. Text that is
not UTF-8 is decoded as Windows-1252 (a superset of Latin-1 that covers most legacy English text)
and the fallback is reported, not hidden.
"""
from __future__ import annotations

import gzip
import itertools
import re
import zlib
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from models.core.events import Progress, Rate, drain
from models.core.heap import collector_paused
from models.core.reading import open_regular, size_text
from models.errors import CorpusError

TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
MAX_SENTENCE = 1000  # longer lines are split, as word2vec.c does, so windows stay local
_SNIFF = 64 * 1024
# Ceilings well above any corpus a desktop trains on (the bundled one is 31 MB of text) and well
# below what would exhaust memory: the text, its decoded string and its tokens are all held at once.
MAX_TEXT_BYTES = 1 << 30
MAX_LINE_BYTES = 16 << 20       # a document a line; a "line" past this is not text
_CHUNK = 1 << 22
_HINT = "Choose a .txt or .txt.gz file with one sentence per line."

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_CORPUS = ASSETS / "corpus" / "default.txt.gz"


def tokenize(line: str) -> list[str]:
    """Lower-cased word tokens; punctuation dropped, inner apostrophes kept (don't, o'clock)."""
    return TOKEN.findall(line.lower())


@dataclass(frozen=True)
class TokenIds:
    """Every token of a corpus as an integer: token i is ``types[ids[i]]``, and sentence s is
    ``ids[starts[s]:starts[s + 1]]``. Vocabularies are counted and corpora encoded from this in
    NumPy (see models.text.vocab): a Python Counter and list comprehension over the bundled
    corpus's 5 million tokens took 1.6 s and kept the GIL busy all along, and the window's thread
    waits for the GIL at every paint."""
    types: list[str]        # in order of first appearance
    ids: np.ndarray         # int32 (n_tokens,)
    starts: np.ndarray      # int64 (n_sentences + 1,)

    @classmethod
    def from_sentences(cls, sentences) -> "TokenIds":
        index = defaultdict(itertools.count().__next__)     # an unseen word gets the next id
        get = index.__getitem__
        ids, lengths = array("i"), array("q")
        for s in sentences:             # one short C call per sentence: the GIL changes hands between them
            ids.extend(map(get, s))
            lengths.append(len(s))
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=starts[1:])
        return cls(list(index), np.frombuffer(ids, dtype=np.intc).astype(np.int32, copy=False), starts)


@dataclass
class Corpus:
    path: Path
    sentences: list[list[str]]
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
    # Vocabularies and encodings made for training, by (min count, max size): a model trained again
    # on the same corpus starts at once (see models.text.vocab.prepare_steps). Trainers only read them.
    prepared: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    @cached_property
    def token_ids(self) -> TokenIds:
        """The sentences as integers, made once (the reader makes them, in its worker thread)."""
        return TokenIds.from_sentences(self.sentences)


def _read_text_bytes(path: Path) -> bytes:
    """The file's bytes (decompressed for .gz), refused past :data:`MAX_TEXT_BYTES` or a line past
    :data:`MAX_LINE_BYTES`, before either is held whole."""
    if not path.exists() and not path.is_symlink():
        raise CorpusError(f"Corpus file not found: {path}.", "Check the path, or use the bundled corpus.")
    packed = path.suffix == ".gz"
    chunks, total, line, run = [], 0, 1, 0      # run: bytes since the last line break
    with open_regular(path, "a text file", CorpusError, _HINT) as f:
        stream = gzip.GzipFile(fileobj=f) if packed else f
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > MAX_TEXT_BYTES:
                raise CorpusError(f"{path} holds more than the {size_text(MAX_TEXT_BYTES)} of text a corpus may "
                                  f"hold here{' once decompressed' if packed else ''}.",
                                  "Train on a part of it (split the file), or check it is not a damaged archive.")
            first = chunk.find(b"\n")
            run += len(chunk) if first < 0 else first
            if run > MAX_LINE_BYTES:
                raise CorpusError(f"{path}, line {line:,}: a line longer than {size_text(MAX_LINE_BYTES)}.",
                                  "Put one sentence or document per line; this may not be a text file.")
            if first >= 0:
                line += chunk.count(b"\n")
                run = len(chunk) - chunk.rfind(b"\n") - 1
            chunks.append(chunk)
    if total == 0:
        raise CorpusError(f"{path} is empty.", "Choose a text file with at least a few thousand words.")
    return b"".join(chunks)


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return raw.decode("cp1252", errors="replace"), f"cp1252 (not UTF-8 from line {line})"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return len(head) > 0 and control / len(head) > 0.05


def read_corpus_steps(path: str | Path, max_tokens: int | None = None):
    """Read and tokenise a corpus file, yielding progress; returns the :class:`Corpus`.

    Raises CorpusError for anything unfit to train on.
    """
    path = Path(path)
    try:
        raw = _read_text_bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise CorpusError(f"Could not read {path}: {e}.",
                          "If it is compressed, check the .gz file is complete.") from e
    # Control characters are judged on the first 64 KB; a NUL byte anywhere means binary (or UTF-16),
    # not text with a stray character, and is cheap to look for in the whole file.
    nul = raw.find(b"\x00")
    if nul >= 0 or _looks_binary(raw[:_SNIFF]):
        where = f" (a NUL byte at byte {nul:,} of its text)" if nul >= 0 else ""
        raise CorpusError(f"{path} looks like a binary file, not text{where}.",
                          "Choose a plain-text file (.txt or .txt.gz), one sentence per line, saved as UTF-8.")
    text, encoding = _decode(path, raw)
    del raw
    # Millions of new lists and strings, none in a cycle: see models.core.heap.
    with collector_paused():
        lines = text.splitlines()
        rate = Rate(len(lines))
        sentences: list[list[str]] = []
        total = 0
        for n, line in enumerate(lines):
            words = tokenize(line)
            for i in range(0, len(words), MAX_SENTENCE):
                sentences.append(words[i:i + MAX_SENTENCE])
            total += len(words)
            if max_tokens and total >= max_tokens:
                break
            if n % 20000 == 0:
                speed, eta = rate.update(n)
                yield Progress(n, len(lines), items_per_second=speed, eta_seconds=eta, unit="lines",
                               message=f"Reading {path.name}")
        if total == 0:
            raise CorpusError(f"{path} contains no words.", "Choose a text file with running text.")
        corpus = Corpus(path, sentences, encoding)
        yield Progress(len(lines), len(lines), unit="lines", message=f"Indexing the words of {path.name}")
        corpus.token_ids                  # noqa: B018 - made here, off the window's thread, once
    if encoding != "utf-8":
        corpus.notes.append(f"{path.name} is not valid UTF-8; read as {encoding}.")
    return corpus


def read_corpus(path: str | Path, max_tokens: int | None = None) -> Corpus:
    return drain(read_corpus_steps(path, max_tokens))
