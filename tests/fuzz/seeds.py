"""Valid files per format, small but like real ones, made by the app's own writers where it has one.

A :class:`Seed` is a set of files (name -> bytes) and the one among them the app is pointed at
(a projector pair and a .npy matrix come with a second file; a model folder's main file is its
``model.safetensors``, though the app is pointed at the folder). Everything is deterministic.
Model folders and sessions hold tiny models: word models trained for real on a few corpus lines,
and audio models built with random weights (training them takes minutes), all saved by the app.
"""
from __future__ import annotations

import functools
import gzip
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from models.text.corpus import DEFAULT_CORPUS
from models.vectors.formats import write_vectors
from models.vectors.store import WordVectors

FORMATS = ("corpus", "word2vec", "word2vec-binary", "glove", "vec", "tsv", "npy", "wav", "flac", "ogg", "model",
           "session")

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
FLAC_SEEDS = ((8000, 0.4, 1, "PCM_16"), (22050, 0.25, 2, "PCM_16"), (44100, 0.2, 1, "PCM_24"),
              (16000, 0.3, 2, "PCM_S8"), (96000, 0.1, 1, "PCM_24"))
# Opus is decoded at 48 kHz whatever the rate it was made from, so its seeds are written at 48 kHz.
OGG_SEEDS = ((8000, 0.4, 1, "VORBIS"), (22050, 0.3, 2, "VORBIS"), (44100, 0.2, 1, "VORBIS"),
             (48000, 0.3, 1, "OPUS"), (48000, 0.2, 2, "OPUS"))


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
    if fmt == "flac":
        return [_wav_seed(*spec, container="FLAC") for spec in FLAC_SEEDS]
    if fmt == "ogg":
        return [_wav_seed(*spec, container="OGG") for spec in OGG_SEEDS]
    if fmt == "model":
        return _model_seeds()
    if fmt == "session":
        return _session_seeds()
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


def _wav_seed(rate: int, seconds: float, channels: int, subtype: str, container: str = "WAV") -> Seed:
    """Two notes and a little noise, peaking at 0.9 of full scale."""
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(rate)
    voices = [np.sin(2 * np.pi * f * t) * np.exp(-3 * t) for f in (220.0, 330.0)[:channels]]
    wave = np.stack(voices, axis=1) + 0.02 * rng.normal(size=(len(t), channels))
    wave = 0.9 * wave / np.abs(wave).max()
    buf = io.BytesIO()
    soundfile.write(buf, wave.astype(np.float32), rate, subtype=subtype, format=container)
    name = f"audio.{container.lower()}"
    return Seed({name: buf.getvalue()}, name, f"{container} {rate} Hz {channels} ch {subtype}")


# --- model folders and sessions ------------------------------------------------------------------
@functools.cache
def tiny_models() -> dict[str, object]:
    """One small trained result per kind of model a folder or a session holds, by registry name."""
    import torch

    from models.core.events import drain
    from models.registry import get
    from models.text.corpus import Corpus
    from models.text.mlm import SPECIALS, MLMConfig, MLMNet, TrainedMLM
    from models.text.vocab import Vocabulary

    corpus = Corpus(Path("corpus.txt"), [line.decode().split() for line in _corpus_head(20_000)])
    small = dict(dim=8, epochs=1, min_count=3, threads=1, seed=1)
    models = {"sgns": drain(get("sgns").train(get("sgns").config_cls(**small), corpus)),
              "fasttext": drain(get("fasttext").train(get("fasttext").config_cls(**small, buckets=300), corpus))}
    torch.manual_seed(0)
    words = models["sgns"].vocab.words[:40]
    mlm = MLMConfig(dim=8, layers=1, heads=2, ff=16, max_len=16, min_count=3)
    net = MLMNet(len(words) + len(SPECIALS), mlm)
    models["mlm"] = TrainedMLM(mlm, Vocabulary(words, np.arange(len(words), 0, -1, dtype=np.int64)),
                               {k: v.numpy().copy() for k, v in net.state_dict().items()}, {"masked_accuracy": 0.1})
    models["dc"] = tiny_dc()
    models["siamese"] = tiny_matcher(["a", "b", "c", "d"])
    return models


def tiny_dc():
    """A deep clustering model with random weights, at 8 kHz."""
    from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, _build_net

    dc = DeepClusteringConfig(hidden=4, layers=1, embedding_dim=3, n_fft=128, hop=64, kmeans_inits=1)
    return DeepClusteringModel(dc, _build_net(dc).eval(), 8000, {"steps": 3}, [(1, 0.5)])


def tiny_matcher(names: list[str]):
    """A Siamese matcher with random weights whose database holds ``names``, two windows each."""
    import torch

    from models.siamese.model import SiameseConfig, SiameseMatcher, TwinNet

    torch.manual_seed(0)
    sm = SiameseConfig(dim=4, channels=4, excerpt=0.5, items=len(names))
    gallery = np.random.default_rng(0).normal(size=(2 * len(names), sm.dim)).astype(np.float32)
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    state = {k: v.numpy().copy() for k, v in TwinNet(sm.dim, sm.channels).state_dict().items()}
    return SiameseMatcher(sm, state, gallery, np.arange(2 * len(names), dtype=np.int32) // 2, list(names),
                          {"top1": 0.5})


def _folder_files(model) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp))
        return {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())}


@functools.cache
def _model_seeds() -> list[Seed]:
    return [Seed(_folder_files(m), "model.safetensors", f"{name} model folder") for name, m in tiny_models().items()]


def _opened_vectors_checkpoint(n: int):
    """What a session keeps for vectors read from a file (explorer.vector_files.OpenedVectors)."""
    from models.core.checkpoint import Checkpoint

    matrix = np.random.default_rng(n).normal(size=(n, 5)).astype(np.float32)
    return Checkpoint("vectors", {}, {"matrix": matrix}, {"words": list(WORDS[:n]), "metadata": {},
                                                         "path": "/data/vectors.txt", "format": "word2vec",
                                                         "stats": {"seconds": 0.01}})


def _session_state(words: list[str], layouts: list[str]) -> dict:
    """The window's state as explorer.window_session writes it."""
    return {"current": 0, "shown": layouts[0] if layouts else "pca", "selected": words[1], "search": "",
            "count": 1000, "group": {"name": "first", "words": words[:3]}, "tab": "Map", "compare": [0, 0, None],
            "corpus": None, "layouts": {name: {"words": words, "caption": name.upper(), "axis_labels": [None, None]}
                                        for name in layouts}}


@functools.cache
def _session_seeds() -> list[Seed]:
    from models.core.session import SavedModel, Session, save_session

    m = tiny_models()
    words = m["sgns"].vocab.words
    rng = np.random.default_rng(3)
    coords = {f"layout.{k}": rng.normal(size=(len(words), 2)).astype(np.float32) for k in ("pca", "umap")}
    sgns = SavedModel(m["sgns"].checkpoint(), {"name": "1 · sgns", "added": "12:00", "scores": {"ws353": 0.5}})
    every = [sgns, SavedModel(m["fasttext"].checkpoint(), {"name": "2 · fasttext", "added": "12:01"}),
             SavedModel(_opened_vectors_checkpoint(12), {"name": "3 · vectors.txt", "added": "12:02"}),
             SavedModel(m["dc"].checkpoint(), {"view": "Separation"}),
             SavedModel(m["siamese"].checkpoint(), {"view": "Matching"}),
             SavedModel(m["mlm"].checkpoint(), {"view": "Contextual"})]
    sessions = {
        "one model and two layouts": Session([sgns], coords, _session_state(words, ["pca", "umap"])),
        "every kind": Session(every, {"layout.pca": coords["layout.pca"]}, _session_state(words, ["pca"])),
        "nothing trained yet": Session([], {}, {**_session_state(["a", "b"], []), "current": None, "selected": None,
                                                "group": None, "tab": "Train"}),
    }
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, session in sessions.items():
            path = save_session(Path(tmp) / "saved.eesession", session)
            out.append(Seed({path.name: path.read_bytes()}, path.name, f"session: {label}"))
    return out
