"""A tiny corpus with a known answer, and the checks every text model's tests share (no Qt)."""
from __future__ import annotations

import numpy as np

from models.core.events import STOP, Progress
from models.loading import load_embedding
from models.text.corpus import read_corpus

GROUP_A = [f"animal{i}" for i in range(12)]
GROUP_B = [f"number{i}" for i in range(12)]


def planted_corpus(path, lines=1500, seed=0):
    """Sentences drawn from one of two word groups: words co-occur only within their group."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for _ in range(lines):
            group = GROUP_A if rng.random() < 0.5 else GROUP_B
            f.write(" ".join(rng.choice(group, size=12)) + "\n")
    return path


RARE_GROUPS = [[f"group{g}word{i}" for i in range(8)] for g in range(6)]


def rare_groups_corpus(path, lines=3000, seed=0, filler=300):
    """Two words of one group of RARE_GROUPS in each line of twelve Zipf-distributed filler words:
    the group words are of middling frequency (a few hundred times each), so a pair of them
    co-occurs only a few times, as most pairs of a real corpus do."""
    rng = np.random.default_rng(seed)
    fill = np.array([f"filler{i}" for i in range(filler)])
    p = 1.0 / np.arange(1, filler + 1)
    with open(path, "w") as f:
        for _ in range(lines):
            words = list(rng.choice(fill, size=12, p=p / p.sum()))
            for w in rng.choice(RARE_GROUPS[rng.integers(len(RARE_GROUPS))], size=2, replace=False):
                words.insert(rng.integers(len(words) + 1), w)
            f.write(" ".join(words) + "\n")
    return path


def read_planted(tmp_path_factory, lines=1500):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("planted") / "planted.txt", lines))


def run(gen, stop_when=None):
    """Drive a trainer; send STOP at the first event for which ``stop_when(event)`` is true.
    Returns (result, events)."""
    events, reply = [], None
    while True:
        try:
            ev = gen.send(reply)
        except StopIteration as done:
            return done.value, events
        assert isinstance(ev, Progress)
        events.append(ev)
        reply = STOP if stop_when is not None and stop_when(ev) else None


def same_group_share(vectors, k=5) -> float:
    """Share of each word's k nearest neighbours that come from its own group."""
    hits = 0
    for group in (GROUP_A, GROUP_B):
        for w in group:
            hits += sum(n in group for n, _ in vectors.nearest(w, k))
    return hits / (k * (len(GROUP_A) + len(GROUP_B)))


def assert_groups_separate(vectors) -> None:
    assert same_group_share(vectors) >= 0.95
    inside = np.mean([vectors.similarity(GROUP_A[0], w) for w in GROUP_A[1:]])
    across = np.mean([vectors.similarity(GROUP_A[0], w) for w in GROUP_B])
    assert inside > across + 0.3, (inside, across)


def assert_events_are_snapshots(events) -> None:
    for ev in events:
        if ev.snapshot is not None:
            assert ev.snapshot.dtype == np.float32 and ev.labels is not None
            assert len(ev.labels) == ev.snapshot.shape[0]


def assert_round_trip(model, folder) -> None:
    """Save, load back, and get the same model: weights, config, vocabulary and neighbours."""
    model.save(folder)
    assert {"vectors.txt", "model.safetensors", "config.json", "run.json"} <= {p.name for p in folder.iterdir()}
    back = load_embedding(folder)
    assert type(back) is type(model)
    assert back.model == model.model and back.config == model.config and back.vocab.words == model.vocab.words
    assert back.tensors.keys() == model.tensors.keys()
    for name, t in model.tensors.items():
        np.testing.assert_array_equal(back.tensors[name], t)
    word = model.vocab.words[0]
    assert back.vectors.nearest(word, 5) == model.vectors.nearest(word, 5)


def assert_run_stats(stats, device="cpu") -> None:
    assert stats["seconds"] > 0 and stats["words_per_second"] > 0 and stats["device"] == device
    assert "final_loss" in stats
