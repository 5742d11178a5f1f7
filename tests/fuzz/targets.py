"""One damaged file read through the app's own entry points (in a child process), and judged.

Each format is read the ways the app reads it: the window's loader and the command line's (with
its ``--from`` format), the separation view's and the matcher's WAV readers. A read ends one of
four ways:

- ``refused``: a :class:`~models.errors.UserError` whose message names the file, fits on one
  line, is printable, and says what to do;
- ``valid``: loaded, and everything the file itself says holds (rows and dimensions as the header
  or the lines count them, finite values, no empty or repeated word; audio finite, within [-1, 1],
  as long as the file is, every clipped sample counted);
- ``silent``: loaded, but one of those checks failed: a broken file accepted silently;
- ``bad-error``: any other exception, a message that breaks the rules above, or a read that ran out
  of memory on a small file (a size taken from a header and not checked against the file).
"""
from __future__ import annotations

import gzip
import resource
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.core.events import drain
from tests.fuzz.mutators import riff_chunk

MEMORY_MARGIN = 2 << 30     # a child may grow this far past its imports; no damaged seed needs more
MAX_MESSAGE = 600           # characters: a dialog line, not a dump
_BOM = b"\xef\xbb\xbf"
_APP_FORMAT = {"vec": "fasttext"}      # the fuzzer's format names where the app's differ


@dataclass(frozen=True)
class Outcome:
    kind: str           # refused | valid | silent | bad-error
    detail: str         # the message, or what was wrong
    seconds: float      # the slowest of the entry points


def prepare() -> None:
    """Pool initializer: import what the readers import, then cap memory so that an allocation
    sized by a lying header fails fast instead of swapping out the machine."""
    import soundfile  # noqa: F401
    import torch

    import explorer.vector_files  # noqa: F401
    import models.audio.explore  # noqa: F401
    import models.siamese.audio  # noqa: F401
    import models.text.corpus  # noqa: F401

    torch.set_num_threads(1)
    with open("/proc/self/status") as f:
        size_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = size_kb * 1024 + MEMORY_MARGIN
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def check(fmt: str, folder: str, main: str) -> Outcome:
    """Read ``folder/main`` every way the app reads ``fmt`` and return the worst outcome."""
    path = Path(folder) / main
    names = [p.name for p in Path(folder).iterdir()]
    results = []
    for label, read, verify in ENTRY_POINTS[fmt]:
        t0 = time.perf_counter()
        try:
            loaded = read(path, fmt)
        except Exception as e:  # noqa: BLE001 - what is not the app's own error is the finding
            kind, detail = _judge_error(e, names)
        else:
            problems = verify(loaded, path, fmt)
            kind, detail = ("silent", "; ".join(problems)) if problems else ("valid", "")
        results.append((kind, f"{label}: {detail}" if detail else label, time.perf_counter() - t0))
    rank = {"bad-error": 0, "silent": 1}
    kind, detail, _ = min(results, key=lambda r: rank.get(r[0], 2))    # the window's read decides the rest
    return Outcome(kind, detail, max(r[2] for r in results))


def _judge_error(e: Exception, names: list[str]) -> tuple[str, str]:
    from models.errors import UserError

    if not isinstance(e, UserError):
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return "bad-error", f"{type(e).__name__}: {e} ({Path(frame.filename).name}:{frame.lineno})"[:MAX_MESSAGE]
    message = str(e)
    problems = []
    if not any(n in message for n in names):
        problems.append("the message names no file")
    if "\n" in message or not message.isprintable():
        problems.append("the message is not one printable line")
    if len(message) > MAX_MESSAGE:
        problems.append(f"the message is {len(message)} characters long")
    if not e.hint:
        problems.append("the message does not say what to do")
    cause = e
    while cause is not None:
        if isinstance(cause, MemoryError):
            problems.append("ran out of memory on a small file")
        cause = cause.__cause__ or cause.__context__
    if problems:
        return "bad-error", f"{', '.join(problems)}: {type(e).__name__}: {message[:200]}"
    return "refused", f"{type(e).__name__}: {message}"


# --- text corpus ----------------------------------------------------------------------------
def _read_corpus(path: Path, fmt: str):
    from models.text.corpus import read_corpus_steps

    return drain(read_corpus_steps(path))


def _verify_corpus(corpus, path: Path, fmt: str) -> list[str]:
    raw = path.read_bytes()
    problems = []
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, ValueError) as e:
            return [f"a damaged gzip file was read ({e})"]
    if corpus.n_tokens == 0 or not all(corpus.sentences):
        problems.append("no words, or an empty sentence")
    if b"\x00" in raw:
        problems.append("a file holding NUL bytes (binary) was read as text")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        if corpus.encoding == "utf-8" or not corpus.notes:
            problems.append("text that is not UTF-8 was read without saying so")
    return problems


# --- word vectors ---------------------------------------------------------------------------
def _read_as_window(path: Path, fmt: str):
    from explorer.vector_files import open_steps

    opened = drain(open_steps(path))
    return opened.vectors, opened.format


def _read_as_cli(path: Path, fmt: str):
    from models.vector_formats import open_vectors_steps

    app_fmt = _APP_FORMAT.get(fmt, fmt)
    return drain(open_vectors_steps(path, app_fmt)), app_fmt


def _verify_vectors(loaded, path: Path, fmt: str) -> list[str]:
    vectors, read_as = loaded
    m, words = vectors.matrix, vectors.words
    if m.ndim != 2 or m.shape[0] != len(words) or m.size == 0:
        return [f"a matrix of shape {m.shape} for {len(words)} words"]
    problems = []
    if m.dtype != np.float32:
        problems.append(f"{m.dtype} values")
    if not np.isfinite(m).all():
        problems.append("NaN or infinite values")
    if not all(words):
        problems.append("an empty word")
    if len(set(words)) != len(words):
        problems.append("a repeated word")
    expected = _shape_in_file(path, read_as)
    if expected != m.shape:
        problems.append(f"{m.shape[0]} x {m.shape[1]} loaded, but the file holds {expected[0]} x {expected[1]}")
    source = _word_source(path, read_as)
    missing = [w for w in words[:200] if w.encode() not in source]
    if missing:
        problems.append(f"words that are not in the file: {missing[:3]!r}")
    return problems


def _shape_in_file(path: Path, read_as: str) -> tuple[int, int]:
    """(rows, dimensions) as the file states or counts them, worked out apart from the reader."""
    from models.vector_formats import tsv_paths

    if read_as == "npy":
        return np.load(path, mmap_mode="r", allow_pickle=False).shape
    if read_as == "tsv":
        lines = [line for line in tsv_paths(path)[0].read_bytes().removeprefix(_BOM).split(b"\n") if line.strip()]
        return len(lines), len(lines[0].rstrip(b"\r").split(b"\t"))
    data = path.read_bytes().removeprefix(_BOM)
    first, _, rest = data.partition(b"\n")
    if read_as in ("word2vec", "fasttext", "word2vec-binary"):
        rows, dim = first.split()
        return int(rows), int(dim)
    lines = [line for line in data.split(b"\n") if line.rstrip(b" \t\r")]      # GloVe: a row per line
    return len(lines), len(lines[0].rstrip(b" \t\r").partition(b" ")[2].split())


def _word_source(path: Path, read_as: str) -> bytes:
    from models.vector_formats import npy_vocab_path, tsv_paths

    if read_as == "npy":
        return npy_vocab_path(path).read_bytes()
    if read_as == "tsv":
        return tsv_paths(path)[1].read_bytes()
    return path.read_bytes()


# --- audio ------------------------------------------------------------------------------------
MODEL_RATE = 8000       # deep clustering's and the matcher's default rate
OTHER_RATE = 16000      # a model trained at another rate: the resampler goes up as well as down


def _read_for_separation(path: Path, fmt: str):
    from models.audio.explore import load_mixture_steps

    item = drain(load_mixture_steps(path, MODEL_RATE))
    return item.mixture, MODEL_RATE, item.clipped, item.note


def _read_for_matching(path: Path, fmt: str):
    from models.siamese.audio import load_wav

    rec = load_wav(path)
    return rec.samples, rec.rate, rec.clipped, rec.note


def _read_for_cli(path: Path, fmt: str):
    from models.audio.wav import read_mono

    rec = read_mono(path, OTHER_RATE)
    return rec.samples, rec.rate, rec.clipped, rec.note


def _verify_audio(loaded, path: Path, fmt: str) -> list[str]:
    import soundfile

    samples, rate, clipped, note = loaded
    if not isinstance(samples, np.ndarray) or samples.ndim != 1 or samples.size == 0:
        return [f"samples of shape {getattr(samples, 'shape', None)}"]
    problems = []
    if samples.dtype != np.float32:
        problems.append(f"{samples.dtype} samples")
    if not np.isfinite(samples).all():
        problems.append("NaN or infinite samples")
    elif np.abs(samples).max() > 1.0:
        problems.append(f"samples up to {np.abs(samples).max():.3g}, beyond [-1, 1]")
    # What the file holds, read plainly: how long it is and how many samples lie beyond full scale.
    raw, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    if not np.isfinite(raw).all():
        problems.append("a file holding NaN or infinite samples was read")
    expected = len(raw) * rate / file_rate
    if abs(len(samples) - expected) > 2:
        problems.append(f"{len(samples)} samples at {rate} Hz from {len(raw)} frames at {file_rate} Hz")
    over = int(np.count_nonzero(np.abs(raw) > 1.0))
    data = path.read_bytes()
    chunk = riff_chunk(data, b"data") if data[:4] == b"RIFF" and data[8:12] == b"WAVE" else None
    if chunk is not None and chunk + 8 + int.from_bytes(data[chunk + 4:chunk + 8], "little") > len(data) \
            and "truncated" not in note:
        problems.append("a data chunk that runs past the end of the file, not reported")
    if clipped != over:
        problems.append(f"{over} samples beyond full scale in the file, {clipped} reported clipped")
    elif over and "clipped" not in note:
        problems.append("clipping not reported in the note")
    return problems


ENTRY_POINTS = {
    "corpus": [("corpus reader", _read_corpus, _verify_corpus)],
    "wav": [("separation view", _read_for_separation, _verify_audio),
            ("matching", _read_for_matching, _verify_audio),
            ("separate at 16 kHz", _read_for_cli, _verify_audio)],
    **{fmt: [("window", _read_as_window, _verify_vectors), ("--from", _read_as_cli, _verify_vectors)]
       for fmt in ("word2vec", "word2vec-binary", "glove", "vec", "tsv", "npy")},
}
