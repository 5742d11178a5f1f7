"""The matching database (one recording per item) and the noisy queries made from it.

The database is built once per (source, size, length, seed) into a cache folder, with progress:
``items.json`` holds the scores and settings, ``audio.safetensors`` the recordings, and ``wav/``
the same recordings as WAV files to listen to or to use as queries. ``EMBEDDING_EXPLORER_CACHE``
moves the cache (tests point it at a temporary folder).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from safetensors import SafetensorError
from safetensors.numpy import load_file, save

from models.core.cache import cache_dir
from models.core.writing import atomic_write_bytes, atomic_write_text
from models.core.events import Progress, Rate, drain
from models.errors import UserError
from models.siamese.music import (SAMPLE_RATE, TIMBRES, Melody, Note, chorale_names, random_melody,
                                  read_chorale, render)

CACHE_VERSION = 1
DATABASE_BPM = 100.0
SOURCES = ("bach", "random")


def cache_root() -> Path:
    return cache_dir()


@dataclass
class Database:
    names: list[str]
    melodies: list[Melody]
    timbres: list[int]            # index into TIMBRES of each item's one recording
    waves: list[np.ndarray]       # float32 mono at SAMPLE_RATE
    folder: Path | None = None
    bpm: float = DATABASE_BPM
    sr: int = SAMPLE_RATE

    def __len__(self) -> int:
        return len(self.names)

    def duration(self, i: int) -> float:
        return len(self.waves[i]) / self.sr


def _signature(m: Melody) -> tuple:
    """Intervals of the first soprano notes: chorales that reuse a hymn tune share it."""
    top = [n.pitch for n in m.notes if n.velocity == 1.0][:10]
    return tuple(np.diff(top).round(2))


def _melodies_steps(source: str, n_items: int, beats: float, seed: int):
    if source == "random":
        return [random_melody(i, beats, seed) for i in range(n_items)]
    names = chorale_names()
    out, seen, rate = [], set(), Rate(len(names))
    for k, name in enumerate(names):
        m = read_chorale(name, beats)
        sig = _signature(m)
        if sig in seen or m.beats < beats * 0.75:
            continue
        seen.add(sig)
        out.append(m)
        if len(out) == n_items:
            break
        if k % 20 == 0:
            speed, eta = rate.update(k)
            yield Progress(k, len(names), items_per_second=speed, unit="scores",
                           message="Reading the Bach chorales")
    if len(out) < n_items:
        raise UserError(f"Only {len(out)} distinct chorales are available, not {n_items}.",
                        f"Use --items {len(out)} or fewer, or --source random.")
    return out


def _cache_folder(source: str, n_items: int, beats: float, seed: int) -> Path:
    return cache_root() / "siamese" / f"{source}-n{n_items}-b{beats:g}-s{seed}-v{CACHE_VERSION}"


def _notes_json(m: Melody) -> list:
    return [[n.pitch, n.start, n.length, n.velocity] for n in m.notes]


def _load_cached(folder: Path) -> Database | None:
    try:
        meta = json.loads((folder / "items.json").read_text())
        audio = load_file(str(folder / "audio.safetensors"))
        melodies = [Melody(name, tuple(Note(*map(float, n)) for n in notes))
                    for name, notes in zip(meta["names"], meta["notes"])]
        waves = [audio[f"{i:05d}"] for i in range(len(melodies))]
    except (OSError, ValueError, KeyError, SafetensorError):
        return None
    return Database(meta["names"], melodies, meta["timbres"], waves, folder, meta["bpm"], meta["sr"])


def build_database_steps(source: str = "bach", n_items: int = 250, beats: float = 16.0, seed: int = 0,
                         write_wavs: bool = True):
    """Render (or load from the cache) the database; a generator of Progress returning a Database."""
    if source not in SOURCES:
        raise UserError(f"Unknown melody source '{source}'.", f"Use one of {', '.join(SOURCES)}.")
    folder = _cache_folder(source, n_items, beats, seed)
    cached = _load_cached(folder)
    if cached is not None:
        return cached
    melodies = yield from _melodies_steps(source, n_items, beats, seed)
    rng = np.random.default_rng([seed, 7])
    timbres = [int(t) for t in rng.integers(0, len(TIMBRES), size=n_items)]
    waves, rate = [], Rate(n_items)
    for i, m in enumerate(melodies):
        waves.append(render(m, TIMBRES[timbres[i]], DATABASE_BPM))
        if i % 10 == 0:
            speed, eta = rate.update(i)
            yield Progress(i, n_items, items_per_second=speed, eta_seconds=eta, unit="items",
                           message="Rendering the database")
    db = Database([m.name for m in melodies], melodies, timbres, waves, folder)
    _write_cache(db, write_wavs)
    return db


def _write_cache(db: Database, write_wavs: bool) -> None:
    folder = db.folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if write_wavs:
            (folder / "wav").mkdir(exist_ok=True)
            for name, w in zip(db.names, db.waves):
                sf.write(str(folder / "wav" / f"{name}.wav"), w, db.sr, subtype="PCM_16")
        atomic_write_bytes(folder / "audio.safetensors",
                           save({f"{i:05d}": np.ascontiguousarray(w) for i, w in enumerate(db.waves)}))
        # written last: its presence marks a complete cache
        atomic_write_text(folder / "items.json", json.dumps(
            {"names": db.names, "timbres": db.timbres, "bpm": db.bpm, "sr": db.sr,
             "timbre_names": [t.name for t in TIMBRES], "notes": [_notes_json(m) for m in db.melodies]}))
    except OSError as e:
        # the database is usable from memory; only the next run loses the cache
        db.folder = None
        warnings.warn(f"Could not cache the matching database in {folder}: {e}", RuntimeWarning, stacklevel=2)


def build_database(source: str = "bach", n_items: int = 250, beats: float = 16.0, seed: int = 0) -> Database:
    return drain(build_database_steps(source, n_items, beats, seed))


# --- queries -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuerySettings:
    """How a query departs from the item's recording; each is drawn uniformly per query."""
    excerpt_s: float = 3.0
    snr_db: tuple[float, float] = (0.0, 20.0)
    gain_db: tuple[float, float] = (-12.0, 6.0)
    transpose: float = 0.5        # semitones, either way
    tempo: float = 0.08           # relative, either way


@dataclass(frozen=True)
class Variant:
    """A re-performance of an item: another timbre, tempo and pitch."""
    item: int
    timbre: int
    tempo: float      # multiplies the database tempo
    transpose: float  # semitones


def draw_variant(db: Database, item: int, rng: np.random.Generator, s: QuerySettings) -> Variant:
    others = [t for t in range(len(TIMBRES)) if t != db.timbres[item]]
    return Variant(item, int(rng.choice(others)), float(1 + rng.uniform(-s.tempo, s.tempo)),
                   float(rng.uniform(-s.transpose, s.transpose)))


def render_variant(db: Database, v: Variant, start_s: float = 0.0, duration_s: float | None = None) -> np.ndarray:
    return render(db.melodies[v.item], TIMBRES[v.timbre], db.bpm * v.tempo, v.transpose, db.sr,
                  start_s, duration_s)


def degrade(wave: np.ndarray, rng: np.random.Generator, s: QuerySettings) -> np.ndarray:
    """Gain change and white noise at a random signal-to-noise ratio."""
    power = float(np.mean(wave.astype(np.float64) ** 2)) or 1e-8
    snr = rng.uniform(*s.snr_db)
    noise = rng.standard_normal(len(wave)) * np.sqrt(power / 10 ** (snr / 10))
    gain = 10 ** (rng.uniform(*s.gain_db) / 20)
    return (gain * (wave + noise)).astype(np.float32)


def make_query(db: Database, item: int, rng: np.random.Generator, s: QuerySettings = QuerySettings()
               ) -> tuple[np.ndarray, Variant, float]:
    """A noisy excerpt of another performance of ``item``; returns it, the variant, and where it
    starts in the database recording (seconds)."""
    v = draw_variant(db, item, rng, s)
    length = db.duration(item) / v.tempo
    start = float(rng.uniform(0.0, max(0.0, length - s.excerpt_s)))
    wave = render_variant(db, v, start, s.excerpt_s)
    return degrade(wave, rng, s), v, start * v.tempo
