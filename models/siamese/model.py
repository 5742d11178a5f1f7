"""A twin CNN for query-by-example matching with one recording per item, and its baseline.

Both branches share one small CNN that maps a log-mel excerpt to a unit vector. Training pairs
a clean window of an item's database recording with the same passage re-performed (other
timbre, tempo and pitch) and noisy; every other positive of the batch is a different pair.
Items are split: the network trains on some, and the metrics come from noisy queries of the
others, matched against the whole database: one-shot matching of items it never saw.

A query is scored against an item by its best-matching window of the item's recording. The
baseline does the same with no learning: the correlation (cosine of the mean-removed excerpts)
of raw log-mel excerpts at the best alignment, frame by frame.

A run can stop and go on later (``train(..., resume=matcher)``): the database and the training
pool are rebuilt from the seed as before, and the matcher keeps Adam's moments, the schedule's
step and the random streams (see models.core.resume_torch); the loss curve has a point every fixed
number of steps, so on the CPU a run stopped and resumed gives the same weights and curve as one
straight through.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.core.checkpoint import load_module
from models.core.device import resolve_device, seed_everything, set_threads
from models.core.events import Progress, Rate
from models.core.loop import Chunk, Smoothed, continued, curve_point_due, train_loop
from models.core.params import param, validate
from models.core.result import TrainedResult, TrainingState
from models.core.resume_torch import capture, check_continuable, restore
from models.core.rebuild import load_saved
from models.siamese import losses
from models.siamese.audio import FLOOR, FRAMES_PER_SECOND, log_mel, mel_power, standardise, windows
from models.siamese.database import (SOURCES, Database, QuerySettings, build_database_steps, draw_variant,
                                     make_query, render_variant)
from models.siamese.music import SAMPLE_RATE

NAME = "siamese"
GALLERY_HOP = 8          # frames between database windows (0.26 s): a query aligns within half
LOSSES = ("pair", "contrastive", "triplet")


@dataclass
class SiameseConfig:
    source: str = param("bach", "Melodies of the database: Bach chorales (bundled) or random tunes",
                        choices=SOURCES)
    items: int = param(250, "Items in the database, one recording each", low=4, high=5000)
    holdout: float = param(0.3, "Share of items never trained on; the metrics come from their queries",
                           low=0.05, high=0.95)
    excerpt: float = param(3.0, "Length of queries and of the windows compared, in seconds", low=0.5, high=10.0)
    dim: int = param(64, "Embedding dimensions", low=2, high=1024)
    loss: str = param("pair", "Pair loss -y log s(z.z') - (1-y) log(1 - s(z.z')), contrastive or triplet",
                      choices=LOSSES)
    margin: float = param(0.5, "Margin of the contrastive and triplet losses", low=0.0, high=4.0, advanced=True)
    steps: int = param(1200, "Training steps", low=1, high=1_000_000)
    batch: int = param(32, "Pairs per step (every other pair of the batch is a different pair)", low=2, high=1024)
    lr: float = param(2e-3, "Adam learning rate", low=1e-6, high=1.0, advanced=True)
    channels: int = param(32, "Channels of the CNN's widest layers", low=4, high=256, advanced=True)
    item_beats: float = param(16.0, "Length of each database item in beats, at 100 beats a minute",
                              low=4.0, high=64.0, advanced=True)
    variants: int = param(3, "Re-performances rendered per training item", low=1, high=64, advanced=True)
    queries: int = param(3, "Noisy test queries per held-out item", low=1, high=100, advanced=True)
    min_snr: float = param(0.0, "Lowest signal-to-noise ratio of queries, dB (the highest is 20)",
                           low=-20.0, high=20.0, advanced=True)
    # one thread: this network's small convolutions gain little from more, and lose much when
    # the cores are shared
    threads: int = param(1, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    device: str = param("auto", "Where to train: auto picks CUDA when present", choices=("auto", "cpu", "cuda"),
                        advanced=True)
    seed: int = param(1, "Random seed", low=0, high=2**31 - 1, advanced=True)

    # The network's shape and what the database and training pool are built from must stay.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("source", "items", "holdout", "excerpt", "dim", "channels",
                                                  "item_beats", "variants", "min_snr", "seed")

    def query_settings(self) -> QuerySettings:
        return QuerySettings(excerpt_s=self.excerpt, snr_db=(self.min_snr, max(self.min_snr, 20.0)))

    @property
    def window(self) -> int:
        return max(8, int(round(self.excerpt * FRAMES_PER_SECOND)))


# --- the network -------------------------------------------------------------------------------

def _block(cin: int, cout: int, pool: bool) -> list[nn.Module]:
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return layers + ([nn.MaxPool2d(2)] if pool else [])


class TwinNet(nn.Module):
    """(batch, n_mels, frames) log-mel -> (batch, dim) unit vectors. Pooling over frequency and
    time makes it tolerant of the small pitch and tempo changes it is trained against; the
    strided first layer and early pooling keep a training step cheap on two CPU cores."""

    def __init__(self, dim: int = 64, channels: int = 32):
        super().__init__()
        c = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c // 2, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(),
            nn.MaxPool2d(2), *_block(c // 2, c, True), *_block(c, 2 * c, False),
            nn.AdaptiveAvgPool2d((2, 4)))
        self.head = nn.Linear(2 * c * 8, dim)
        # the pair loss scores s(scale * cos + bias); cos alone cannot reach near 0 or 1
        self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.bias = nn.Parameter(torch.tensor(-5.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(standardise(x).unsqueeze(1)).flatten(1)
        return F.normalize(self.head(h), dim=-1)


# --- scoring -----------------------------------------------------------------------------------

def item_scores(query_emb: torch.Tensor, gallery: torch.Tensor, gallery_item: torch.Tensor,
                n_items: int) -> torch.Tensor:
    """(q windows, dim) against the gallery -> (n_items,): per item, each query window's best
    cosine with the item's windows, averaged over the query's windows."""
    sims = query_emb @ gallery.T                                           # (q, g)
    best = torch.full((sims.shape[0], n_items), -1.0, dtype=sims.dtype)
    best = best.scatter_reduce(1, gallery_item.long().expand_as(sims), sims, reduce="amax")
    return best.mean(0)


def baseline_scores(query_feats: torch.Tensor, item_feats: list[torch.Tensor]) -> torch.Tensor:
    """(n_q, n_mels, L) log-mel queries against each item's (n_mels, T) log-mel -> (n_q, n_items):
    the best correlation over every alignment, a no-learning reference."""
    n_q, _, L = query_feats.shape
    q = query_feats - query_feats.mean(dim=(1, 2), keepdim=True)
    q = q / q.flatten(1).norm(dim=1).clamp_min(1e-8)[:, None, None]
    n = q.shape[1] * L
    out = torch.empty(n_q, len(item_feats))
    for i, x in enumerate(item_feats):
        if x.shape[-1] < L:
            x = F.pad(x, (0, L - x.shape[-1]), value=float(x.min()))
        dots = F.conv1d(x[None], q)[0]                                     # (n_q, T - L + 1)
        col1, col2 = x.sum(0), (x * x).sum(0)
        c1 = torch.cat([col1.new_zeros(1), col1.cumsum(0)])
        c2 = torch.cat([col2.new_zeros(1), col2.cumsum(0)])
        s1, s2 = c1[L:] - c1[:-L], c2[L:] - c2[:-L]
        norm = (s2 - s1 * s1 / n).clamp_min(1e-8).sqrt()
        out[:, i] = (dots / norm).amax(dim=1)
    return out


def ranking_metrics(scores: torch.Tensor, truth: np.ndarray) -> dict:
    """Top-1, top-5 accuracy and the ROC AUC of same/different pairs from (n_q, n_items) scores."""
    from sklearn.metrics import roc_auc_score       # deferred: scikit-learn is heavy, and only testing needs it

    s = scores.numpy()
    truth = np.asarray(truth)
    true_score = s[np.arange(len(s)), truth]
    rank = (s > true_score[:, None]).sum(1)        # ties count in the query's favour
    labels = np.zeros_like(s, dtype=bool)
    labels[np.arange(len(s)), truth] = True
    return {"top1": float((rank < 1).mean()), "top5": float((rank < 5).mean()),
            "auc": float(roc_auc_score(labels.ravel(), s.ravel()))}


# --- the trained matcher -----------------------------------------------------------------------

@dataclass
class SiameseMatcher(TrainedResult):
    config: SiameseConfig
    state: dict[str, np.ndarray]          # the network's weights
    gallery: np.ndarray                   # (windows, dim) float32 unit vectors of the database
    gallery_item: np.ndarray              # (windows,) int32: which item each window belongs to
    names: list[str]
    stats: dict = field(default_factory=dict)
    losses: list[tuple[int, float]] = field(default_factory=list)
    model: str = NAME
    training: TrainingState | None = None     # where training stood, to continue it

    def net(self) -> TwinNet:
        if not hasattr(self, "_net"):
            self._net = load_module(lambda: TwinNet(self.config.dim, self.config.channels), self.state).eval()
        return self._net

    @torch.no_grad()
    def embed(self, wave: np.ndarray) -> torch.Tensor:
        """(samples,) mono audio at SAMPLE_RATE -> (windows, dim) unit vectors."""
        feats, _ = windows(log_mel(wave), self.config.window, GALLERY_HOP)
        return self.net()(feats)

    @torch.no_grad()
    def scores(self, wave: np.ndarray) -> np.ndarray:
        return item_scores(self.embed(wave), torch.from_numpy(self.gallery),
                           torch.from_numpy(self.gallery_item), len(self.names)).numpy()

    def match(self, wave: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` best-matching items of mono audio at SAMPLE_RATE, best first, with scores."""
        s = self.scores(wave)
        order = np.argsort(-s, kind="stable")[:k]
        return [(self.names[i], float(s[i])) for i in order]

    def parts(self) -> tuple[dict, dict]:
        tensors = {f"net.{k}": v for k, v in self.state.items()}
        tensors["gallery.embeddings"] = self.gallery
        tensors["gallery.items"] = self.gallery_item
        return tensors, {"names": self.names}

    @classmethod
    def rebuilt(cls, config, t, extra, training) -> "SiameseMatcher":
        state = {k[4:]: v for k, v in t.items() if k.startswith("net.")}
        gallery, items, names = t["gallery.embeddings"], t["gallery.items"], list(extra["names"])
        # Scoring takes each window's item as an index into the names and its vector at the net's width.
        if gallery.shape[1:] != (config.dim,) or items.shape != gallery.shape[:1] or items.dtype.kind not in "iu" \
                or not ((items >= 0) & (items < len(names))).all() or not all(isinstance(n, str) for n in names):
            raise ValueError("a database whose windows do not fit the item names or the network")
        return cls(config, state, gallery, items, names, *cls.history(extra), training=training)

    @classmethod
    def load(cls, folder: str | Path) -> "SiameseMatcher":
        return load_saved(cls, SiameseConfig, folder, NAME, "a Siamese matcher")

    def summary(self) -> str:
        s = self.stats
        return (f"top-1 {s['top1']:.3f} (baseline {s['baseline_top1']:.3f}), top-5 {s['top5']:.3f} "
                f"(baseline {s['baseline_top5']:.3f}), AUC {s['auc']:.3f} (baseline {s['baseline_auc']:.3f})")


def load_matcher(folder: str | Path) -> SiameseMatcher:
    return SiameseMatcher.load(folder)


# --- training data -----------------------------------------------------------------------------

@dataclass
class _Pool:
    """What training draws from: clean database features and re-performed, noise-free mel power."""
    db_feats: list[torch.Tensor]              # log-mel of each training item's recording
    variants: list[list[tuple[torch.Tensor, float, float]]]   # per item: (mel power, tempo, signal power)
    noise: torch.Tensor                       # mel power of unit-variance white noise


def _prepare_pool(db: Database, train_items: np.ndarray, cfg: SiameseConfig, rng: np.random.Generator):
    settings = cfg.query_settings()
    rate = Rate(len(train_items))
    feats, variants = [], []
    for n, i in enumerate(train_items):
        feats.append(log_mel(db.waves[i]))
        vs = []
        for _ in range(cfg.variants):
            v = draw_variant(db, int(i), rng, settings)
            wave = render_variant(db, v)
            vs.append((mel_power(wave), v.tempo, float(np.mean(wave.astype(np.float64) ** 2)) or 1e-8))
        variants.append(vs)
        if n % 5 == 0:
            speed, eta = rate.update(n)
            yield Progress(n, len(train_items), items_per_second=speed, eta_seconds=eta, unit="items",
                           message="Rendering re-performances for training")
    noise = mel_power(rng.standard_normal(SAMPLE_RATE * 20).astype(np.float32))
    return _Pool(feats, variants, noise)


def _draw_batch(pool: _Pool, cfg: SiameseConfig, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(anchors, positives), each (batch, n_mels, window): row i of both is the same passage."""
    L = cfg.window
    jitter = GALLERY_HOP // 2
    rows = rng.choice(len(pool.db_feats), size=min(cfg.batch, len(pool.db_feats)), replace=False)
    anchors, positives = [], []
    for r in rows:
        db = pool.db_feats[r]
        power, tempo, sig = pool.variants[r][rng.integers(len(pool.variants[r]))]
        t_db = int(rng.integers(0, max(1, db.shape[-1] - L + 1)))
        t_q = int(np.clip(round(t_db / tempo), 0, max(0, power.shape[-1] - L)))
        # the gallery holds a window every GALLERY_HOP frames, so the anchor is off by up to half that
        t_a = int(np.clip(t_db + rng.integers(-jitter, jitter + 1), 0, max(0, db.shape[-1] - L)))
        anchors.append(_fit(db[:, t_a:t_a + L], L))
        snr = rng.uniform(cfg.min_snr, max(cfg.min_snr, 20.0))
        t_n = int(rng.integers(0, pool.noise.shape[-1] - L))
        # mel power adds up for independent sounds, so noise is mixed in here, not in the waveform
        noisy = _fit(power[:, t_q:t_q + L], L) + pool.noise[:, t_n:t_n + L] * (sig / 10 ** (snr / 10))
        gain = 10 ** (rng.uniform(-12, 6) / 10)
        positives.append(_fit(torch.log(gain * noisy + FLOOR), L))
    return torch.stack(anchors), torch.stack(positives)


def _fit(x: torch.Tensor, L: int) -> torch.Tensor:
    if x.shape[-1] >= L:
        return x[:, :L]
    return F.pad(x, (0, L - x.shape[-1]), value=float(x.min()))


def _batch_loss(net: TwinNet, za: torch.Tensor, zp: torch.Tensor, cfg: SiameseConfig) -> torch.Tensor:
    n = len(za)
    if cfg.loss == "triplet":
        return losses.batch_hard_triplet_loss(za, zp, cfg.margin)
    ia, ip = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    y = torch.eye(n).flatten()
    zi, zj = za[ia.flatten()], zp[ip.flatten()]
    if cfg.loss == "contrastive":
        return losses.contrastive_loss(zi, zj, y, cfg.margin, balance=True)
    return losses.pair_loss(zi, zj, y, net.log_scale.exp(), net.bias, balance=True)


# --- evaluation --------------------------------------------------------------------------------

@torch.no_grad()
def _gallery(net: TwinNet, db: Database, L: int, device) -> tuple[np.ndarray, np.ndarray, list[torch.Tensor]]:
    embs, owners, feats = [], [], []
    for i, w in enumerate(db.waves):
        f = log_mel(w)
        feats.append(f)
        win, _ = windows(f, L, GALLERY_HOP)
        embs.append(net(win.to(device)).cpu())
        owners.append(np.full(len(win), i, dtype=np.int32))
    return torch.cat(embs).numpy(), np.concatenate(owners), feats


def make_test_queries(db: Database, items: np.ndarray, cfg: SiameseConfig) -> tuple[list[np.ndarray], np.ndarray]:
    """Noisy re-performed excerpts of ``items``; the same config gives the same queries."""
    rng = np.random.default_rng([cfg.seed, 1234])
    waves, truth = [], []
    for i in items:
        for _ in range(cfg.queries):
            w, _, _ = make_query(db, int(i), rng, cfg.query_settings())
            waves.append(w)
            truth.append(int(i))
    return waves, np.asarray(truth)


@torch.no_grad()
def evaluate(net: TwinNet, db: Database, test_items: np.ndarray, cfg: SiameseConfig, device):
    """A generator (progress per stage) returning (metrics dict, gallery, gallery_item)."""
    yield Progress(0, 3, unit="stages", message="Embedding the database")
    net.eval()
    gallery, owners, item_feats = _gallery(net, db, cfg.window, device)
    yield Progress(1, 3, unit="stages", message="Matching the held-out queries")
    waves, truth = make_test_queries(db, test_items, cfg)
    g, o = torch.from_numpy(gallery), torch.from_numpy(owners)
    learned = torch.stack([item_scores(net(windows(log_mel(w), cfg.window, GALLERY_HOP)[0].to(device)).cpu(),
                                       g, o, len(db)) for w in waves])
    yield Progress(2, 3, unit="stages", message="Scoring the baseline")
    query_feats = torch.stack([_fit(log_mel(w), cfg.window) for w in waves])
    base = baseline_scores(query_feats, item_feats)
    m = ranking_metrics(learned, truth)
    b = ranking_metrics(base, truth)
    m.update({f"baseline_{k}": v for k, v in b.items()})
    m["test_queries"] = len(waves)
    return m, gallery, owners


# --- the trainer -------------------------------------------------------------------------------

def _lr_factor(step: int, total: int) -> float:
    """Linear warm-up over the first tenth, then linear decay: any number of steps, even one."""
    warm = max(1, total // 10)
    return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))


def split_items(n: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train items, held-out items), a fixed split for a given seed."""
    order = np.random.default_rng([seed, 99]).permutation(n)
    n_test = min(n - 2, max(1, int(round(n * holdout))))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def check_resumable(matcher, config: SiameseConfig) -> TrainingState:
    """The state to continue ``matcher`` from with ``config``, or a UserError saying why not."""
    return check_continuable(matcher, NAME, config, getattr(matcher, "training", None))


class _Steps:
    """The loop's steps: one Adam step on a batch of (clean, re-performed noisy) pairs."""

    def __init__(self, net: TwinNet, pool: _Pool, config: SiameseConfig, rng, device, state, curve: list):
        self.net, self.pool, self.config, self.rng, self.device, self.curve = net, pool, config, rng, device, curve
        self.opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: _lr_factor(s, config.steps))
        self.steps, self.loss = 0, Smoothed(0.05)
        if state is not None:
            restore(state, self.opt, scheduler=self.sched, rngs={"batches": rng})
            self.steps, self.loss.value = state.step, state.get("smooth_loss")

    def step(self, size: int) -> Chunk:
        self.net.train()
        anchors, positives = _draw_batch(self.pool, self.config, self.rng)
        za, zp = self.net(anchors.to(self.device)), self.net(positives.to(self.device))
        loss = _batch_loss(self.net, za, zp, self.config)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        self.steps += 1
        self.loss.add(float(loss.detach()))
        if curve_point_due(self.steps, self.config.steps):
            self.curve.append((self.steps, self.loss.value))
        return Chunk(self.steps, self.loss.value)

    def finished(self) -> bool:
        return self.steps >= self.config.steps

    def snapshot(self):
        return None         # the matcher has no live view of its embedding

    def state(self) -> TrainingState:
        return capture(self.steps, self.opt, scheduler=self.sched, rngs={"batches": self.rng},
                       values={"smooth_loss": self.loss.value})


def train(config: SiameseConfig, corpus=None, resume: SiameseMatcher | None = None):
    """Build the database, train the twin network, evaluate it and the baseline on held-out
    queries; a generator of Progress returning a :class:`SiameseMatcher`. Send STOP to end
    training early (the evaluation still runs).

    ``resume``: a matcher this trainer returned earlier (stopped early, or to train for more
    steps), continued from where it ended; its database and training pool are rebuilt first."""
    validate(config)
    state = check_resumable(resume, config) if resume is not None else None
    device = resolve_device(config.device)
    threads = set_threads(config.threads)
    rng = seed_everything(config.seed)
    t_start = time.perf_counter()
    db = yield from build_database_steps(config.source, config.items, config.item_beats, seed=0)
    train_items, test_items = split_items(len(db), config.holdout, config.seed)
    pool = yield from _prepare_pool(db, train_items, config, rng)
    t_data = time.perf_counter() - t_start
    net = TwinNet(config.dim, config.channels).to(device)
    if state is not None:
        net.load_state_dict({k: torch.tensor(v) for k, v in resume.state.items()})
    steps = _Steps(net, pool, config, rng, device, state, list(resume.losses) if resume is not None else [])
    verb = "Continuing" if resume is not None else "Training"
    run = yield from train_loop(steps, Progress(steps.steps, config.steps, unit="steps",
                                                message=f"{verb} the twin network ({config.loss} loss)"))
    training = steps.state()
    metrics, gallery, owners = yield from evaluate(net, db, test_items, config, device)
    weights = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    stats = {"model": NAME, **metrics, "seconds": time.perf_counter() - t_start, "train_seconds": run.seconds,
             "data_seconds": t_data, "final_loss": steps.loss.value, "steps_done": run.done,
             "stopped_early": run.stopped, "device": device.type, "threads": threads if device.type == "cpu" else 0,
             "items": len(db), "train_items": len(train_items), "test_items": len(test_items),
             "source": config.source, "database": str(db.folder) if db.folder else ""}
    continued(stats, resume, "resumed_at_step", run.start, ("seconds", "train_seconds"))
    return SiameseMatcher(config, weights, gallery, owners, list(db.names), stats, steps.curve, training=training)
