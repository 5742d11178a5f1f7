"""Demo data for deep clustering: two-voice mixtures spoken by eSpeak NG, made on first use.

Sentences come from the bundled corpus and voices from eSpeak's variants at different pitches
and rates, so nothing is downloaded. The split follows the deep clustering paper (Hershey et al.,
2016): training and validation share voices but not sentences; the test split has voices and
sentences the model never heard, so its figures measure separation of unseen speakers.

Training mixtures are drawn on the fly from the bank of training utterances (a new pair, level
and crop every time, seeded); validation and test mixtures are fixed recipes stored with the
audio. Everything is generated into the cache folder once, deterministically: the same
:class:`DemoSpec` gives the same bytes on every run.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from models.audio import speech
from models.core.cache import CACHE_ENV, cache_dir  # noqa: F401 - demo.CACHE_ENV is what callers name
from models.core.events import Progress, Rate
from models.errors import UserError
from models.text.corpus import DEFAULT_CORPUS

FORMAT = 1
LEVEL_RMS = 0.05          # every utterance is brought to this RMS before the relative level is set
PEAK = 0.9                # mixtures louder than this are scaled down, sources with them
EXAMPLES = 3              # test mixtures also written as WAV files, to try `explorer separate` on

# (variant, pitch 0-100, rate in words per minute): distinct timbres, pitches and tempi
TRAIN_VOICES = (("m1", 35, 160), ("m2", 55, 175), ("m3", 45, 150), ("m4", 30, 170), ("m6", 60, 165),
                ("m8", 40, 180), ("f1", 55, 160), ("f2", 70, 170), ("f3", 45, 175), ("f4", 65, 155),
                ("klatt3", 50, 165), ("klatt6", 75, 160))
TEST_VOICES = (("m7", 40, 165), ("f5", 60, 170), ("m5", 55, 155), ("klatt4", 70, 175))

_CLEAN = re.compile(r"^[A-Za-z][A-Za-z ,.;:'?!-]+$")



@dataclass(frozen=True)
class DemoSpec:
    sample_rate: int = 8000
    train_per_voice: int = 80      # training utterances per training voice, each a new sentence
    valid_mixtures: int = 40
    test_mixtures: int = 40
    min_words: int = 6
    max_words: int = 14
    seed: int = 0

    @property
    def key(self) -> str:
        blob = json.dumps({"format": FORMAT, "spec": asdict(self), "voices": [TRAIN_VOICES, TEST_VOICES]},
                          sort_keys=True)
        return f"dc-demo-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"

    def folder(self) -> Path:
        return cache_dir() / self.key


@dataclass
class Bank:
    """Utterances end to end: utterance i is ``audio[offsets[i]:offsets[i+1]]``, by ``speaker[i]``.

    ``audio`` stays 16-bit PCM as the banks are stored, and becomes float32 an utterance at a time:
    the broad data's 22 hours take 1.3 GB so, against 2.5 GB as float32."""

    audio: np.ndarray      # int16 PCM, or float32
    offsets: np.ndarray    # int64 (n + 1,)
    speaker: np.ndarray    # int64 (n,)

    def __len__(self) -> int:
        return len(self.speaker)

    def pcm(self, i: int) -> np.ndarray:
        """Utterance ``i`` as stored."""
        return self.audio[self.offsets[i]:self.offsets[i + 1]]

    def utterance(self, i: int) -> np.ndarray:
        return speech.as_float(self.pcm(i))

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def rms(self) -> np.ndarray:
        """Each whole utterance's RMS: levels are set on it, not on a crop that may be a pause.
        An utterance at a time: in float64 over the whole bank at once this took five times the
        bank's memory."""
        out = np.zeros(len(self))
        for i in range(len(self)):
            x = self.utterance(i).astype(np.float64)
            out[i] = np.sqrt(np.dot(x, x) / max(len(x), 1))
        return out


@dataclass
class Mixture:
    mixture: np.ndarray    # (samples,) float32
    sources: np.ndarray    # (2, samples) float32; they sum to the mixture
    gain_db: float         # level of the first source relative to the second


@dataclass
class DemoData:
    spec: DemoSpec
    folder: Path
    train: Bank
    valid: list[Mixture]
    test: list[Mixture]

    @property
    def sample_rate(self) -> int:
        return self.spec.sample_rate


# --- making it -------------------------------------------------------------------------------

def _sentences(n: int, spec: DemoSpec) -> list[str]:
    """The first ``n`` short, plain sentences of the bundled corpus (its lines are pre-shuffled)."""
    out, seen = [], set()
    with gzip.open(DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            words = line.split()
            if spec.min_words <= len(words) <= spec.max_words and _CLEAN.match(line) and line not in seen:
                seen.add(line)
                out.append(line)
                if len(out) == n:
                    return out
    raise UserError(f"The bundled corpus has only {len(out)} sentences fit to speak, {n} are needed.",
                    "Ask for fewer demo utterances.")


def _voice(v: tuple) -> dict:
    return {"variant": v[0], "pitch": v[1], "rate": v[2]}


def _plan(spec: DemoSpec) -> dict:
    """Which voice says which sentence in each split, and the valid/test mixture recipes."""
    rng = np.random.default_rng(spec.seed)
    n_train = spec.train_per_voice * len(TRAIN_VOICES)
    n_valid, n_test = 2 * spec.valid_mixtures, 2 * spec.test_mixtures
    sentences = _sentences(n_train + n_valid + n_test, spec)
    plan = {}
    start = 0
    for split, n, voices in (("train", n_train, TRAIN_VOICES), ("valid", n_valid, TRAIN_VOICES),
                             ("test", n_test, TEST_VOICES)):
        if split == "train":
            speakers = np.arange(n) % len(voices)
        else:                       # consecutive utterances are mixed: give each pair two voices
            first = rng.integers(len(voices), size=n // 2)
            second = (first + rng.integers(1, len(voices), size=n // 2)) % len(voices)
            speakers = np.stack([first, second], 1).reshape(-1)
        plan[split] = {"speaker": speakers.astype(np.int64),
                       "jobs": [{"text": sentences[start + i], "voice": _voice(voices[speakers[i]])}
                                for i in range(n)]}
        if split != "train":
            plan[split]["gain_db"] = rng.uniform(-5.0, 5.0, size=n // 2).astype(np.float32)
            plan[split]["shift"] = rng.random(n // 2).astype(np.float32)
        start += n
    return plan


def mix(a: np.ndarray, b: np.ndarray, gain_db: float, shift: float = 0.0) -> Mixture:
    """Mix two utterances with ``a`` ``gain_db`` louder than ``b`` (RMS), overlapping fully: the
    longer one is cropped to the shorter, from ``shift`` (0..1) of its spare length."""
    n = min(len(a), len(b))

    def crop(x):
        start = int(shift * (len(x) - n))
        return x[start:start + n].astype(np.float32)

    a, b = crop(a), crop(b)
    ga = LEVEL_RMS * 10 ** (gain_db / 40) / (np.sqrt(np.mean(a ** 2)) + 1e-8)
    gb = LEVEL_RMS * 10 ** (-gain_db / 40) / (np.sqrt(np.mean(b ** 2)) + 1e-8)
    sources = np.stack([a * ga, b * gb]).astype(np.float32)
    peak = np.abs(sources.sum(0)).max()
    if peak > PEAK:
        sources *= np.float32(PEAK / peak)
    return Mixture(sources.sum(0), sources, float(gain_db))


def generate_steps(spec: DemoSpec = DemoSpec(), workers: int = 0):
    """Make the demo data in its cache folder unless it is there; yields :class:`Progress`
    (unit "utterances") and returns the folder. A half-made folder never looks finished: the
    files are written under a temporary name that is renamed when complete."""
    folder = spec.folder()
    if (folder / "manifest.json").exists():
        return folder
    plan = _plan(spec)
    total = sum(len(p["jobs"]) for p in plan.values())
    rate = Rate(total)
    message = "Speaking the demo sentences (once; cached)"
    yield Progress(0, total, unit="utterances", message=message)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"Cannot create the cache folder {folder.parent}: {e.strerror or e}.",
                        f"Set {CACHE_ENV} to a writable folder.") from e
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        done = 0
        for split, p in plan.items():
            audio, offsets = yield from _speak(p["jobs"], spec, workers, done, total, rate, message)
            done += len(p["jobs"])
            tensors = {"audio": audio, "offsets": offsets, "speaker": p["speaker"]}
            if split != "train":
                tensors.update(gain_db=p["gain_db"], shift=p["shift"])
            save_file(tensors, str(tmp / f"{split}.safetensors"))
        _write_examples(tmp, spec)
        manifest = {"format": FORMAT, "spec": asdict(spec),
                    "voices": {"train": TRAIN_VOICES, "test": TEST_VOICES},
                    "sentences": {s: [j["text"] for j in p["jobs"]] for s, p in plan.items()}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "manifest.json").exists():   # not a twin process that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _speak(jobs, spec, workers, done, total, rate, message):
    gen = speech.synthesize_batches(jobs, spec.sample_rate, workers=workers)
    while True:
        try:
            n = next(gen)
        except StopIteration as stop:
            return stop.value
        speed, eta = rate.update(done + n)
        yield Progress(done + n, total, items_per_second=speed, eta_seconds=eta, unit="utterances",
                       message=message)


def _write_examples(folder: Path, spec: DemoSpec) -> None:
    test = _mixtures(load_file(str(folder / "test.safetensors")))
    out = folder / "examples"
    out.mkdir()
    # 16-bit: libsndfile stamps float WAVs with the time of writing, which would break determinism
    for i, m in enumerate(test[:EXAMPLES]):
        soundfile.write(out / f"mix{i}.wav", m.mixture, spec.sample_rate, subtype="PCM_16")
        for j, s in enumerate(m.sources):
            soundfile.write(out / f"mix{i}_source{j + 1}.wav", s, spec.sample_rate, subtype="PCM_16")


# --- reading it ------------------------------------------------------------------------------

def _bank(t: dict) -> Bank:
    """A bank as stored: 16-bit audio, int64 offsets from 0 to its end, never decreasing, and a
    speaker id for each utterance; ValueError naming what is wrong otherwise."""
    try:
        audio, offsets, speaker = t["audio"], t["offsets"], t["speaker"]
    except KeyError as e:
        raise ValueError(f"no {e.args[0]!r} in it") from None
    if audio.dtype != np.int16 or audio.ndim != 1:
        raise ValueError(f"its audio is {audio.dtype} of {audio.ndim} dimensions, not 16-bit samples")
    if (offsets.dtype != np.int64 or offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0
            or offsets[-1] != len(audio) or np.any(np.diff(offsets) < 0)):
        raise ValueError("its utterances' offsets do not run from the start of its audio to the end")
    if speaker.dtype != np.int64 or speaker.shape != (len(offsets) - 1,) or np.any(speaker < 0):
        raise ValueError("it does not name one speaker for each utterance")
    return Bank(audio, offsets, speaker)


def _mixtures(t: dict) -> list[Mixture]:
    bank = _bank(t)
    if len(bank) != 2 * len(t["gain_db"]) or len(t["shift"]) != len(t["gain_db"]):
        raise ValueError(f"{len(bank)} utterances for {len(t['gain_db'])} mixtures")
    return [mix(bank.utterance(2 * i), bank.utterance(2 * i + 1), float(g), float(s))
            for i, (g, s) in enumerate(zip(t["gain_db"], t["shift"]))]


def load(spec: DemoSpec = DemoSpec()) -> DemoData:
    folder = spec.folder()
    try:
        splits = {s: load_file(str(folder / f"{s}.safetensors")) for s in ("train", "valid", "test")}
        return DemoData(spec, folder, _bank(splits["train"]), _mixtures(splits["valid"]), _mixtures(splits["test"]))
    except (OSError, SafetensorError, ValueError, KeyError) as e:
        raise UserError(f"The demo data in {folder} cannot be read ({e}).",
                        "Delete that folder; it is made again on the next run.") from e


def load_steps(spec: DemoSpec = DemoSpec(), workers: int = 0):
    """Generate (first time only) and load; a generator of Progress returning :class:`DemoData`."""
    yield from generate_steps(spec, workers)
    return load(spec)


def sample_batch(bank: Bank, rng: np.random.Generator, batch: int, samples: int,
                 rms: np.ndarray | None = None, odds: np.ndarray | None = None) -> np.ndarray:
    """A fresh training batch: ``(batch, 2, samples)`` float32 sources of two different voices,
    each a random crop of ``samples`` (zero-padded when shorter), at a relative level drawn
    uniformly in -5..+5 dB. The mixture is their sum. ``rms`` is ``bank.rms()``, passed in so
    it is computed once; ``odds``, each utterance's chance of being drawn (summing to 1), else
    every utterance alike."""
    rms = bank.rms() if rms is None else rms
    out = np.zeros((batch, 2, samples), np.float32)
    n_speakers = int(bank.speaker.max()) + 1
    lengths = bank.lengths

    # what rng.choice(p=odds) does, its cumulative sum taken once a batch rather than once a draw
    cdf = None
    if odds is not None:
        cdf = np.cumsum(odds)
        cdf /= cdf[-1]

    def utterance() -> int:
        return int(rng.integers(len(bank))) if cdf is None else int(cdf.searchsorted(rng.random(), side="right"))

    for b in range(batch):
        first = utterance()
        while True:
            second = utterance()
            if bank.speaker[second] != bank.speaker[first] or n_speakers == 1:
                break
        gain = rng.uniform(-5.0, 5.0)
        for j, (u, g) in enumerate(((first, gain), (second, -gain))):
            start = int(rng.integers(max(1, lengths[u] - samples + 1)))
            x = speech.as_float(bank.pcm(u)[start:start + samples])
            out[b, j, :len(x)] = x * np.float32(LEVEL_RMS * 10 ** (g / 40) / (rms[u] + 1e-8))
    return out
