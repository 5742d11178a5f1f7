"""One damaged file read through the app's own entry points (in a child process), and judged.

Each format is read the ways the app reads it: the window's loader and the command line's (with
its ``--from`` format), the separation view's and the matcher's audio readers (WAV, FLAC, Ogg),
every view that opens a model folder, and a session file both as the core reads it and as the
window rebuilds it. A read ends one of four ways:

- ``refused``: a :class:`~models.errors.UserError` whose message names the file (or the model
  folder), fits on one line, is printable, and says what to do;
- ``valid``: loaded, and everything the file itself says holds (rows and dimensions as the header
  or the lines count them, finite values, no empty or repeated word; audio finite, within [-1, 1],
  as long as the file is, every clipped sample counted; a model whose weights are finite, whose
  vocabulary is the header's and fits its matrices, whose config is in range, and which works
  when a view uses it: vectors for an unseen word, contextual vectors, a separation, a match);
- ``silent``: loaded, but one of those checks failed, or using what was loaded failed: a broken
  file accepted silently;
- ``bad-error``: any other exception, a message that breaks the rules above, or a read that ran out
  of memory on a small file (a size taken from a header and not checked against the file).
"""
from __future__ import annotations

import gzip
import json
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

    import explorer.window.vector_files  # noqa: F401
    import explorer.window.session  # noqa: F401
    from explorer.tuning import tune_window
    import models.audio.explore  # noqa: F401
    import models.core.session  # noqa: F401
    import models.registry
    import models.siamese.audio  # noqa: F401
    import models.text.corpus  # noqa: F401

    for spec in models.registry.all_models():     # every trainer module, as a model folder may name any of them
        spec.imported()

    tune_window()                       # the readers run as they do in the app
    torch.set_num_threads(1)
    with open("/proc/self/status") as f:
        size_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = size_kb * 1024 + MEMORY_MARGIN
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def check(fmt: str, folder: str, main: str) -> Outcome:
    """Read ``folder/main`` every way the app reads ``fmt`` and return the worst outcome."""
    path = Path(folder) / main
    names = [p.name for p in Path(folder).iterdir()]
    if fmt in FOLDER_FORMATS:       # the app is pointed at the folder: a message may name just that
        names.append(Path(folder).name)
    results = []
    for label, read, verify in ENTRY_POINTS[fmt]:
        t0 = time.perf_counter()
        try:
            loaded = read(path, fmt)
        except Exception as e:  # noqa: BLE001 - what is not the app's own error is the finding
            kind, detail = _judge_error(e, names)
        else:
            try:
                problems = verify(loaded, path, fmt)
            except Exception as e:  # noqa: BLE001 - what loaded must also work when the app uses it
                frame = traceback.extract_tb(e.__traceback__)[-1]
                problems = [f"loaded, but using it failed: {type(e).__name__}: {str(e)[:200]} "
                            f"({Path(frame.filename).name}:{frame.lineno})"]
            kind, detail = ("silent", "; ".join(problems)) if problems else ("valid", "")
        results.append((kind, f"{label}: {detail}" if detail else label, time.perf_counter() - t0))
    # The first entry point (the window's read) decides between refused and valid; a model folder
    # is refused by every view but the one for its kind, so there one that loads it decides.
    rank = {"bad-error": 0, "silent": 1, "valid": 2 if fmt in FOLDER_FORMATS else 3}
    kind, detail, _ = min(results, key=lambda r: rank.get(r[0], 3))
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
    from explorer.window.vector_files import open_steps

    opened = drain(open_steps(path))
    return opened.vectors, opened.format


def _read_as_cli(path: Path, fmt: str):
    from models.loading import open_vectors_steps

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
    from models.vectors.formats.tsv import tsv_paths

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
    from models.vectors.formats.npy import npy_vocab_path
    from models.vectors.formats.tsv import tsv_paths

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
    # Block by block, never seeking: a damaged Ogg or FLAC may decode to its end yet fail a seek.
    with soundfile.SoundFile(str(path)) as f:
        file_rate, blocks = f.samplerate, [np.zeros((0, f.channels), np.float32)]
        while len(block := f.read(1 << 16, dtype="float32", always_2d=True)):
            blocks.append(block)
    raw = np.concatenate(blocks)
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
    stated = _flac_total_samples(data)
    if stated and len(raw) < stated and "truncated" not in note:
        problems.append(f"{len(raw)} frames read of the {stated} the FLAC header states, not reported")
    if clipped != over:
        problems.append(f"{over} samples beyond full scale in the file, {clipped} reported clipped")
    elif over and "clipped" not in note:
        problems.append("clipping not reported in the note")
    return problems


def _flac_total_samples(data: bytes) -> int:
    """STREAMINFO's total samples per channel (0: not FLAC, or not stated)."""
    if data[:4] != b"fLaC" or len(data) < 26 or data[4] & 0x7F != 0:
        return 0
    return int.from_bytes(data[21:26], "big") & ((1 << 36) - 1)


# --- model folders ----------------------------------------------------------------------------
def _header(path: Path) -> dict:
    """The checkpoint's model name, config and extra, read from its header apart from the app."""
    data = path.read_bytes()
    meta = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    return {"model": meta["model"], "config": json.loads(meta["config"]), "extra": json.loads(meta.get("extra", "{}"))}


def _open_model(path: Path, fmt: str):
    from models.loading import load_embedding

    return load_embedding(path.parent)


def _open_folder_as_vectors(path: Path, fmt: str):
    from explorer.window.vector_files import open_steps

    return drain(open_steps(path.parent))


def _open_for_separation(path: Path, fmt: str):
    from models.audio.deep_clustering import load_model

    return load_model(path.parent)


def _open_for_matching(path: Path, fmt: str):
    from models.siamese.model import load_matcher

    return load_matcher(path.parent)


def _open_for_contextual(path: Path, fmt: str):
    from models.text.mlm import load_mlm

    return load_mlm(path.parent)


def _check_words(words, what: str) -> list[str]:
    if not all(isinstance(w, str) for w in words):
        return [f"{what}: a word that is not text"]
    problems = []
    if not all(words):
        problems.append(f"{what}: an empty word")
    if len(set(words)) != len(words):
        problems.append(f"{what}: a repeated word")
    return problems


def _check_vectors(vectors, stated_words=None) -> list[str]:
    m, words = vectors.matrix, vectors.words
    if not isinstance(m, np.ndarray) or m.ndim != 2 or m.shape[0] != len(words) or m.size == 0:
        return [f"a matrix of shape {getattr(m, 'shape', None)} for {len(words)} words"]
    problems = _check_words(words, "vectors")
    if m.dtype != np.float32:
        problems.append(f"{m.dtype} vectors")
    if not np.isfinite(m).all():
        problems.append("NaN or infinite vectors")
    if stated_words is not None and list(words) != list(stated_words):
        problems.append(f"{len(words)} words loaded, not the {len(stated_words)} of the header's vocabulary")
    return problems


def _check_finite_tensors(tensors: dict, what: str) -> list[str]:
    bad = [k for k, t in tensors.items() if np.asarray(t).dtype.kind == "f" and not np.isfinite(t).all()]
    return [f"{what}: NaN or infinite values in {bad[:3]}"] if bad else []


def _check_config(config) -> list[str]:
    from models.core.params import validate
    from models.errors import UserError

    try:
        validate(config)
    except UserError as e:
        return [f"a config out of range: {e.problem}"]
    return []


def _check_model(model, stated: dict | None) -> list[str]:
    """Everything a view relies on in a loaded model, by kind; ``stated``: the header's JSON."""
    from models.audio.deep_clustering import DeepClusteringModel
    from models.siamese.model import SiameseMatcher
    from models.text.embedding import TrainedEmbedding
    from models.text.mlm import TrainedMLM

    if isinstance(model, DeepClusteringModel):
        return _check_dc(model)
    if isinstance(model, SiameseMatcher):
        return _check_matcher(model)
    if not isinstance(model, (TrainedEmbedding, TrainedMLM)):
        if stated is None:          # an OpenedVectors: from a vector file, or a model folder's
            return _check_vectors(model.vectors)
        extra = stated["extra"]
        return _check_vectors(model.vectors, extra["words"] if "words" in extra else extra["vocab"]["words"])
    vocab = model.vocab
    problems = _check_config(model.config) + _check_finite_tensors(model.checkpoint().tensors, "weights")
    problems += _check_vectors(model.vectors, stated and stated["extra"]["vocab"]["words"])
    if len(vocab.counts) != len(vocab.words) or (np.asarray(vocab.counts) < 0).any():
        problems.append(f"{len(vocab.counts)} counts for {len(vocab.words)} words, or a negative count")
    if isinstance(model, TrainedMLM):
        from models.text.mlm import contextual_vectors

        v = contextual_vectors(model, ["the", "zqxjv", vocab.words[0]])
        if v.shape != (3, model.config.dim) or not np.isfinite(v).all():
            problems.append(f"contextual vectors of shape {v.shape}, or not finite")
    elif "ngrams" in model.tensors:
        ngrams = model.tensors["ngrams"]
        if ngrams.shape[0] != model.config.buckets:
            problems.append(f"{ngrams.shape[0]} n-gram rows for {model.config.buckets} buckets")
        v = model.vectors.vector("zqxjv")
        if v.shape != (model.vectors.dim,) or not np.isfinite(v).all():
            problems.append("an unseen word's vector is not finite or not of the model's dimensions")
    return problems


def _check_dc(model) -> list[str]:
    import torch

    from models.audio.wav import MAX_RATE, MIN_RATE

    problems = _check_config(model.config)
    problems += _check_finite_tensors({k: v.numpy() for k, v in model.net.state_dict().items()}, "weights")
    rate = model.sample_rate
    if not isinstance(rate, int) or not MIN_RATE <= rate <= MAX_RATE:
        return problems + [f"a sample rate of {rate!r}"]
    wave = np.random.default_rng(0).normal(0, 0.1, size=rate // 4).astype(np.float32)
    with torch.no_grad():
        sep = model.separate(wave)
    if sep.sources.shape != (2, len(wave)) or not np.isfinite(sep.sources).all():
        problems.append(f"separated sources of shape {sep.sources.shape}, or not finite")
    return problems


def _check_matcher(m) -> list[str]:
    from models.siamese.music import SAMPLE_RATE

    problems = _check_config(m.config)
    if not all(isinstance(n, str) for n in m.names):    # labels: a repeated or empty one breaks nothing
        problems.append("an item name that is not text")
    problems += _check_finite_tensors({**m.state, "gallery": m.gallery}, "weights")
    g, items = m.gallery, np.asarray(m.gallery_item)
    if g.ndim != 2 or g.shape[1] != m.config.dim or g.dtype != np.float32:
        return problems + [f"a gallery of shape {g.shape} and type {g.dtype} for {m.config.dim} dimensions"]
    if items.shape != (len(g),) or items.dtype.kind not in "iu" or not ((0 <= items) & (items < len(m.names))).all():
        return problems + [f"gallery items {items.shape} {items.dtype} that do not index {len(m.names)} names"]
    scores = m.scores(np.random.default_rng(0).normal(0, 0.1, size=SAMPLE_RATE).astype(np.float32))
    if scores.shape != (len(m.names),) or not np.isfinite(scores).all():
        problems.append(f"match scores of shape {scores.shape}, or not finite")
    return problems


def _verify_model(loaded, path: Path, fmt: str) -> list[str]:
    try:
        stated = _header(path)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        return [f"a checkpoint whose header does not parse was loaded ({type(e).__name__}: {e})"]
    return _check_model(loaded, stated)


# --- session files ----------------------------------------------------------------------------
def _read_session(path: Path, fmt: str):
    from models.core.session import read_session

    return read_session(path)


def _open_session_as_window(path: Path, fmt: str):
    from explorer.window.session import open_steps

    return drain(open_steps(path))


def _verify_session(session, path: Path, fmt: str) -> list[str]:
    """What the core promises: models whose checkpoints are whole, with finite weights, and finite arrays."""
    problems = []
    for i, saved in enumerate(session.models):
        c = saved.checkpoint
        if not (isinstance(c.model, str) and isinstance(c.config, dict) and isinstance(c.extra, dict)):
            problems.append(f"model {i}: a header that is not a model's")
        problems += _check_finite_tensors(c.tensors, f"model {i} ({c.model})")
        if not isinstance(saved.note, dict):
            problems.append(f"model {i}: a note that is not a record")
    for name, a in session.arrays.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            problems.append(f"NaN or infinite values in the array {name}")
    return problems


def _verify_snapshot(s, path: Path, fmt: str) -> list[str]:
    """What the window relies on: every model usable, layouts of the current model's words."""
    problems = []
    for i, entry in enumerate(s.models):
        problems += [f"model {i}: {p}" for p in _check_model(entry.model, None)]
    for title, model in s.results.items():
        problems += [f"{title}: {p}" for p in _check_model(model, None)]
    known = s.models[s.current].model.vectors.index if s.current is not None else {}
    for name, layout in s.layouts.items():
        c = layout.coords
        if c.shape != (len(layout.words), 2) or c.dtype != np.float32 or not np.isfinite(c).all():
            problems.append(f"the {name} layout: coordinates {c.shape} {c.dtype} for {len(layout.words)} words")
        if not all(w in known for w in layout.words):
            problems.append(f"the {name} layout: words the current model does not have")
    if s.current is not None and not 0 <= s.current < len(s.models):
        problems.append(f"current model {s.current} of {len(s.models)}")
    return problems


FOLDER_FORMATS = ("model",)

ENTRY_POINTS = {
    "corpus": [("corpus reader", _read_corpus, _verify_corpus)],
    **{fmt: [("separation view", _read_for_separation, _verify_audio),
             ("matching", _read_for_matching, _verify_audio),
             ("separate at 16 kHz", _read_for_cli, _verify_audio)] for fmt in ("wav", "flac", "ogg")},
    "model": [("open model", _open_model, _verify_model), ("open as vectors", _open_folder_as_vectors, _verify_model),
              ("separation view", _open_for_separation, _verify_model),
              ("matching view", _open_for_matching, _verify_model),
              ("contextual view", _open_for_contextual, _verify_model)],
    "session": [("window's open", _open_session_as_window, _verify_snapshot),
                ("session reader", _read_session, _verify_session)],
    **{fmt: [("window", _read_as_window, _verify_vectors), ("--from", _read_as_cli, _verify_vectors)]
       for fmt in ("word2vec", "word2vec-binary", "glove", "vec", "tsv", "npy")},
}
