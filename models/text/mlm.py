"""Contextual word vectors from a small Transformer encoder trained as a masked language model.

Word-level tokens from the corpus vocabulary plus [PAD], [UNK] and [MASK]. Training follows BERT
(Devlin et al., 2019): 15% of the tokens are chosen; of those 80% become [MASK], 10% a random
word and 10% stay as they are, so the model cannot tell which visible words it will be asked
about and must keep a good vector for every position. The loss is cross-entropy on the chosen
tokens only; the output layer shares the input embedding matrix.

Unlike word2vec, one word gets a different vector in every sentence:
:func:`contextual_vectors` returns the encoder's last hidden state of each word occurrence.

A run can stop and go on later (``train(..., resume=model)``): the model keeps AdamW's moments,
the schedule's step and the random streams (see models.core.resume_torch), and the loss curve has
a point every fixed number of steps, so on the CPU a run stopped and resumed gives the same
weights and curve as one straight through.
"""
from __future__ import annotations

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
from models.core.events import Progress
from models.core.loop import Chunk, Smoothed, continued, curve_point_due, train_loop
from models.core.params import param, validate
from models.core.result import TrainedResult, TrainingState
from models.core.resume_torch import capture, check_continuable, restore
from models.core.rebuild import load_saved
from models.errors import CorpusError, UnknownWordError, UserError
from models.text.corpus import Corpus, tokenize
from models.text.resume import not_the_corpus
from models.text.vocab import Vocabulary, build_vocab
from models.vectors.store import WordVectors

NAME = "mlm"
PAD, UNK, MASK = 0, 1, 2
SPECIALS = ("[PAD]", "[UNK]", "[MASK]")
IGNORE = -100                 # label of positions the loss skips (torch's cross_entropy default)
MAP_WORDS = 1000
HELD_OUT = 2000               # sequences kept aside for the masked-token accuracy

CONTEXT_SENTENCES = ("I like the new chicken place on third street", "I played chicken at dark night")
"""The module's example: "chicken" the food and "chicken" the game of nerve."""


@dataclass
class MLMConfig:
    dim: int = param(128, "Hidden size (and vector dimensions)", low=8, high=2048)
    layers: int = param(2, "Transformer encoder layers", low=1, high=24)
    heads: int = param(4, "Attention heads (must divide the hidden size)", low=1, high=32)
    ff: int = param(256, "Feed-forward width of each layer", low=8, high=8192, advanced=True)
    max_len: int = param(32, "Tokens per training sequence; longer sentences are cut into pieces",
                         low=4, high=512, advanced=True)
    max_vocab: int = param(8000, "Keep only this many most frequent words; the rest read as [UNK]",
                           low=10, high=1_000_000)
    min_count: int = param(5, "Ignore words seen fewer times than this", low=1, high=10_000_000)
    mask_prob: float = param(0.15, "Share of tokens the model must predict (80% masked, 10% random, "
                                   "10% kept)", low=0.01, high=0.9, advanced=True)
    steps: int = param(1500, "Training steps", low=1, high=10_000_000)
    batch: int = param(64, "Sequences per step", low=1, high=4096)
    lr: float = param(1e-3, "Peak AdamW learning rate (warm-up, then linear decay)", low=1e-6, high=1.0,
                      advanced=True)
    dropout: float = param(0.1, "Dropout", low=0.0, high=0.9, advanced=True)
    # one thread: on two shared cores a second one mostly waits for the first
    threads: int = param(1, "CPU threads (0: all cores)", low=0, high=1024, advanced=True)
    device: str = param("auto", "Where to train: auto picks CUDA when present", choices=("auto", "cpu", "cuda"),
                        advanced=True)
    seed: int = param(1, "Random seed", low=0, high=2**31 - 1, advanced=True)

    # The network's shape, the vocabulary and the held-out split (drawn from the seed) must stay.
    FIXED_ON_RESUME: ClassVar[tuple[str, ...]] = ("dim", "layers", "heads", "ff", "max_len", "max_vocab",
                                                  "min_count", "seed")


# --- masking -----------------------------------------------------------------------------------

def mask_tokens(ids: torch.Tensor, vocab_size: int, mask_prob: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking of a (batch, len) id tensor -> (inputs, labels); the input is not modified.

    Non-padding tokens are chosen with probability ``mask_prob``; a chosen token becomes [MASK]
    (80%), a random word (10%) or stays (10%). ``labels`` holds the original id where chosen and
    IGNORE elsewhere.
    """
    g = dict(generator=generator, device=ids.device)
    chosen = (torch.rand(ids.shape, **g) < mask_prob) & (ids != PAD)
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    roll = torch.rand(ids.shape, **g)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = MASK
    random_words = torch.randint(len(SPECIALS), vocab_size, ids.shape, **g)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_words[swap]
    return inputs, labels


# --- the network -------------------------------------------------------------------------------

class MLMNet(nn.Module):
    """Token and position embeddings, a pre-norm Transformer encoder, and a tied output layer."""

    def __init__(self, vocab_size: int, cfg: MLMConfig):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, cfg.dim, padding_idx=PAD)
        self.pos = nn.Embedding(cfg.max_len, cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, cfg.ff, cfg.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.transform = nn.Sequential(nn.Linear(cfg.dim, cfg.dim), nn.GELU(), nn.LayerNorm(cfg.dim))
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        with torch.no_grad():
            self.tok.weight[PAD].zero_()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(batch, len) ids -> (batch, len, dim) contextual vectors."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.drop(self.tok(ids) + self.pos(positions)[None])
        h = self.encoder(h, src_key_padding_mask=ids == PAD)
        return self.norm(h)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.transform(hidden) @ self.tok.weight.T + self.out_bias


# --- data --------------------------------------------------------------------------------------

def token_ids(words, index: dict[str, int]) -> list[int]:
    return [index.get(w, UNK) for w in words]


def encode_sequences(sentences, index: dict[str, int], max_len: int) -> np.ndarray:
    """(n, max_len) int64 ids padded with PAD. Consecutive sentences are packed into one row while
    they fit, as BERT does, so a step spends little on padding; a sentence longer than max_len is
    cut into pieces. Rows of fewer than two tokens are dropped (nothing to predict from)."""
    rows, row = [], []
    for s in sentences:
        ids = token_ids(s, index)
        for i in range(0, len(ids), max_len):
            piece = ids[i:i + max_len]
            if len(row) + len(piece) > max_len:
                rows.append(row)
                row = []
            row = row + piece
    rows.append(row)
    rows = [r + [PAD] * (max_len - len(r)) for r in rows if len(r) >= 2]
    return np.asarray(rows, dtype=np.int64).reshape(-1, max_len)


# --- the trained model -------------------------------------------------------------------------

@dataclass
class TrainedMLM(TrainedResult):
    config: MLMConfig
    vocab: Vocabulary                     # words only; ids are shifted by len(SPECIALS)
    state: dict[str, np.ndarray]
    stats: dict = field(default_factory=dict)
    losses: list[tuple[int, float]] = field(default_factory=list)
    model: str = NAME
    training: TrainingState | None = None     # where training stood, to continue it

    @property
    def index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i + len(SPECIALS) for i, w in enumerate(self.vocab.words)}
        return self._index

    def net(self) -> MLMNet:
        if not hasattr(self, "_net"):
            self._net = load_module(lambda: MLMNet(len(self.vocab) + len(SPECIALS), self.config), self.state).eval()
        return self._net

    @property
    def vectors(self):
        """The input embeddings as context-free word vectors, for the neighbour and map views."""
        return WordVectors(list(self.vocab.words), self.state["tok.weight"][len(SPECIALS):])

    def parts(self) -> tuple[dict, dict]:
        return self.state, {"vocab": self.vocab.to_json()}

    @classmethod
    def rebuilt(cls, config, tensors, extra, training) -> "TrainedMLM":
        return cls(config, Vocabulary.from_json(extra["vocab"]), tensors, *cls.history(extra), training=training)

    @classmethod
    def load(cls, folder: str | Path) -> "TrainedMLM":
        return load_saved(cls, MLMConfig, folder, NAME, "a masked language model")

    def summary(self) -> str:
        s = self.stats
        return (f"masked-token accuracy {s['masked_accuracy']:.3f} on {s['held_out_sequences']} held-out "
                f"sequences (always '{self.vocab.words[0]}': {s['most_frequent_word_accuracy']:.3f}), "
                f"final loss {s['final_loss']:.3f}")


def load_mlm(folder: str | Path) -> TrainedMLM:
    return TrainedMLM.load(folder)


@torch.no_grad()
def contextual_vectors(model: TrainedMLM, sentence_tokens) -> np.ndarray:
    """One vector per word occurrence: (len(sentence_tokens), dim) float32.

    Tokens are lower-cased; words outside the vocabulary read as [UNK]. A sentence longer than
    the model's max_len is read in pieces of max_len.
    """
    words = [w.lower() for w in sentence_tokens]
    if not words:
        return np.zeros((0, model.config.dim), dtype=np.float32)
    ids = token_ids(words, model.index)
    net, L = model.net(), model.config.max_len
    out = [net(torch.tensor([ids[i:i + L]]))[0] for i in range(0, len(ids), L)]
    return torch.cat(out).numpy().astype(np.float32)


def word_similarity(model: TrainedMLM, word: str, sentences) -> np.ndarray:
    """Cosine similarity matrix of ``word``'s vectors across ``sentences`` (its first occurrence in
    each). Raises UserError naming the word or the sentence when either cannot be used."""
    word = word.lower()
    if word not in model.index:
        raise UnknownWordError(word, "Choose a word the model was trained on, or train with a larger "
                                     "--max-vocab.")
    rows = []
    for sentence in sentences:
        tokens = tokenize(sentence)
        if word not in tokens:
            raise UserError(f"'{word}' does not occur in the sentence \"{sentence}\".",
                            "Give sentences that contain the word.")
        rows.append(contextual_vectors(model, tokens)[tokens.index(word)])
    v = np.stack(rows)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v @ v.T


# --- the trainer -------------------------------------------------------------------------------

@torch.no_grad()
def masked_accuracy(net: MLMNet, data: torch.Tensor, vocab_size: int, cfg: MLMConfig, seed: int = 0,
                    batch: int = 256) -> tuple[float, float]:
    """Share of chosen tokens predicted exactly, with a fixed masking so runs compare, and the
    share a model with no context gets by always answering the most frequent word."""
    g = torch.Generator(device=data.device).manual_seed(seed)
    was_training = net.training
    net.eval()
    right = common = total = 0
    for i in range(0, len(data), batch):
        inputs, labels = mask_tokens(data[i:i + batch], vocab_size, cfg.mask_prob, g)
        chosen = labels != IGNORE
        pred = net.logits(net(inputs)[chosen]).argmax(-1)
        right += int((pred == labels[chosen]).sum())
        common += int((labels[chosen] == len(SPECIALS)).sum())    # id of the most frequent word
        total += int(chosen.sum())
    net.train(was_training)
    return (right / total, common / total) if total else (float("nan"), float("nan"))


def _lr_factor(step: int, total: int) -> float:
    warm = max(1, total // 20)
    return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))


def check_resumable(model, config: MLMConfig) -> TrainingState:
    """The state to continue ``model`` from with ``config``, or a UserError saying why not."""
    return check_continuable(model, NAME, config, getattr(model, "training", None))


def _sequences(config: MLMConfig, corpus: Corpus, resume: TrainedMLM | None, state):
    """(vocabulary, word index, encoded sequences): counted afresh, or the model's on the same corpus."""
    if resume is None:
        vocab = build_vocab(corpus, config.min_count, config.max_vocab, source=corpus.path.name)
    else:
        vocab = resume.vocab
    index = {w: i + len(SPECIALS) for i, w in enumerate(vocab.words)}
    seqs = encode_sequences(corpus.sentences, index, config.max_len)
    if state is not None:
        found, was = (len(seqs), int((seqs != PAD).sum())), (state.get("sequences"), state.get("tokens"))
        if found != was:
            raise not_the_corpus(corpus, resume, f"{found[0]:,} sequences of {found[1]:,} tokens",
                                 f"{was[0]:,} of {was[1]:,}")
    if len(seqs) < 4:
        raise CorpusError(f"{corpus.path.name} has {len(seqs)} sentence(s) of two or more words.",
                          "Use a larger corpus.")
    return vocab, index, seqs


class _Steps:
    """The loop's steps: one AdamW step on a batch of masked sequences drawn at random."""

    def __init__(self, net: MLMNet, data: torch.Tensor, config: MLMConfig, labels: tuple[str, ...],
                 state: TrainingState | None, curve: list):
        self.net, self.data, self.config, self.labels, self.curve = net, data, config, labels, curve
        self.vocab_size = net.out_bias.shape[0]
        self.opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=0.01)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: _lr_factor(s, config.steps))
        self.gen = torch.Generator(device=data.device).manual_seed(config.seed)
        self.steps = 0
        self.loss, self.accuracy = Smoothed(0.02), Smoothed(0.02)
        if state is not None:
            restore(state, self.opt, scheduler=self.sched, generators={"batches": self.gen})
            self.steps = state.step
            self.loss.value, self.accuracy.value = state.get("smooth_loss"), state.get("smooth_acc")

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked inputs and labels of a batch with at least one chosen token."""
        while True:
            rows = torch.randint(len(self.data), (self.config.batch,), generator=self.gen, device=self.data.device)
            inputs, labels = mask_tokens(self.data[rows], self.vocab_size, self.config.mask_prob, self.gen)
            if bool((labels != IGNORE).any()):
                return inputs, labels

    def step(self, size: int) -> Chunk:
        inputs, labels = self._batch()
        chosen = labels != IGNORE
        logits = self.net.logits(self.net(inputs)[chosen])
        loss = F.cross_entropy(logits, labels[chosen])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        self.steps += 1
        self.loss.add(float(loss.detach()))
        self.accuracy.add(float((logits.detach().argmax(-1) == labels[chosen]).float().mean()))
        if curve_point_due(self.steps, self.config.steps):
            self.curve.append((self.steps, self.loss.value))
        return Chunk(self.steps, self.loss.value, message=f"masked accuracy {self.accuracy.value:.3f}")

    def finished(self) -> bool:
        return self.steps >= self.config.steps

    def snapshot(self):
        rows = self.net.tok.weight[len(SPECIALS):len(SPECIALS) + MAP_WORDS]
        return rows.detach().cpu().numpy().copy(), self.labels

    def state(self, seqs: np.ndarray) -> TrainingState:
        return capture(self.steps, self.opt, scheduler=self.sched, generators={"batches": self.gen},
                       values={"smooth_loss": self.loss.value, "smooth_acc": self.accuracy.value,
                               "sequences": len(seqs), "tokens": int((seqs != PAD).sum())})


def train(config: MLMConfig, corpus: Corpus, resume: TrainedMLM | None = None):
    """Train the masked language model on ``corpus``; a generator of Progress that returns a
    :class:`TrainedMLM`. Send STOP to finish early and keep the model so far.

    ``resume``: a model this trainer returned earlier (stopped early, or to train for more
    steps), continued from where it ended."""
    validate(config)
    if config.dim % config.heads:
        raise UserError(f"heads ({config.heads}) must divide dim ({config.dim}).", "Change one of them.")
    state = check_resumable(resume, config) if resume is not None else None
    device = resolve_device(config.device)
    threads = set_threads(config.threads)
    rng = seed_everything(config.seed)
    t_start = time.perf_counter()
    yield Progress(0, 0, message="Building the vocabulary" if resume is None else "Reading the corpus")
    vocab, index, seqs = _sequences(config, corpus, resume, state)
    order = rng.permutation(len(seqs))
    n_test = min(HELD_OUT, max(1, len(seqs) // 20))
    test = torch.from_numpy(seqs[order[:n_test]]).to(device)
    net = MLMNet(len(vocab) + len(SPECIALS), config).to(device)
    if state is not None:
        net.load_state_dict({k: torch.tensor(v) for k, v in resume.state.items()})
    steps = _Steps(net, torch.from_numpy(seqs[order[n_test:]]).to(device), config, tuple(vocab.words[:MAP_WORDS]),
                   state, list(resume.losses) if resume is not None else [])
    where = f"{threads} thread(s)" if device.type == "cpu" else str(device)
    verb = "Continuing" if resume is not None else "Training"
    net.train()
    run = yield from train_loop(steps, Progress(steps.steps, config.steps, unit="steps",
                                                message=f"{verb} the masked language model on {where}"))
    training = steps.state(seqs)
    yield Progress(run.done, config.steps, unit="steps", message="Measuring the masked-token accuracy")
    held_out, unigram = masked_accuracy(net, test, len(vocab) + len(SPECIALS), config)
    net.eval()
    weights = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    stats = {"model": NAME, "seconds": time.perf_counter() - t_start, "masked_accuracy": held_out,
             "most_frequent_word_accuracy": unigram, "held_out_sequences": int(len(test)),
             "device": device.type, "threads": threads if device.type == "cpu" else 0, "vocab_size": len(vocab),
             "corpus": str(corpus.path), **_run_stats(run, steps)}
    continued(stats, resume, "resumed_at_step", run.start, ("seconds", "train_seconds"))
    return TrainedMLM(config, vocab, weights, stats, steps.curve, training=training)


def _run_stats(run, steps: _Steps) -> dict:
    return {"train_seconds": run.seconds, "final_loss": steps.loss.value, "steps_done": run.done,
            "sequences_per_second": (run.done - run.start) * steps.config.batch / max(run.seconds, 1e-9),
            "train_masked_accuracy": steps.accuracy.value, "stopped_early": run.stopped,
            "sequences": int(len(steps.data))}
