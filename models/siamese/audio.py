"""Log-mel features for matching, and reading any WAV as mono audio at the matcher's rate."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from models.audio.features import STFTConfig, as_tensor, stft
from models.audio.wav import Recording, read_mono
from models.siamese.music import SAMPLE_RATE

STFT = STFTConfig(n_fft=1024, hop=256)   # 128 ms windows resolve low notes; 32 ms frames
N_MELS = 64
FMIN, FMAX = 50.0, 3800.0
FLOOR = 1e-6                              # power floor: silence stays finite after the log
FRAMES_PER_SECOND = SAMPLE_RATE / STFT.hop


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


@lru_cache(maxsize=4)
def mel_filters(n_mels: int = N_MELS, n_fft: int = STFT.n_fft, sr: int = SAMPLE_RATE) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) triangular filters, equal height, spaced evenly on the mel scale."""
    freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None] - lo) / (mid - lo)
    down = (hi - freqs[None]) / (hi - mid)
    return torch.from_numpy(np.maximum(0.0, np.minimum(up, down)).astype(np.float32))


def mel_power(wave) -> torch.Tensor:
    """(..., samples) -> (..., n_mels, frames) mel-band power."""
    spec = stft(as_tensor(wave), STFT)
    return torch.matmul(mel_filters(), spec.abs() ** 2)


def log_mel(wave) -> torch.Tensor:
    return torch.log(mel_power(wave) + FLOOR)


def standardise(x: torch.Tensor) -> torch.Tensor:
    """Each excerpt less its mean, over its std: a gain change leaves the input unchanged."""
    mean = x.mean(dim=(-2, -1), keepdim=True)
    std = x.std(dim=(-2, -1), keepdim=True)
    return (x - mean) / (std + 1e-5)


def windows(features: torch.Tensor, length: int, hop: int) -> tuple[torch.Tensor, np.ndarray]:
    """(n_mels, frames) -> (n, n_mels, length) excerpts every ``hop`` frames, and their starts.

    A recording shorter than one window is padded with its quietest value.
    """
    n_frames = features.shape[-1]
    if n_frames < length:
        pad = features.new_full((features.shape[0], length - n_frames), float(features.min()))
        features = torch.cat([features, pad], dim=-1)
        n_frames = length
    starts = np.arange(0, n_frames - length + 1, hop)
    if starts[-1] != n_frames - length:
        starts = np.append(starts, n_frames - length)
    return features.unfold(-1, length, 1)[:, starts].permute(1, 0, 2).contiguous(), starts


def load_wav(path: str | Path, target: int = SAMPLE_RATE) -> Recording:
    """Any file soundfile reads (WAV, FLAC, OGG), as mono float32 at ``target`` Hz, checked and
    clipped as :func:`models.audio.wav.read_mono` does (``.samples``; ``.note`` says what was clipped)."""
    return read_mono(path, target)
