"""Melodies and a small additive synthesizer, so the matching database needs no download.

Two sources of melodies:

- ``bach``: the soprano and bass lines of 407 Bach chorales, bundled as
  ``assets/chorales/chorales.json.gz`` (about 100 KB, extracted once from the corpus in music21's
  wheel by ``assets/chorales/build_chorales.py``; SOURCE.md there names the source and licence);
- ``random``: deterministic random two-voice tunes on a scale, for tests.

A melody is a list of :class:`Note` in beats; :func:`render` turns it into a waveform with one of
a few timbres, a tempo and a pitch shift, which is how queries differ from database recordings.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.errors import UserError

SAMPLE_RATE = 8000


@dataclass(frozen=True)
class Note:
    pitch: float      # MIDI note number (60 = middle C); fractional after a pitch shift
    start: float      # beats
    length: float     # beats
    velocity: float = 1.0


@dataclass(frozen=True)
class Melody:
    name: str
    notes: tuple[Note, ...]

    @property
    def beats(self) -> float:
        return max((n.start + n.length for n in self.notes), default=0.0)


# --- timbres -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timbre:
    name: str
    harmonics: tuple[float, ...]  # amplitude of harmonic 1, 2, 3, ...
    attack: float                 # seconds
    decay: float                  # exponential decay time constant in seconds (0: sustained)
    release: float = 0.03
    vibrato: float = 0.0          # depth in semitones at 5.5 Hz


TIMBRES: tuple[Timbre, ...] = (
    Timbre("organ", (1.0, 0.5, 0.35, 0.25, 0.12, 0.1, 0.05), 0.01, 0.0),
    Timbre("clarinet", (1.0, 0.02, 0.6, 0.02, 0.35, 0.02, 0.2, 0.01, 0.1), 0.04, 0.0),
    Timbre("strings", tuple(1.0 / k for k in range(1, 13)), 0.08, 0.0, 0.08, vibrato=0.12),
    Timbre("piano", tuple(1.0 / k ** 1.5 for k in range(1, 10)), 0.005, 0.45),
    Timbre("flute", (1.0, 0.25, 0.08, 0.03), 0.05, 0.0, 0.05, vibrato=0.08),
    Timbre("marimba", (1.0, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.15), 0.003, 0.18),
)


def timbre(name_or_index) -> Timbre:
    if isinstance(name_or_index, (int, np.integer)):
        return TIMBRES[int(name_or_index) % len(TIMBRES)]
    for t in TIMBRES:
        if t.name == name_or_index:
            return t
    raise UserError(f"Unknown timbre '{name_or_index}'.", f"Known: {', '.join(t.name for t in TIMBRES)}.")


def _midi_to_hz(p):
    return 440.0 * 2.0 ** ((np.asarray(p, dtype=np.float64) - 69.0) / 12.0)


def render(melody: Melody, tim: Timbre, bpm: float = 100.0, transpose: float = 0.0,
           sr: int = SAMPLE_RATE, start_s: float = 0.0, duration_s: float | None = None) -> np.ndarray:
    """The melody as float32 audio peaking near 0.5, from ``start_s`` for ``duration_s`` seconds.

    Only notes that sound inside the span are synthesised, so excerpts of long melodies are cheap.
    """
    spb = 60.0 / bpm
    total_s = melody.beats * spb + tim.release
    if duration_s is None:
        duration_s = max(0.0, total_s - start_s)
    n_out = int(round(duration_s * sr))
    out = np.zeros(n_out, dtype=np.float64)
    h = np.arange(1, len(tim.harmonics) + 1, dtype=np.float64)
    amps = np.asarray(tim.harmonics, dtype=np.float64)
    for note in melody.notes:
        t0 = note.start * spb - start_s
        held = note.length * spb
        if t0 >= duration_s or t0 + held + tim.release <= 0:
            continue
        f0 = float(_midi_to_hz(note.pitch + transpose))
        a = max(0, int(np.floor(t0 * sr)))
        b = min(n_out, int(np.ceil((t0 + held + tim.release) * sr)))
        if b <= a:
            continue
        t = (np.arange(a, b) / sr) - t0           # time since the note's onset
        phase = 2 * np.pi * f0 * t
        if tim.vibrato:
            phase += 2 * np.pi * f0 * (2 ** (tim.vibrato / 12) - 1) / (2 * np.pi * 5.5) * np.sin(2 * np.pi * 5.5 * t)
        keep = (h * f0) < 0.45 * sr                # no aliasing above Nyquist
        tone = np.sin(np.outer(phase, h[keep])) @ amps[keep]
        env = np.clip(t / tim.attack, 0.0, 1.0)
        if tim.decay:
            env = env * np.exp(-t / tim.decay)
        env = env * np.clip((held + tim.release - t) / tim.release, 0.0, 1.0)
        out[a:b] += note.velocity * env * tone
    peak = np.abs(out).max() if n_out else 0.0
    if peak > 0:
        out *= 0.5 / peak
    return out.astype(np.float32)


# --- the Bach chorales, bundled --------------------------------------------------------------

CHORALES = Path(__file__).resolve().parents[2] / "assets" / "chorales" / "chorales.json.gz"


@lru_cache(maxsize=1)
def _chorales() -> dict[str, tuple[tuple, tuple]]:
    """name -> (soprano notes, bass notes) as read from the bundled file, in its order."""
    try:
        with gzip.open(CHORALES, "rt", encoding="utf-8") as f:
            doc = json.load(f)
        return {c["name"]: (tuple(tuple(map(float, n)) for n in c["soprano"]),
                            tuple(tuple(map(float, n)) for n in c["bass"])) for c in doc["chorales"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"The bundled Bach chorales could not be read from {CHORALES} ({e}).",
                        "Reinstall the program, or use --source random.") from e


def chorale_names() -> list[str]:
    """The bundled chorales by name (BWV number), in the order the database takes them."""
    return list(_chorales())


def read_chorale(name: str, max_beats: float) -> Melody:
    """Soprano and bass of a chorale (bass a little quieter), cut to the first ``max_beats``."""
    soprano, bass = _chorales()[name]
    notes = [Note(*n) for n in soprano] + [Note(*n, 0.6) for n in bass]
    if not notes:
        raise ValueError(f"{name} has no notes")
    first = min(n.start for n in notes)
    cut = [Note(n.pitch, n.start - first, min(n.length, max_beats - (n.start - first)), n.velocity)
           for n in notes if n.start - first < max_beats]
    return Melody(name, tuple(sorted(cut, key=lambda n: (n.start, n.pitch))))


# --- random tunes ------------------------------------------------------------------------------

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])


def random_melody(index: int, max_beats: float, seed: int = 0) -> Melody:
    """A two-voice tune on a major or minor scale; the same (index, seed) gives the same tune."""
    rng = np.random.default_rng([seed, index])
    scale = _MAJOR if rng.random() < 0.6 else _MINOR
    tonic = 55 + int(rng.integers(0, 12))
    degree = int(rng.integers(0, 7))
    notes, t = [], 0.0
    while t < max_beats:
        length = float(rng.choice([0.5, 1.0, 1.0, 1.0, 1.5, 2.0]))
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]), -3, 10))
        octave, step = divmod(degree, 7)
        notes.append(Note(float(tonic + 12 * octave + scale[step]), t, min(length, max_beats - t)))
        t += length
    bass_t = 0.0
    while bass_t < max_beats:
        root = int(rng.choice([0, 3, 4, 5]))
        notes.append(Note(float(tonic - 12 + scale[root]), bass_t, min(2.0, max_beats - bass_t), 0.6))
        bass_t += 2.0
    return Melody(f"tune{index:04d}", tuple(sorted(notes, key=lambda n: (n.start, n.pitch))))
