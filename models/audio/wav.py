"""Reading and writing WAV files for separation: any rate and channel count in, mono at the
model's rate out. A file that cannot be read is a :class:`UserError` naming it."""
from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile

from models.errors import UserError


class AudioFileError(UserError):
    """An audio file that is missing, unreadable or empty."""


def read_mono(path: str | Path, sample_rate: int) -> np.ndarray:
    """The file's channels averaged to mono and resampled to ``sample_rate``: float32 (samples,)."""
    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"Audio file not found: {path}.", "Check the path.")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file.", "Choose a .wav file.")
    try:
        wave, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as e:
        raise AudioFileError(f"{path} is not a readable audio file ({e}).",
                             "Use a WAV (or FLAC/OGG) file.") from e
    if wave.shape[0] == 0:
        raise AudioFileError(f"{path} has no samples.", "Choose a recording with sound in it.")
    mono = wave.mean(axis=1)
    if rate != sample_rate:
        g = gcd(int(rate), int(sample_rate))
        mono = scipy.signal.resample_poly(mono, sample_rate // g, int(rate) // g).astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def write(path: str | Path, wave: np.ndarray, sample_rate: int) -> Path:
    """Write float32 WAV: no clipping and no rounding of what the separation produced."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), np.asarray(wave, np.float32), sample_rate, subtype="FLOAT")
    except (soundfile.LibsndfileError, RuntimeError, OSError) as e:
        raise AudioFileError(f"Could not write {path} ({e}).", "Choose another output folder.") from e
    return path
