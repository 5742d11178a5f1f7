"""Valid files per format, small but like real ones, made by the app's own writers where it has one.

A :class:`Seed` is a set of files (name -> bytes) and the one among them the app is pointed at
(a projector pair and a .npy matrix come with a second file). Everything is deterministic.
"""
from __future__ import annotations

import gzip
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from models.text.corpus import DEFAULT_CORPUS
from models.vector_formats import write_vectors
from models.vectors import WordVectors

FORMATS = ("corpus", "word2vec", "word2vec-binary", "glove", "vec", "tsv", "npy", "wav")

# A few dozen words as a trained vocabulary has them: frequent words first, a few non-ASCII ones.
WORDS = ("the of and to in a is that for it as was with be by on not he i this are or his from at which "
         "but have an they you were her she there one all we their can been has more if will would who "
         "so no king queen man woman paris france berlin germany monday tuesday naïve café 東京 can't "
         "o'clock x-ray").split()

# (vector-file format, words, dimensions, value scale): sizes and magnitudes seen in real files.
_VECTOR_SHAPES = ((60, 8, 0.3), (24, 25, 1.0), (40, 3, 50.0))
_VECTOR_NAMES = {"word2vec": "vectors.txt", "word2vec-binary": "vectors.bin", "glove": "vectors.txt",
                 "vec": "vectors.vec", "tsv": "vectors.tsv", "npy": "vectors.npy"}
_WRITER_FORMAT = {"vec": "fasttext"}

# (rate, seconds, channels, subtype): the rates a person brings, the subtypes soundfile writes.
WAV_SEEDS = ((8000, 0.4, 1, "PCM_16"), (16000, 0.3, 1, "FLOAT"), (22050, 0.25, 2, "PCM_16"),
             (44100, 0.2, 2, "FLOAT"), (48000, 0.2, 1, "PCM_24"), (11025, 0.3, 1, "PCM_U8"),
             (96000, 0.1, 2, "PCM_32"))


@dataclass(frozen=True)
class Seed:
    files: dict[str, bytes]
    main: str           # the file the app is asked to open
    label: str          # what this seed is, for reports


def seeds(fmt: str) -> list[Seed]:
    """The valid files damaged for ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "corpus":
        return _corpus_seeds()
    if fmt == "wav":
        return [_wav_seed(*spec) for spec in WAV_SEEDS]
    return [_vector_seed(fmt, *shape, seed=i) for i, shape in enumerate(_VECTOR_SHAPES)]


def _vector_seed(fmt: str, n: int, dim: int, scale: float, seed: int) -> Seed:
    rng = np.random.default_rng(seed)
    words = list(WORDS[:n])
    matrix = (rng.normal(size=(n, dim)) * scale).astype(np.float32)
    metadata = {"count": [str(1000 // (i + 1)) for i in range(n)]} if fmt == "tsv" and seed == 0 else None
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_vectors(WordVectors(words, matrix, metadata), Path(tmp) / _VECTOR_NAMES[fmt],
                              _WRITER_FORMAT.get(fmt, fmt))
        files = {p.name: p.read_bytes() for p in paths}
    return Seed(files, paths[0].name, f"{fmt} {n}x{dim}")


def _corpus_head(min_bytes: int) -> list[bytes]:
    """The bundled corpus's first lines, at least ``min_bytes`` of them (so the seeds follow that file)."""
    lines, size = [], 0
    with gzip.open(DEFAULT_CORPUS, "rb") as f:
        for line in f:
            lines.append(line)
            size += len(line)
            if size >= min_bytes:
                break
    return lines


def _corpus_seeds() -> list[Seed]:
    lines = _corpus_head(80_000)          # past the 64 KB in which the reader judges control characters
    short, long = b"".join(lines[:40]), b"".join(lines)
    legacy = short + "Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9s \u2013 \u20ac5.\n".encode("cp1252")
    return [Seed({"corpus.txt": short}, "corpus.txt", "plain text"),
            Seed({"corpus.txt": long}, "corpus.txt", f"plain text, {len(long) // 1024} KB"),
            Seed({"corpus.txt.gz": gzip.compress(short, mtime=0)}, "corpus.txt.gz", "gzip"),
            Seed({"corpus.txt": legacy}, "corpus.txt", "Windows-1252 text")]


def _wav_seed(rate: int, seconds: float, channels: int, subtype: str) -> Seed:
    """Two notes and a little noise, peaking at 0.9 of full scale."""
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(rate)
    voices = [np.sin(2 * np.pi * f * t) * np.exp(-3 * t) for f in (220.0, 330.0)[:channels]]
    wave = np.stack(voices, axis=1) + 0.02 * rng.normal(size=(len(t), channels))
    wave = 0.9 * wave / np.abs(wave).max()
    buf = io.BytesIO()
    soundfile.write(buf, wave.astype(np.float32), rate, subtype=subtype, format="WAV")
    return Seed({"audio.wav": buf.getvalue()}, "audio.wav", f"{rate} Hz {channels} ch {subtype}")
