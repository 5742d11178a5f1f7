"""Deep clustering (Hershey, Chen, Le Roux & Watanabe, 2016): separate two voices by embedding
every time-frequency bin of a mixture so that bins of the same speaker point the same way.

A bidirectional LSTM reads the normalised log-magnitude spectrogram and gives each bin a
unit-norm D-dimensional embedding v. Training pulls the affinity matrix V V^T towards the ideal
one Y Y^T (Y: one-hot owner of each bin under the ideal binary mask), ignoring bins 40 dB below
the mixture's loudest. To separate, k-means splits the embeddings of the audible bins into two
clusters; each cluster is a binary mask, and the masked mixture with its own phase is turned
back into a waveform. Optionally (``mask_head``, Chimera++) a second output of the same BLSTM
learns the masks themselves, and then gives them; the embeddings are still trained and drawn.

The trainer makes (once) and reads the eSpeak demo data of :mod:`models.audio.demo`, mixes new
training pairs on the fly, reports the validation loss, keeps the weights that scored best on it,
and ends by measuring SI-SDR and SDR on the held-out test voices, next to the ideal binary and
ideal ratio masks as ceilings.

A run can stop and go on later (``train(..., resume=model)``). The model keeps the weights training
had reached (besides the best ones it returns), Adam's moments, the random stream of the training
mixtures, the validation history and the planned number of batches, a choice made from the
measured pace, so a resumed run does not time anything again (see models.core.resume_torch). With
a fixed number of steps on the CPU, a run stopped and resumed gives the same weights and losses as
one straight through.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from models.audio import broad, demo, metrics
from models.audio.clustering import kmeans, smoothed_over_time
from models.audio.clustering_losses import BIN_WEIGHTS, OBJECTIVES, bin_weights, mask_loss
from models.audio.features import (EPS, STFTConfig, active_bins, apply_masks, as_tensor, ideal_binary_mask,
                                   ideal_ratio_mask, normalised_log_magnitude, stft)
from models.audio.wav import MAX_RATE, MIN_RATE
from models.core.checkpoint import load_module
from models.core.device import resolve_device, seed_everything
from models.core.events import STOP, Progress, Rate, drain
from models.core.loop import Chunk, Pace, Smoothed, continued, train_loop
from models.core.params import param, validate
from models.core.result import TrainedResult, TrainingState
from models.core.resume_torch import capture, check_continuable, restore
from models.core.rebuild import load_saved
from models.errors import UserError

NAME = "dc"
DESCRIPTION = ("Embed every time-frequency bin of a two-voice mixture with a BLSTM, trained so that bins of "
               "one speaker point the same way (loss ||VV^T - YY^T||^2); k-means on the embeddings gives "
               "the masks (or, with the optional Chimera++ mask head, the head does). Trains on eSpeak demo mixtures "
               "made on first use; no corpus needed.")
VALID_SECONDS = 2.0        # validation mixtures are scored on their first two seconds, batched
SNAPSHOT_BINS = 1500       # TF-bin embeddings sent with a progress event, for the live scatter
SNAPSHOT_SECONDS = 2.0
EVENT_SECONDS = 0.1        # at most ten progress events a second
VALIDATIONS = 10           # validation passes per training run
MASK_LOSS_WEIGHT = 1.0     # the mask head's loss beside the embeddings' (both 0.1-0.3 once trained)
LAST, BEST = "net.", "best."   # a training state's copies of the weights reached and of the best ones
CHUNK_SECONDS = 20.0       # long mixtures are separated this much at a time...
OVERLAP_SECONDS = 2.0      # ...with this much shared by neighbours, to order and cross-fade them


@dataclass
class DeepClusteringConfig:
    minutes: float = param(10.0, "Training time budget in minutes (the demo data is made first, once)",
                           low=0.01, high=100_000.0)
    steps: int = param(0, "Stop after this many batches (0: when the time budget is spent)", low=0,
                       high=10**9, advanced=True)
    hidden: int = param(128, "LSTM units per direction", low=4, high=4096)
    layers: int = param(2, "Bidirectional LSTM layers", low=1, high=8)
    embedding_dim: int = param(20, "Embedding dimensions per time-frequency bin", low=2, high=256)
    batch_size: int = param(8, "Mixtures per batch", low=1, high=4096, advanced=True)
    chunk_seconds: float = param(0.8, "Length of each training mixture in seconds", low=0.1, high=30.0,
                                 advanced=True)
    lr: float = param(2e-3, "Adam learning rate (held for the first half, then decayed tenfold)",
                      low=1e-6, high=1.0, advanced=True)
    dropout: float = param(0.0, "Dropout between LSTM layers", low=0.0, high=0.9, advanced=True)
    objective: str = param("affinity", "What training pulls the embeddings towards. affinity: VV^T towards the ideal "
                                       "YY^T (the original deep clustering loss); whitened-kmeans: the k-means cost "
                                       "of the ideal clusters in whitened embeddings (Wang, Le Roux & Hershey 2018)",
                           choices=tuple(OBJECTIVES), advanced=True)
    bin_weights: str = param("audible", "How much each time-frequency bin counts in the loss. audible: every bin "
                                        "within silence_db of the loudest alike; magnitude: each audible bin by "
                                        "its loudness, so that the loud bins, which carry the separated sound, "
                                        "count most (Wang, Le Roux & Hershey 2018)",
                             choices=BIN_WEIGHTS, advanced=True)
    mask_head: bool = param(False, "Chimera++: a mask-inference head beside the embeddings, trained with them; "
                                   "it then gives the masks, and the embeddings the picture", advanced=True)
    n_fft: int = param(256, "STFT window in samples (256 = 32 ms at 8 kHz)", choices=(128, 256, 512),
                       advanced=True)
    hop: int = param(128, "STFT hop in samples (128 = 16 ms at 8 kHz)", choices=(32, 64, 128), advanced=True)
    silence_db: float = param(40.0, "Bins this many dB below the loudest are left out of loss and k-means",
                              low=1.0, high=120.0, advanced=True)
    kmeans_inits: int = param(5, "k-means restarts when separating (the best is kept)", low=1, high=100,
                              advanced=True)
    # 2.5 measured best of 0.5-10 on the demo test voices: 1.2 dB over binary masks (docs/separation-history.md)
    soft_mask: float = param(2.5, "Soft masks when separating: sharpness of each bin's split between the two "
                                  "k-means centres by distance (0: binary masks)", low=0.0, high=1000.0,
                             advanced=True)
    # 3 measured best of 1-9 with the bundled model: +0.03 to +0.13 dB on each of the four test sets
    # (docs/separation-history.md); 9 loses 0.4-0.5 dB on the synthetic ones
    smooth_frames: int = param(3, "k-means clusters each bin's embedding averaged with its neighbours over this "
                                  "many frames, weighted by magnitude (1: the bin's own)", choices=(1, 3, 5, 7, 9),
                               advanced=True)
    train_per_voice: int = param(60, "Demo training utterances per training voice", low=1, high=2000,
                                 advanced=True)
    valid_mixtures: int = param(40, "Demo validation mixtures (training voices, new sentences)", low=1,
                                high=2000, advanced=True)
    test_mixtures: int = param(40, "Demo test mixtures (unseen voices) scored after training", low=1,
                               high=2000, advanced=True)
    start: str = param("scratch", "scratch: new weights; pretrained: fine-tune the bundled model (its network "
                                  "shape and STFT replace the ones set here)", choices=("scratch", "pretrained"))
    data: str = param("demo", "demo: the eSpeak demo voices (made on first use); broad: many synthesizers and "
                              "recorded speakers (made by tools/separation_data.py)", choices=("demo", "broad"),
                      advanced=True)
    recorded_share: float = param(0.0, "Broad data: the share of training voices drawn from recorded speakers, "
                                       "each speaker alike (0: every utterance alike)", low=0.0, high=1.0,
                                  advanced=True)
    augment: bool = param(False, "Rooms, microphone colouring and background noise on the training mixtures",
                          advanced=True)
    long_chunk_seconds: float = param(0.0, "Training mixtures this long for the last third of the batches, "
                                           "half as many a batch (0: no change)", low=0.0, high=30.0, advanced=True)
    threads: int = param(1, "CPU threads (0: all cores; one is fastest unless the machine is idle, as "
                            "LSTM steps are small and busy cores stall the others)", low=0, high=1024, advanced=True)
    device: str = param("auto", "Where to train: auto picks CUDA when present", choices=("auto", "cpu", "cuda"),
                        advanced=True)
    seed: int = param(0, "Random seed (for the demo data, the weights and the training mixtures)", low=0,
                      high=2**31 - 1, advanced=True)

    # The network's shape, and the demo data and training mixtures it learns from, must stay.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("hidden", "layers", "embedding_dim", "n_fft", "hop", "mask_head",
                                                  "objective", "bin_weights", "train_per_voice", "valid_mixtures",
                                                  "test_mixtures", "seed", "data")
    SHAPE: ClassVar[tuple[str, ...]] = ("hidden", "layers", "embedding_dim", "n_fft", "hop")

    def shape(self) -> dict:
        """The network's shape and STFT: what weights fit, and what fine-tuning and averaging keep."""
        return {k: getattr(self, k) for k in self.SHAPE}

    def stft(self) -> STFTConfig:
        return STFTConfig(self.n_fft, self.hop)

    def demo_spec(self) -> demo.DemoSpec:
        return demo.DemoSpec(train_per_voice=self.train_per_voice, valid_mixtures=self.valid_mixtures,
                             test_mixtures=self.test_mixtures)


# --- the network -----------------------------------------------------------------------------

class DeepClusteringNet(nn.Module):
    """(batch, freqs, frames) normalised log magnitude -> (batch, freqs, frames, dim) unit vectors.

    With ``mask_head`` (Chimera++, Wang, Le Roux & Hershey 2018) a second linear layer on the same
    BLSTM gives each bin a share for each of two sources (softmax), trained by permutation-invariant
    phase-sensitive mask approximation beside the embedding loss; :meth:`heads` returns both."""

    def __init__(self, n_freqs: int, hidden: int, layers: int, dim: int, dropout: float = 0.0,
                 mask_head: bool = False):
        super().__init__()
        self.n_freqs, self.dim = n_freqs, dim
        # per-frequency standardisation, estimated from training batches before the first step
        self.register_buffer("feature_mean", torch.zeros(n_freqs))
        self.register_buffer("feature_std", torch.ones(n_freqs))
        self.blstm = nn.LSTM(n_freqs, hidden, layers, batch_first=True, bidirectional=True,
                             dropout=dropout if layers > 1 else 0.0)
        self.embed = nn.Linear(2 * hidden, n_freqs * dim)
        self.mask = nn.Linear(2 * hidden, n_freqs * 2) if mask_head else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.heads(features)[0]

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(embeddings (b, f, t, dim), masks (b, 2, f, t) summing to 1 over the two, or None)."""
        b, f, t = features.shape
        x = (features - self.feature_mean[:, None]) / self.feature_std[:, None]
        h, _ = self.blstm(x.transpose(1, 2))                       # (b, t, 2 hidden)
        v = self.embed(h).view(b, t, f, self.dim).transpose(1, 2)  # (b, f, t, dim)
        masks = None
        if self.mask is not None:
            masks = torch.softmax(self.mask(h).view(b, t, f, 2), dim=-1).permute(0, 3, 2, 1)
        return nn.functional.normalize(v, dim=-1), masks


def _build_net(config: DeepClusteringConfig) -> DeepClusteringNet:
    return DeepClusteringNet(config.stft().n_freqs, config.hidden, config.layers, config.embedding_dim,
                             config.dropout, config.mask_head)


# --- the trained model and separation --------------------------------------------------------

@dataclass
class Separation:
    """What separating one mixture produced; NumPy copies, for views and files."""

    mixture: np.ndarray       # (samples,) float32
    sources: np.ndarray       # (2, samples) float32
    magnitude: np.ndarray     # (freqs, frames) float32, |STFT| of the mixture
    embeddings: np.ndarray    # (freqs, frames, dim) float32, as clustered (smoothed over time)
    active: np.ndarray        # (freqs, frames) bool: the bins k-means clustered
    owner: np.ndarray         # (freqs, frames) int64: the cluster (source) of every bin
    sample_rate: int
    detail_samples: int = 0   # the samples the bin arrays above cover (the first chunk of a long mixture)


@dataclass
class DeepClusteringModel(TrainedResult):
    config: DeepClusteringConfig
    net: DeepClusteringNet
    sample_rate: int = 8000
    stats: dict = field(default_factory=dict)
    losses: list[tuple[int, float]] = field(default_factory=list)         # (batch, training loss)
    valid_losses: list[tuple[int, float]] = field(default_factory=list)   # (batch, validation loss)
    training: TrainingState | None = None     # where training stood, to continue it

    model = NAME

    @torch.no_grad()
    def heads(self, wave):
        """(samples,) -> (mixture STFT (F, T), embeddings (F, T, D), the mask head's masks (2, F, T)
        or None, active bins (F, T)), on CPU."""
        self.net.eval()
        device = next(self.net.parameters()).device
        spec = stft(as_tensor(wave, device), self.config.stft())
        v, head = self.net.heads(normalised_log_magnitude(spec)[None])
        head = head[0].cpu() if head is not None else None
        return spec.cpu(), v[0].cpu(), head, active_bins(spec, self.config.silence_db).cpu()

    @torch.no_grad()
    def masks(self, wave) -> tuple[torch.Tensor, tuple]:
        """Masks (2, F, T): the mask head's when the model has one (each bin's owner then the larger
        of its two shares), else from k-means on the audible bins' embeddings (each averaged over
        ``smooth_frames`` frames, :func:`smoothed_over_time`), every bin, silent ones too, going to
        the nearer centroid. Binary, or with ``soft_mask`` > 0 each bin's share
        of the two is softmax(-soft_mask * squared distance to each centroid): a bin between the
        clouds, where both voices sound, is shared instead of given whole to one."""
        spec, v, head, active = self.heads(wave)
        if head is not None:
            return head, (spec, v, active, head.argmax(0))
        gen = torch.Generator().manual_seed(self.config.seed)
        clustered = self.clustered(spec, v)
        _, centroids = kmeans(clustered[active], 2, self.config.kmeans_inits, generator=gen)
        masks, owner = self.masks_around(clustered, centroids)
        # the embeddings k-means saw go to the picture, so that each point's colour is its place
        return masks, (spec, clustered, active, owner)

    def clustered(self, spec: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The embeddings (F, T, D) as k-means sees them: each averaged over ``smooth_frames``
        frames, weighted by the mixture's magnitude (:func:`smoothed_over_time`)."""
        return smoothed_over_time(v, spec.abs(), self.config.smooth_frames)

    def masks_around(self, clustered: torch.Tensor, centroids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Masks (2, F, T) and owners (F, T) of embeddings (F, T, D) split between two centres
        (2, D): every bin to the nearer, or shared by ``soft_mask``."""
        dist = torch.cdist(clustered.reshape(-1, clustered.shape[-1]), centroids)
        shape = clustered.shape[:-1]
        owner = dist.argmin(1).view(shape)
        if self.config.soft_mask > 0:
            masks = torch.softmax(-self.config.soft_mask * dist ** 2, dim=1).T.reshape(2, *shape)
        else:
            masks = nn.functional.one_hot(owner, 2).permute(2, 0, 1).float()
        return masks, owner

    def separate(self, wave) -> Separation:
        """Split a mono mixture at the model's sample rate into two waveforms."""
        return drain(self.separate_steps(wave))

    def separate_steps(self, wave, chunk_seconds: float = CHUNK_SECONDS, overlap_seconds: float = OVERLAP_SECONDS):
        """Progress generator (unit "seconds" of audio) returning the :class:`Separation` of a mono
        mixture of any length.

        Up to 1.5 chunks are separated in one pass. A longer mixture goes in chunks overlapping by
        ``overlap_seconds``: which estimate is which voice is decided afresh in each chunk, so each
        chunk's pair is ordered to match the previous chunk's over their overlap (the order whose
        waveforms correlate best there) and the two are cross-faded across it. Memory follows the
        chunk, not the mixture: only the two output waveforms grow with it. The bin arrays (magnitude,
        embeddings, clusters) are those of the first chunk, for the views (``detail_samples``)."""
        wave = np.asarray(wave, np.float32)
        rate, n = self.sample_rate, len(wave)
        chunk, overlap = int(chunk_seconds * rate), int(overlap_seconds * rate)
        if n <= 1.5 * chunk:
            starts = [0]
        else:
            starts = list(range(0, n - overlap, chunk - overlap))
        sources = np.zeros((2, n), np.float32)
        detail = None
        fade = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
        for i, start in enumerate(starts):
            end = n if i == len(starts) - 1 else start + chunk
            piece = wave[start:end]
            with one_torch_thread():
                masks, (spec, v, active, owner) = self.masks(piece)
                est = apply_masks(spec, masks, self.config.stft(), len(piece)).numpy()
            if detail is None:
                detail = Separation(wave, sources, spec.abs().numpy(), v.numpy(), active.numpy(), owner.numpy(),
                                    rate, len(piece))
            else:
                est = _match_previous(est, sources[:, start:start + overlap])
                head = min(overlap, len(piece))
                sources[:, start:start + head] = (sources[:, start:start + head] * (1 - fade[:head])
                                                  + est[:, :head] * fade[:head])
                est = est[:, head:]
                start += head
            sources[:, start:start + est.shape[1]] = est
            yield Progress(min(end, n) // rate, n // rate, unit="seconds", message="Separating")
        return detail

    def evaluate(self, mixture, references, with_sdr: bool = True) -> dict:
        """Separate ``mixture`` and score it against ``references`` (2, samples), next to the
        ideal binary and ideal ratio masks; see :func:`evaluate_with_oracles`."""
        sep = self.separate(mixture)
        return evaluate_with_oracles(sep.sources, references, mixture, self.config.stft(), with_sdr)

    @property
    def averaged(self) -> int:
        """How many models' weights this one is the mean of (tools/average_separation_models.py);
        0 for a trained one. A file's stats are not trusted to hold a list."""
        folders = self.stats.get("averaged_from")
        return len(folders) if isinstance(folders, list) else 0

    def summary(self) -> str:
        s = self.stats
        trained = (f"the mean of {self.averaged} models' weights" if self.averaged else
                   f"{s.get('seconds', 0):.0f} s, {s.get('steps', 0)} batches, "
                   f"validation loss {s.get('valid_loss', float('nan')):.4f}")
        return (f"deep clustering: {trained}, test SI-SDR improvement "
                f"{s.get('test_si_sdr_improvement', float('nan')):.1f} dB "
                f"(ideal binary mask {s.get('test_ibm_si_sdr_improvement', float('nan')):.1f} dB)")

    def parts(self) -> tuple[dict, dict]:
        tensors = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        return tensors, {"sample_rate": self.sample_rate, "valid_losses": self.valid_losses}

    def run_record(self) -> dict:
        return _jsonable(self.stats)

    @classmethod
    def rebuilt(cls, config, weights, extra, training) -> "DeepClusteringModel":
        net = load_module(lambda: _build_net(config), weights)
        rate = extra.get("sample_rate", 8000)
        if not (isinstance(rate, int) and MIN_RATE <= rate <= MAX_RATE):
            raise ValueError(f"a sample rate of {rate!r} Hz")
        stats, losses = cls.history(extra)
        return cls(config, net.eval(), rate, stats, losses, [tuple(x) for x in extra.get("valid_losses", [])],
                   training)

    @classmethod
    def load(cls, folder: str | Path) -> "DeepClusteringModel":
        return load_saved(cls, DeepClusteringConfig, folder, NAME, "a deep clustering one")


load_model = DeepClusteringModel.load


@contextlib.contextmanager
def one_torch_thread():
    """Torch on one thread, subnormals flushed: small LSTM and k-means steps run 30x slower on two
    busy cores than on one, and LSTM states decaying towards zero turn subnormal, which a CPU
    computes a hundred times slower (both measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _match_previous(est: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """``est`` (2, samples) in the order whose start correlates best with ``previous`` (2, overlap)."""
    head = est[:, :previous.shape[1]]
    keep = float(np.sum(head * previous))
    swap = float(np.sum(head[::-1] * previous))
    return est if keep >= swap else est[::-1].copy()


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None            # JSON has no NaN
    return x


def evaluate_with_oracles(estimates, references, mixture, stft_cfg: STFTConfig, with_sdr: bool = True) -> dict:
    """Score ``estimates`` (2, samples) of ``mixture`` against ``references`` (2, samples) and,
    as ceilings, the ideal binary and ideal ratio masks computed from the references.

    Returns :func:`models.audio.metrics.evaluate`'s dict (SI-SDR, SDR, their improvements over
    the mixture, per source and as means, permutation solved) with ``"ibm"`` and ``"irm"``
    holding the same for the oracles.
    """
    refs = np.atleast_2d(np.asarray(references, np.float32))
    n = refs.shape[1]
    mix = np.zeros(n, np.float32)
    m = np.asarray(mixture, np.float32)[:n]
    mix[:len(m)] = m
    mix_spec = stft(torch.from_numpy(mix), stft_cfg)
    ref_specs = stft(torch.from_numpy(refs), stft_cfg)
    bss = metrics.BssEval(refs) if with_sdr else None
    out = metrics.evaluate(estimates, refs, mix, with_sdr=with_sdr, bss=bss)
    for name, mask in (("ibm", ideal_binary_mask(ref_specs)), ("irm", ideal_ratio_mask(ref_specs))):
        oracle = apply_masks(mix_spec, mask, stft_cfg, n).numpy()
        out[name] = metrics.evaluate(oracle, refs, mix, with_sdr=with_sdr, bss=bss)
    return out


# --- training --------------------------------------------------------------------------------

def _batch(sources: torch.Tensor, cfg: STFTConfig, silence_db: float, mask_targets: bool = False,
           weighting: str = "audible"):
    """(B, 2 or 3, samples) sources -> features (B, F, T), one-hot labels (B, F*T, 2), weights
    (B, F*T: :func:`bin_weights` of the ``weighting``), and, with ``mask_targets``, what a mask head
    learns from: the mixture's magnitude (B, F, T) and each voice's truncated phase-sensitive
    magnitude (B, 2, F, T), |S| cos(angle X - angle S) within [0, |X|] (else None: a network without
    the head has no use for them).

    A third source is background noise: part of the mixture, owner of no bin (each bin goes to the
    louder voice)."""
    specs = stft(sources, cfg)                       # (B, S, F, T)
    mix = specs.sum(1)
    voices = specs[:, :2]
    labels = ideal_binary_mask(voices).flatten(2).transpose(1, 2)
    weights = bin_weights(mix, silence_db, weighting)
    head_targets = None
    if mask_targets:
        magnitude = mix.abs()
        phase_sensitive = (voices * mix.conj()[:, None]).real / (magnitude[:, None] + EPS)
        head_targets = (magnitude, torch.minimum(phase_sensitive.clamp(min=0.0), magnitude[:, None]))
    return normalised_log_magnitude(mix), labels, weights, head_targets


def _loss(net, batch, objective: str) -> torch.Tensor:
    features, labels, weights, mask_targets = batch
    v, masks = net.heads(features)
    loss = OBJECTIVES[objective](v.flatten(1, 2), labels, weights).mean()
    if masks is not None:
        loss = loss + MASK_LOSS_WEIGHT * mask_loss(masks, *mask_targets).mean()
    return loss


def _fixed_crops(mixtures: list[demo.Mixture], samples: int) -> torch.Tensor:
    out = np.zeros((len(mixtures), 2, samples), np.float32)
    for i, m in enumerate(mixtures):
        s = m.sources[:, :samples]
        out[i, :, :s.shape[1]] = s
    return torch.from_numpy(out)


def _fit_feature_stats(net: DeepClusteringNet, batches) -> None:
    feats = torch.cat([b[0].transpose(1, 2).reshape(-1, b[0].shape[1]) for b in batches])
    net.feature_mean.copy_(feats.mean(0))
    net.feature_std.copy_(feats.std(0).clamp(min=1e-3))


@torch.no_grad()
def _snapshot(net, batch) -> tuple[np.ndarray, tuple[str, ...]]:
    """Embeddings of up to SNAPSHOT_BINS audible bins of the first validation mixture, with the
    name of the speaker who owns each: the live view watches them part into two clouds."""
    features, labels, weights, _ = batch
    net.eval()
    v = net(features[:1]).flatten(1, 2)[0]
    net.train()
    idx = torch.nonzero(weights[0]).squeeze(1)
    idx = idx[torch.linspace(0, len(idx) - 1, min(SNAPSHOT_BINS, len(idx))).long()] if len(idx) else idx
    owner = labels[0, idx].argmax(1).tolist()
    return v[idx].cpu().numpy().copy(), tuple(f"speaker {o + 1}" for o in owner)


def _lr_factor(fraction: float) -> float:
    """Full rate for the first half, then down tenfold, geometrically."""
    return 0.1 ** max(0.0, min(1.0, (fraction - 0.5) / 0.5))


def _set_torch_threads(n: int) -> int:
    """Torch's thread count only: numba.set_num_threads (which core's set_threads also calls)
    resets Torch's OpenMP pool once it has run, and an LSTM then crawls (40x measured)."""
    n = n if n > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


def check_resumable(model, config: DeepClusteringConfig) -> TrainingState:
    """The state to continue ``model`` from with ``config``, or a UserError saying why not."""
    state = check_continuable(model, NAME, config, getattr(model, "training", None), total_field=None)
    seconds = float(state.get("seconds", 0.0))
    if config.steps and state.step >= config.steps:
        raise UserError(f"The model has already trained {state.step} of {config.steps} steps.",
                        "Raise Steps to train it further.")
    if seconds >= config.minutes * 60 or (not config.steps and state.get("finished")
                                          and config.minutes <= model.config.minutes):
        raise UserError(f"The model has already trained for {seconds / 60:.1f} of {config.minutes:g} minute(s).",
                        f"Raise Minutes (or set Steps above {state.step}) to train it further.")
    return state


def _as_torch(arrays: dict, device) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v).to(device) for k, v in arrays.items()}


def _resume_point(step: int, opt, rng, net, best_state, values: dict) -> TrainingState:
    """The state a resumed run needs: the weights reached, and the best ones when they differ."""
    tensors = {LAST + k: v for k, v in net.state_dict().items()}
    if best_state is not None and best_state[0] != step:
        tensors.update({BEST + k: v for k, v in best_state[1].items()})
    return capture(step, opt, rngs={"batches": rng}, values=values, tensors=tensors)


PRETRAINED = Path(__file__).resolve().parents[2] / "assets" / "separation"


def load_pretrained() -> DeepClusteringModel:
    """The bundled model, trained by ``tools/train_separation.py`` on many voices."""
    if not (PRETRAINED / "model.safetensors").is_file():
        raise UserError(f"The bundled separation model is missing from {PRETRAINED}.",
                        "Reinstall the program, or train a model (Start: scratch).")
    return DeepClusteringModel.load(PRETRAINED)


def _starting_point(config: DeepClusteringConfig):
    """(config, pretrained model or None): fine-tuning takes the bundled model's shape and STFT."""
    if config.start != "pretrained":
        return config, None
    base = load_pretrained()
    # a mask head the bundled model has is kept; one it lacks is added when asked for
    return replace(config, **base.config.shape(), mask_head=config.mask_head or base.config.mask_head), base


def _training_data(config: DeepClusteringConfig):
    """A generator of Progress returning (training bank, validation mixtures, test mixtures, data,
    each training utterance's odds of being drawn or None for all alike).

    The test mixtures are always the demo's unseen voices; ``broad`` data adds its many speakers
    to the demo's training voices and validates on sentences of theirs that training never draws."""
    data = yield from demo.load_steps(config.demo_spec())
    if config.data != "broad":
        return data.train, data.valid, data.test, data, None
    bank, valid = broad.split_validation(broad.load_bank("train"))
    merged = broad.concat(data.train, bank)
    odds = None
    if config.recorded_share > 0:       # the demo's eSpeak voices, first in the merged bank, are synthetic
        in_broad = broad.recorded(bank, broad.speaker_names("train"))
        is_recorded = np.concatenate([np.zeros(len(data.train), bool), in_broad])
        odds = broad.draw_odds(merged, is_recorded, config.recorded_share)
    return merged, broad.fixed_mixtures(valid, config.valid_mixtures, config.seed), data.test, data, odds


def _prepare(config: DeepClusteringConfig, base, state: TrainingState | None, device, rng):
    """A generator stage giving (net, draw, validation batch, test mixtures, data, seconds spent on
    the data): the demo (and broad) data read or made, and the network built from scratch, from the
    bundled model, or from where ``state`` stood. ``draw(fraction)`` mixes a training batch for the
    point ``fraction`` of the run."""
    t_data = time.perf_counter()
    train_bank, valid_mixtures, test_mixtures, data, odds = yield from _training_data(config)
    data_seconds = time.perf_counter() - t_data
    sr, stft_cfg = data.sample_rate, config.stft()
    net = _build_net(config).to(device)
    rms = train_bank.rms()

    def draw(fraction: float = 0.0):
        """A batch; in the last third of a curriculum, half as many mixtures, each longer."""
        long = config.long_chunk_seconds > 0 and fraction >= 2 / 3
        seconds, size = (config.long_chunk_seconds, max(1, config.batch_size // 2)) if long else \
            (config.chunk_seconds, config.batch_size)
        sources = demo.sample_batch(train_bank, rng, size, int(round(seconds * sr)), rms, odds)
        if config.augment:
            sources = broad.augment(sources, rng, sr)
        return _batch(torch.from_numpy(sources).to(device), stft_cfg, config.silence_db, config.mask_head,
                      config.bin_weights)

    if base is not None:
        # a mask head the bundled model lacks starts from random weights on its trained BLSTM
        missing, unexpected = net.load_state_dict(base.net.state_dict(), strict=False)
        if unexpected or any(not k.startswith("mask.") for k in missing):
            raise UserError("The bundled separation model does not fit this network.",
                            "Reinstall the program, or train from scratch (Start: scratch).")
    elif state is None:
        with torch.no_grad():
            _fit_feature_stats(net, [draw() for _ in range(4)])
    else:
        net.load_state_dict(_as_torch(state.tensors_under(LAST), device))
    valid = _batch(_fixed_crops(valid_mixtures, int(VALID_SECONDS * sr)).to(device), stft_cfg, config.silence_db,
                   config.mask_head, config.bin_weights)
    return net, draw, valid, test_mixtures, data, data_seconds


class _Steps:
    """The loop's steps: one Adam step on freshly mixed pairs; the run planned from the measured
    pace when only a time budget is given; validations spread over the run, the best weights kept."""

    def __init__(self, net: DeepClusteringNet, draw, valid, config: DeepClusteringConfig, rng, where: str,
                 resume: DeepClusteringModel | None, state: TrainingState | None):
        self.net, self.draw, self.valid, self.config, self.where = net, draw, valid, config, where
        self.opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        self.budget = config.minutes * 60.0
        self.losses: list[tuple[int, float]] = []
        self.valid_losses: list[tuple[int, float]] = []
        self.best_loss, self.best_state = math.inf, None
        self.steps, self.loss, self.total, self.next_valid, self.before = 0, Smoothed(0.1), config.steps, 1, 0.0
        if state is not None:
            restore(state, self.opt, rngs={"batches": rng})
            self._go_on(state, resume)
        self.first_step, self.rng = self.steps, rng
        self.start = time.perf_counter() - self.before      # the time budget counts the training already done

    def _go_on(self, state: TrainingState, resume: DeepClusteringModel) -> None:
        self.steps, self.loss.value, self.next_valid = state.step, state.get("smooth_loss"), state.get("next_valid", 1)
        self.before = float(state.get("seconds", 0.0))
        # the plan made from the pace holds for the same budget; another budget is planned afresh
        self.total = self.config.steps or (state.get("total", 0) if self.config.minutes == resume.config.minutes else 0)
        if self.total and self.total != state.get("total"):
            self.next_valid = math.floor(self.steps / self.total * VALIDATIONS) + 1   # spread over the new plan
        self.losses = list(resume.losses)
        self.valid_losses.extend(tuple(x) for x in state.get("valid_losses", []))
        if state.get("best_at") is not None:
            best = state.tensors_under(BEST) or state.tensors_under(LAST)
            device = next(self.net.parameters()).device
            self.best_loss, self.best_state = float(state.get("best_loss")), (int(state.get("best_at")),
                                                                                _as_torch(best, device))

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def finished(self) -> bool:
        return bool(self.total and self.steps >= self.total) or self.elapsed() >= self.budget

    def step(self, size: int) -> Chunk:
        fraction = max(self.steps / self.total if self.total else 0.0, self.elapsed() / self.budget)
        for group in self.opt.param_groups:
            group["lr"] = self.config.lr * _lr_factor(fraction)
        loss = _loss(self.net, self.draw(fraction), self.config.objective)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
        self.opt.step()
        self.steps += 1
        value = loss.item()
        self.loss.add(value)
        self.losses.append((self.steps, value))
        if not self.total and self.steps >= 4:
            # the plan: as many batches as the measured pace fits into the budget
            self.total = max(self.steps + 1, int(self.budget / (self.elapsed() / self.steps)))
        if not self.total:
            return Chunk(self.steps, self.loss.value)
        return self._checked()

    def _checked(self) -> Chunk:
        """The step's chunk, validated when its turn has come."""
        elapsed = self.elapsed()
        fraction = max(self.steps / self.total, elapsed / self.budget)
        validate_now = fraction >= self.next_valid / VALIDATIONS or self.steps >= self.total or elapsed >= self.budget
        message = f"Training deep clustering on {self.where}"
        if validate_now:
            self.next_valid = math.floor(fraction * VALIDATIONS) + 1
            if not self.config.steps:
                # re-plan at the pace so far: a busy machine must not leave the bar half-way
                self.total = max(self.steps + 1, round(self.steps * self.budget / elapsed)) \
                    if elapsed < self.budget else self.steps
            self.validate()
            message += f"; validation loss {self.valid_losses[-1][1]:.4f}"
        return Chunk(self.steps, self.loss.value, total=self.total, message=message, show=validate_now,
                     eta_cap=max(0.0, self.budget - self.elapsed()))

    def validate(self) -> None:
        """Score the validation crops; remember the weights when they are the best so far."""
        self.net.eval()
        with torch.no_grad():
            loss = _loss(self.net, self.valid, self.config.objective).item()
        self.net.train()
        self.valid_losses.append((self.steps, loss))
        if loss < self.best_loss:
            self.best_loss = loss
            self.best_state = (self.steps, {k: t.detach().clone() for k, t in self.net.state_dict().items()})

    def snapshot(self):
        return _snapshot(self.net, self.valid)

    def end(self, seconds: float, stopped: bool) -> TrainingState:
        """Where training stood, to continue it; then the network at its best weights, validated last."""
        training = _resume_point(self.steps, self.opt, self.rng, self.net, self.best_state, {
            "smooth_loss": self.loss.value, "total": self.total, "next_valid": self.next_valid, "seconds": seconds,
            "valid_losses": [list(v) for v in self.valid_losses], "finished": not stopped,
            "best_loss": self.best_loss if self.best_state is not None else None,
            "best_at": self.best_state[0] if self.best_state is not None else None})
        if self.steps and (not self.valid_losses or self.valid_losses[-1][0] != self.steps):
            self.validate()
        if self.best_state is not None and self.best_state[0] != self.steps:
            # the last batches made it worse on held-out sentences: keep the best weights instead
            self.net.load_state_dict(self.best_state[1])
        self.net.eval()
        return training


def train(config: DeepClusteringConfig, corpus=None, resume: DeepClusteringModel | None = None):
    """Train deep clustering on the eSpeak demo mixtures, or on the broad data as well (``corpus``
    is unused: the model brings its own data). A generator of :class:`Progress` returning a
    :class:`DeepClusteringModel`. Send STOP to end training early: the model so far is still
    tested and returned.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more steps
    or minutes), continued from where it ended. With ``start="pretrained"`` a new run starts from
    the bundled model's weights instead of random ones."""
    validate(config)
    config, base = _starting_point(config) if resume is None else (config, None)
    state = check_resumable(resume, config) if resume is not None else None
    device = resolve_device(config.device)
    threads = _set_torch_threads(config.threads)
    # LSTM states that decay towards zero turn subnormal, and subnormal arithmetic on a CPU runs
    # a hundred times slower: a tiny model once took minutes for seconds of work
    torch.set_flush_denormal(True)
    rng = seed_everything(config.seed)
    net, draw, valid, test_mixtures, data, data_seconds = yield from _prepare(config, base, state, device, rng)
    where = "CPU, %d thread(s)" % threads if device.type == "cpu" else str(device)
    steps = _Steps(net, draw, valid, config, rng, where, resume, state)
    first = f"Continuing from batch {steps.steps:,}" if state is not None else "Timing a few batches"
    run = yield from train_loop(steps, Progress(steps.steps, 0, unit="batches", message=f"{first} on {where}"),
                                Pace(event_seconds=EVENT_SECONDS, snapshot_seconds=SNAPSHOT_SECONDS))
    seconds = steps.elapsed()
    model = DeepClusteringModel(config, net, data.sample_rate, {}, steps.losses[-5000:], steps.valid_losses,
                                steps.end(seconds, run.stopped))
    scores = yield from score_test_split(model, test_mixtures)
    model.net = net.cpu()
    model.stats = {"model": NAME, "seconds": seconds, "data_seconds": data_seconds, "steps": steps.steps,
                   "batches_per_second": (steps.steps - steps.first_step) / (seconds - steps.before)
                   if seconds > steps.before else 0.0,
                   "final_loss": steps.loss.value, "valid_loss": steps.best_loss, "device": device.type,
                   "threads": threads if device.type == "cpu" else 0, "stopped_early": run.stopped,
                   "parameters": sum(p.numel() for p in net.parameters()), "demo_data": str(data.folder), **scores}
    continued(model.stats, resume, "resumed_at_step", steps.first_step, keys=())
    return model


def score_test_split(model: DeepClusteringModel, mixtures: list[demo.Mixture]):
    """Score the model and the oracles on the test mixtures; yields Progress (unit "mixtures")
    and returns ``test_*`` means (dB). A STOP here ends testing with the mixtures done so far."""
    rows = []
    rate = Rate(len(mixtures))
    for i, m in enumerate(mixtures):
        rows.append(model.evaluate(m.mixture, m.sources, with_sdr=True))
        speed, eta = rate.update(i + 1)
        reply = yield Progress(i + 1, len(mixtures), unit="mixtures", items_per_second=speed, eta_seconds=eta,
                               message="Separating the test mixtures (unseen voices)")
        if reply == STOP:
            break
    out = {"test_mixtures": len(rows)}
    keys = ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement", "mixture_si_sdr", "mixture_sdr")
    for k in keys:
        out[f"test_{k}"] = float(np.mean([r[k] for r in rows])) if rows else float("nan")
    for oracle in ("ibm", "irm"):
        for k in ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement"):
            out[f"test_{oracle}_{k}"] = float(np.mean([r[oracle][k] for r in rows])) if rows else float("nan")
    return out
