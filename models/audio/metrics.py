"""Separation metrics: SI-SDR, SDR (BSS Eval), the best permutation, improvements over the mixture.

All functions take NumPy arrays (float) of shape ``(samples,)`` or ``(sources, samples)`` and
return decibels. SI-SDR (Le Roux et al., 2019) is the scale-invariant ratio of the estimate's
projection on the reference to the rest. SDR is BSS Eval v3's source-to-distortion ratio
(Vincent et al., 2006; what ``mir_eval.separation.bss_eval_sources`` reports): the estimate may be
a 512-tap filtered version of its reference without penalty, and what the delayed references of
the other sources explain counts as interference.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.linalg
import scipy.signal

from models.core.blas import one_blas_thread

EPS = 1e-10


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (both signals made zero-mean)."""
    est = np.asarray(estimate, np.float64) - np.mean(estimate)
    ref = np.asarray(reference, np.float64) - np.mean(reference)
    alpha = _dot(est, ref) / (_dot(ref, ref) + EPS)
    target = alpha * ref
    noise = est - target
    return float(10 * np.log10((_dot(target, target) + EPS) / (_dot(noise, noise) + EPS)))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum, not np.dot: BLAS's threaded ddot is a hundred times slower on a busy machine
    return float(np.einsum("i,i->", a, b))


class _Projector:
    """Least-squares projection on the delayed copies (0..flen-1 samples) of a set of references.

    The Gram matrix of the references is built once by FFT and factorised once, so projecting
    several estimates against the same references costs one triangular solve each.
    """

    def __init__(self, references: np.ndarray, flen: int):
        refs = np.atleast_2d(np.asarray(references, np.float64))
        self.nsrc, self.nsampl = refs.shape
        self.flen = flen
        self.n_fft = int(2 ** np.ceil(np.log2(self.nsampl + flen - 1)))
        self.refs = refs
        self.ref_f = np.fft.rfft(refs, n=self.n_fft, axis=1)
        gram = np.zeros((self.nsrc * flen, self.nsrc * flen))
        for i in range(self.nsrc):
            for j in range(i, self.nsrc):
                corr = np.fft.irfft(self.ref_f[i] * np.conj(self.ref_f[j]), n=self.n_fft)
                block = scipy.linalg.toeplitz(np.r_[corr[0], corr[-1:-flen:-1]], corr[:flen])
                gram[i * flen:(i + 1) * flen, j * flen:(j + 1) * flen] = block
                gram[j * flen:(j + 1) * flen, i * flen:(i + 1) * flen] = block.T
        # a whisper of ridge keeps silent or linearly dependent references solvable
        gram[np.diag_indices_from(gram)] += 1e-9 * (np.trace(gram) / len(gram) + EPS)
        self.factor = scipy.linalg.cho_factor(gram, check_finite=False)

    def __call__(self, estimate: np.ndarray) -> np.ndarray:
        flen = self.flen
        est_f = np.fft.rfft(np.asarray(estimate, np.float64), n=self.n_fft)
        d = np.zeros(self.nsrc * flen)
        for i in range(self.nsrc):
            corr = np.fft.irfft(self.ref_f[i] * np.conj(est_f), n=self.n_fft)
            d[i * flen:(i + 1) * flen] = np.r_[corr[0], corr[-1:-flen:-1]]
        coef = scipy.linalg.cho_solve(self.factor, d, check_finite=False).reshape(flen, self.nsrc, order="F")
        proj = np.zeros(self.nsampl + flen - 1)
        for i in range(self.nsrc):
            proj += scipy.signal.fftconvolve(coef[:, i], self.refs[i])[:self.nsampl + flen - 1]
        return proj


class BssEval:
    """BSS Eval v3 SDR against a fixed set of references; the projections on them are factorised
    once, so scoring several estimates (a model's, the oracles', the mixture) costs little more
    than one."""

    def __init__(self, references: np.ndarray, flen: int = 512):
        self.refs = np.atleast_2d(np.asarray(references, np.float64))
        self.flen = flen
        with one_blas_thread():
            self.all_refs = _Projector(self.refs, flen)
            self.own = [_Projector(self.refs[j:j + 1], flen) for j in range(len(self.refs))]

    def sdr_matrix(self, estimates: np.ndarray) -> np.ndarray:
        """SDR of every estimate against every reference: (n_est, n_ref) in dB."""
        ests = _pad_to(estimates, self.refs.shape[1])
        out = np.zeros((len(ests), len(self.refs)))
        with one_blas_thread():
            for e, est in enumerate(ests):
                full = self.all_refs(est)
                est_pad = np.r_[est, np.zeros(self.flen - 1)]
                for j, own in enumerate(self.own):
                    target = own(est)               # s_true + e_spat in BSS Eval's terms
                    interf = full - target
                    artif = est_pad - full
                    out[e, j] = 10 * np.log10((np.sum(target ** 2) + EPS) / (np.sum((interf + artif) ** 2) + EPS))
        return out


def bss_sdr_matrix(estimates: np.ndarray, references: np.ndarray, flen: int = 512) -> np.ndarray:
    """SDR of every estimate against every reference: (n_est, n_ref) in dB (BSS Eval v3)."""
    return BssEval(references, flen).sdr_matrix(estimates)


def sdr(estimate: np.ndarray, reference: np.ndarray, others: np.ndarray | None = None, flen: int = 512) -> float:
    """BSS Eval SDR of one estimate; ``others`` are the other sources' references, if known."""
    refs = np.atleast_2d(reference) if others is None else np.vstack([reference, np.atleast_2d(others)])
    return float(bss_sdr_matrix(np.atleast_2d(estimate), refs, flen)[0, 0])


def si_sdr_matrix(estimates: np.ndarray, references: np.ndarray) -> np.ndarray:
    return np.array([[si_sdr(e, r) for r in references] for e in estimates])


def best_permutation(scores: np.ndarray) -> tuple[int, ...]:
    """perm maximising the mean of scores[perm[j], j]: estimate perm[j] goes with reference j."""
    n_est, n_ref = scores.shape
    best = max(itertools.permutations(range(n_est), n_ref),
               key=lambda p: sum(scores[p[j], j] for j in range(n_ref)))
    return tuple(best)


def _pad_to(x: np.ndarray, n: int) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, np.float64))
    if x.shape[1] >= n:
        return x[:, :n]
    return np.pad(x, ((0, 0), (0, n - x.shape[1])))


def evaluate(estimates: np.ndarray, references: np.ndarray, mixture: np.ndarray, *,
             with_sdr: bool = True, flen: int = 512, bss: BssEval | None = None) -> dict:
    """Per-source figures with the permutation solved on SI-SDR.

    estimates (n_est, samples), references (n_ref, samples), mixture (samples,); estimates and
    mixture are cut or zero-padded to the references' length. ``bss`` reuses the SDR set-up of
    an earlier call on the same references. Returns ``{"permutation": [...], "sources":
    [{"si_sdr", "si_sdr_improvement", "mixture_si_sdr", "sdr", "sdr_improvement",
    "mixture_sdr"} ...], and the same keys as means}``, in dB.
    """
    refs = np.atleast_2d(np.asarray(references, np.float64))
    n = refs.shape[1]
    ests = _pad_to(estimates, n)
    mix = _pad_to(mixture, n)[0]
    si = si_sdr_matrix(ests, refs)
    perm = best_permutation(si)
    sources = []
    if with_sdr:
        bss = bss or BssEval(refs, flen)
        sdr_est = bss.sdr_matrix(ests)
        sdr_mix = bss.sdr_matrix(mix[None])[0]
    for j in range(len(refs)):
        mix_si = si_sdr(mix, refs[j])
        row = {"si_sdr": si[perm[j], j], "mixture_si_sdr": mix_si, "si_sdr_improvement": si[perm[j], j] - mix_si}
        if with_sdr:
            row.update(sdr=sdr_est[perm[j], j], mixture_sdr=sdr_mix[j],
                       sdr_improvement=sdr_est[perm[j], j] - sdr_mix[j])
        sources.append({k: float(v) for k, v in row.items()})
    out = {k: float(np.mean([s[k] for s in sources])) for k in sources[0]}
    out["permutation"] = list(perm)
    out["sources"] = sources
    return out
