import numpy as np
import pytest
import torch

from models.audio import metrics
from models.audio.features import (STFTConfig, active_bins, apply_masks, ideal_binary_mask, ideal_ratio_mask,
                                   istft, normalised_log_magnitude, stft)


def _voices(n=8000, seed=0):
    """Two harmonic 'voices' with different pitches and syllable rhythms, 1 s at 8 kHz."""
    t = np.arange(n) / 8000
    rng = np.random.default_rng(seed)
    a = sum(np.sin(2 * np.pi * 120 * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    b = sum(np.sin(2 * np.pi * 210 * k * t + rng.uniform(0, 6)) / k for k in range(1, 8))
    a *= 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    b *= 0.5 + 0.5 * np.cos(2 * np.pi * 5 * t) ** 2
    return np.stack([a, b]).astype(np.float32) * 0.1


def test_istft_inverts_stft_for_batched_waveforms():
    cfg = STFTConfig(256, 64)
    wave = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 3, 5001)).astype(np.float32))
    spec = stft(wave, cfg)
    assert spec.shape == (2, 3, cfg.n_freqs, cfg.frames(5001)) and spec.dtype == torch.complex64
    back = istft(spec, cfg, 5001)
    assert torch.allclose(back, wave, atol=1e-5)


def test_features_ignore_gain_and_silence_is_floored():
    cfg = STFTConfig()
    wave = torch.from_numpy(_voices()[0])
    wave[:2000] = 0.0                          # digital silence at the start
    f1 = normalised_log_magnitude(stft(wave, cfg))
    f2 = normalised_log_magnitude(stft(wave * 7.0, cfg))
    assert torch.allclose(f1, f2, atol=1e-3)
    assert float(f1.max() - f1.min()) <= 80 * np.log(10) / 20 + 1e-3
    active = active_bins(stft(wave, cfg), 40.0)
    assert not active[:, :20].any() and active[:, 60:].any()


def test_oracle_masks_recover_the_sources_and_sum_to_the_mixture():
    cfg = STFTConfig()
    src = torch.from_numpy(_voices())
    specs = stft(src, cfg)
    ibm = ideal_binary_mask(specs)
    assert torch.equal(ibm.sum(0), torch.ones_like(ibm[0]))
    irm = ideal_ratio_mask(specs)
    assert float(irm.max()) <= 1.0 + 1e-6
    mix = src.sum(0)
    est = apply_masks(stft(mix, cfg), ibm, cfg, mix.shape[0]).numpy()
    assert np.allclose(est.sum(0), mix.numpy(), atol=1e-4)      # binary masks partition the mixture
    for j in range(2):
        assert metrics.si_sdr(est[j], src[j].numpy()) > 10.0


def test_si_sdr_is_scale_invariant_high_for_a_copy_and_low_for_noise():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=8000)
    assert metrics.si_sdr(0.3 * ref, ref) > 100
    assert metrics.si_sdr(ref + 0.1 * rng.normal(size=8000), ref) == pytest.approx(20.0, abs=0.5)
    assert metrics.si_sdr(rng.normal(size=8000), ref) < -15


def test_sdr_forgives_a_short_filter_but_not_the_other_source():
    rng = np.random.default_rng(2)
    refs = rng.normal(size=(2, 6000))
    filtered = np.convolve(refs[0], [1.0, 0.5, 0.25])[:6000]
    sdr = metrics.bss_sdr_matrix(np.stack([filtered, refs[0] + refs[1]]), refs, flen=32)
    assert sdr[0, 0] > 40                           # a filtered copy is distortion-free for BSS Eval
    assert sdr[0, 0] > metrics.si_sdr(filtered, refs[0]) + 20
    assert abs(sdr[1, 0]) < 1 and abs(sdr[1, 1]) < 1   # half interference: about 0 dB


def test_best_permutation_pairs_each_reference_with_its_estimate():
    scores = np.array([[1.0, 9.0, 0.0],
                       [8.0, 2.0, 0.0],
                       [0.0, 0.0, 5.0]])
    assert metrics.best_permutation(scores) == (1, 0, 2)


def test_evaluate_solves_the_permutation_and_reports_improvements():
    src = _voices().astype(np.float64)
    mix = src.sum(0)
    noisy = src + 0.01 * np.random.default_rng(3).normal(size=src.shape)
    out = metrics.evaluate(noisy[::-1], src, mix, flen=64)
    assert out["permutation"] == [1, 0]
    for s in out["sources"]:
        assert s["si_sdr"] > 15 and s["si_sdr_improvement"] == pytest.approx(s["si_sdr"] - s["mixture_si_sdr"])
        assert s["sdr"] > 15 and s["sdr_improvement"] > 10
    assert out["si_sdr"] == pytest.approx(np.mean([s["si_sdr"] for s in out["sources"]]))
    bad = metrics.evaluate(np.stack([mix, mix]), src, mix, with_sdr=False)
    assert bad["si_sdr_improvement"] == pytest.approx(0.0, abs=1e-6) and "sdr" not in bad
