"""Everything a separation view shows about one mixture, computed in one pass away from the GUI.

:func:`separate_steps` reads the mixture (a demo test mixture with its two voices, a WAV file,
or arrays), separates it with a trained deep clustering model, orders the estimates like the
references when there are some, scores them next to the oracle masks, and picks the bins for
the embedding scatter with their PCA coordinates. It is a progress generator, like a trainer.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.vectors import projection
from models.audio import demo, wav
from models.audio.deep_clustering import DeepClusteringModel, Separation, evaluate_with_oracles, one_torch_thread
from models.audio.features import as_tensor, stft
from models.core.events import Progress

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "separation" / "examples"
MAX_POINTS = 4000
SDR_SECONDS = 120      # mixtures with references up to this long are scored with SDR as well      # scatter points: enough to see the clouds, few enough for UMAP in seconds
FLOOR_DB = 80.0        # spectrogram colour range below the loudest bin
STEPS = 4


@dataclass(frozen=True)
class MixtureInput:
    name: str
    mixture: np.ndarray                  # (samples,) float32 at the model's rate
    references: np.ndarray | None = None  # (2, samples): the two voices alone, when known
    clipped: int = 0                      # samples of its file beyond [-1, 1], clipped on reading
    note: str = ""                        # what reading its file had to change, for the status line


@dataclass(frozen=True)
class DemoChoice:
    """Test mixture ``index`` of the demo data made for ``spec`` (unseen voices)."""

    spec: demo.DemoSpec
    index: int

    @property
    def name(self) -> str:
        return f"demo test mixture {self.index + 1}"


@dataclass(frozen=True)
class ExampleChoice:
    """A bundled example: ``NAME.wav`` in ``folder`` with its voices alone in ``NAME_voice1.wav``
    and ``NAME_voice2.wav``."""

    folder: Path
    stem: str
    title: str

    @property
    def name(self) -> str:
        return self.title


def bundled_examples(folder: Path = EXAMPLES) -> list[ExampleChoice]:
    """The example mixtures shipped beside the bundled model, titled by ``examples.json``."""
    try:
        titles = json.loads((folder / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [ExampleChoice(folder, stem, str(title)) for stem, title in titles.items()
            if isinstance(stem, str) and re.fullmatch(r"[\w-]+", stem) and (folder / f"{stem}.wav").is_file()]


@dataclass
class SeparationReport:
    name: str
    separation: Separation
    sources: np.ndarray                 # (2, samples): estimates, in the references' order if any
    references: np.ndarray | None       # (2, samples) or None
    scores: dict | None                 # evaluate_with_oracles(...) or None without references
    mixture_db: np.ndarray              # (freqs, frames) float32
    source_db: np.ndarray               # (2, freqs, frames) float32: the masked mixture
    levels: tuple[float, float]         # dB range shared by all spectrograms
    owner: np.ndarray                   # (freqs, frames) int8: estimate owning each bin, -1 silent
    points: np.ndarray                  # (n,) int64 flat bin indices (freq * frames + frame)
    embeddings: np.ndarray              # (n, dim) float32
    pca: np.ndarray                     # (n, 2) float32
    cluster: np.ndarray                 # (n,) int64: estimate of each point
    truth: np.ndarray | None            # (n,) int64: louder reference in each point's bin
    hop_seconds: float
    bin_hz: float
    note: str = ""                      # what reading the mixture's file had to change (clipping)

    @property
    def sample_rate(self) -> int:
        return self.separation.sample_rate

    @property
    def shape(self) -> tuple[int, int]:
        return self.mixture_db.shape

    def bin_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """(seconds, hertz) of every scatter point's bin."""
        f, t = np.divmod(self.points, self.shape[1])
        return t * self.hop_seconds, f * self.bin_hz

    def bins_mask(self, which: np.ndarray) -> np.ndarray:
        """(freqs, frames) bool: True at the bins of the points ``which`` (indices or bool)."""
        out = np.zeros(self.shape, bool)
        out.flat[self.points[which]] = True
        return out


def load_mixture_steps(source, sample_rate: int):
    """A :class:`MixtureInput` from a :class:`DemoChoice` (made on first use, with progress),
    a WAV path (any rate and channels: averaged to mono and resampled), or a MixtureInput."""
    if isinstance(source, MixtureInput):
        return source
    if isinstance(source, ExampleChoice):
        mix = wav.read_mono(source.folder / f"{source.stem}.wav", sample_rate).samples
        refs = [wav.read_mono(source.folder / f"{source.stem}_voice{k}.wav", sample_rate).samples for k in (1, 2)]
        n = min(len(mix), *(len(r) for r in refs))
        return MixtureInput(source.name, mix[:n], np.stack([r[:n] for r in refs]))
    if isinstance(source, DemoChoice):
        data = yield from demo.load_steps(source.spec)
        if data.sample_rate != sample_rate:
            raise ValueError(f"demo data at {data.sample_rate} Hz for a model at {sample_rate} Hz")
        m = data.test[source.index]
        return MixtureInput(source.name, m.mixture, m.sources)
    path = Path(source)
    rec = wav.read_mono(path, sample_rate, wav.MAX_MIXTURE_SECONDS)
    return MixtureInput(path.name, rec.samples, clipped=rec.clipped, note=rec.note)


def separate_steps(model: DeepClusteringModel, source, max_points: int = MAX_POINTS):
    """Progress generator returning a :class:`SeparationReport` for ``source`` (see
    :func:`load_mixture_steps`)."""
    yield _step(0, message="Reading the mixture")
    item = yield from load_mixture_steps(source, model.sample_rate)
    yield _step(1, message="Embedding the time-frequency bins and clustering")
    with one_torch_thread():
        sep = yield from _separating(model, item.mixture)
        yield _step(2, message="Scoring against the references" if item.references
                       is not None else "Preparing the views")
        refs, scores, order = _score(model, sep, item)
        truth_bins = _dominant_reference(refs[:, :sep.detail_samples], model) if refs is not None else None
    yield _step(3, message="Projecting the embeddings (PCA)")
    report = _report(model, item.name, sep, refs, scores, order, truth_bins, max_points)
    report.note = item.note
    yield _step(STEPS, message="Done")
    return report


def _step(at: float, message: str) -> Progress:
    """Progress through the report's STEPS, in hundredths so a long separation moves the bar."""
    return Progress(int(100 * at), 100 * STEPS, unit="%", message=message)


def _separating(model: DeepClusteringModel, mixture: np.ndarray):
    """The model's chunked separation, its progress folded into the second of the report's steps."""
    gen = model.separate_steps(mixture)
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            return stop.value
        yield _step(1 + ev.fraction,
                    message=f"Separating: {ev.step:,} of {ev.total_steps:,} s" if ev.total_steps > 30 else
                    "Embedding the time-frequency bins and clustering")


def _score(model, sep: Separation, item: MixtureInput):
    """References cut to the mixture, scores, and the estimate order that matches them."""
    if item.references is None:
        return None, None, np.arange(2)
    n = len(sep.mixture)
    refs = np.zeros((2, n), np.float32)
    r = np.asarray(item.references, np.float32)[:, :n]
    refs[:, :r.shape[1]] = r
    # BSS Eval's SDR grows with the square of the length: past a few minutes, SI-SDR only
    with_sdr = n <= SDR_SECONDS * sep.sample_rate
    scores = evaluate_with_oracles(sep.sources, refs, sep.mixture, model.config.stft(), with_sdr)
    return refs, scores, np.asarray(scores["permutation"])


def _dominant_reference(refs: np.ndarray, model) -> np.ndarray:
    """(freqs, frames): which reference is louder in each bin (the ideal binary mask's owner)."""
    specs = stft(as_tensor(refs), model.config.stft())
    return specs.abs().argmax(0).numpy()


def _db(magnitude: np.ndarray) -> np.ndarray:
    return (20.0 * np.log10(magnitude + 1e-8)).astype(np.float32)


def _report(model, name, sep, refs, scores, order, truth_bins, max_points) -> SeparationReport:
    rank = np.argsort(order)                 # estimate e is shown as source rank[e]
    owner = np.where(sep.active, rank[sep.owner], -1).astype(np.int8)
    mixture_db = _db(sep.magnitude)
    peak = float(mixture_db.max())
    masks = np.stack([rank[sep.owner] == k for k in range(2)])
    source_db = np.where(masks, mixture_db[None], peak - FLOOR_DB - 20.0).astype(np.float32)
    active = np.flatnonzero(sep.active)
    points = active if len(active) <= max_points else active[np.linspace(0, len(active) - 1, max_points).astype(int)]
    emb = np.ascontiguousarray(sep.embeddings.reshape(-1, sep.embeddings.shape[-1])[points], np.float32)
    cfg = model.config.stft()
    return SeparationReport(
        name=name, separation=sep, sources=np.ascontiguousarray(sep.sources[order]), references=refs,
        scores=scores, mixture_db=np.ascontiguousarray(mixture_db), source_db=np.ascontiguousarray(source_db),
        levels=(peak - FLOOR_DB, peak), owner=owner, points=points.astype(np.int64), embeddings=emb,
        pca=projection.pca(emb) if len(emb) else np.zeros((0, 2), np.float32),
        cluster=rank[sep.owner.reshape(-1)[points]].astype(np.int64),
        truth=truth_bins.reshape(-1)[points].astype(np.int64) if truth_bins is not None else None,
        hop_seconds=cfg.hop / sep.sample_rate, bin_hz=sep.sample_rate / cfg.n_fft)
