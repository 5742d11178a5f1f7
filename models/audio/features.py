"""Time-frequency features: STFT and its inverse, log-magnitude features, masks and silent bins.

Shapes follow ``torch.stft``: a waveform ``(..., samples)`` becomes a complex spectrogram
``(..., freqs, frames)`` with ``freqs = n_fft // 2 + 1``. Everything is float32 / complex64.
The Hann analysis window with a hop of at most half the window satisfies the overlap-add
condition, so :func:`istft` inverts :func:`stft` exactly (up to float rounding).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

EPS = 1e-8


@dataclass(frozen=True)
class STFTConfig:
    n_fft: int = 256      # window length in samples (32 ms at 8 kHz)
    hop: int = 64         # frame step in samples (8 ms at 8 kHz)

    @property
    def n_freqs(self) -> int:
        return self.n_fft // 2 + 1

    def window(self, device=None) -> torch.Tensor:
        return torch.hann_window(self.n_fft, periodic=True, dtype=torch.float32, device=device)

    def frames(self, samples: int) -> int:
        return samples // self.hop + 1


def as_tensor(x, device=None) -> torch.Tensor:
    """A float32 tensor from a NumPy array or tensor (no copy when already float32 on device)."""
    if isinstance(x, torch.Tensor):
        return x.to(device=device or x.device, dtype=torch.float32)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device or "cpu")


def stft(wave: torch.Tensor, cfg: STFTConfig) -> torch.Tensor:
    """(..., samples) float32 -> (..., freqs, frames) complex64."""
    shape = wave.shape
    flat = wave.reshape(-1, shape[-1])
    spec = torch.stft(flat, cfg.n_fft, cfg.hop, window=cfg.window(wave.device), center=True,
                      pad_mode="constant", return_complex=True)
    return spec.reshape(*shape[:-1], *spec.shape[-2:])


def istft(spec: torch.Tensor, cfg: STFTConfig, length: int) -> torch.Tensor:
    """(..., freqs, frames) complex -> (..., length) float32, the exact inverse of :func:`stft`."""
    shape = spec.shape
    flat = spec.reshape(-1, *shape[-2:])
    wave = torch.istft(flat, cfg.n_fft, cfg.hop, window=cfg.window(spec.device), center=True,
                       length=length)
    return wave.reshape(*shape[:-2], length)


def log_magnitude(spec: torch.Tensor) -> torch.Tensor:
    """Natural log of the magnitude, with an epsilon so silence stays finite."""
    return torch.log(spec.abs() + EPS)


def normalised_log_magnitude(spec: torch.Tensor, floor_db: float = 80.0) -> torch.Tensor:
    """Log magnitude floored ``floor_db`` below each mixture's loudest bin, less its mean over
    the mixture's bins: a gain change leaves it unchanged.

    The floor keeps digital silence (log of ~0) from dominating the statistics: without it a
    zero-padded or gated recording would sit tens of units below any speech.
    (..., freqs, frames) complex -> (..., freqs, frames) float32; a per-frequency
    standardisation estimated from the training data is applied inside the network.
    """
    logmag = log_magnitude(spec)
    peak = logmag.amax(dim=(-2, -1), keepdim=True)
    logmag = torch.maximum(logmag, peak - floor_db * math.log(10.0) / 20.0)
    return logmag - logmag.mean(dim=(-2, -1), keepdim=True)


def active_bins(mix_spec: torch.Tensor, threshold_db: float = 40.0) -> torch.Tensor:
    """Bins within ``threshold_db`` of the loudest bin of each mixture (bool, same shape).

    These are the bins deep clustering learns from and clusters; quieter bins carry too little
    energy to matter and their labels are noise.
    """
    db = 20.0 * torch.log10(mix_spec.abs() + EPS)
    peak = db.amax(dim=(-2, -1), keepdim=True)
    return db > peak - threshold_db


def ideal_binary_mask(source_specs: torch.Tensor) -> torch.Tensor:
    """(..., sources, freqs, frames) complex -> one-hot float32 masks of the dominant source.

    This is the W-disjoint orthogonality assumption: each bin belongs to the one source that is
    loudest in it.
    """
    mags = source_specs.abs()
    winner = mags.argmax(dim=-3, keepdim=True)
    return torch.zeros_like(mags).scatter_(-3, winner, 1.0)


def ideal_ratio_mask(source_specs: torch.Tensor) -> torch.Tensor:
    """(..., sources, freqs, frames) complex -> sqrt(|S_i|^2 / sum_j |S_j|^2), float32."""
    power = source_specs.abs() ** 2
    return torch.sqrt(power / (power.sum(dim=-3, keepdim=True) + EPS))


def apply_masks(mix_spec: torch.Tensor, masks: torch.Tensor, cfg: STFTConfig, length: int) -> torch.Tensor:
    """Masked mixture spectrogram, resynthesised with the mixture's phase.

    mix_spec (freqs, frames) complex, masks (sources, freqs, frames) -> (sources, length) float32.
    """
    return istft(masks.to(mix_spec.real.dtype) * mix_spec.unsqueeze(-3), cfg, length)
