"""Stopping a Torch trainer (full-softmax skip-gram, masked LM, Siamese matcher, deep clustering),
saving it, and continuing later gives the run that never stopped, on the CPU with the same seed."""
import dataclasses
import json

import numpy as np
import pytest
import torch

from models.audio import deep_clustering as dc
from models.audio import demo
from models.core.checkpoint import load_checkpoint
from models.core.events import STOP, drain
from models.core.result import TrainingState
from models.core.resume_torch import capture, numpy_state, restore, set_numpy_state
from models.errors import CorpusError, UserError
from models.registry import can_continue, check_resumable, get, result_from_checkpoint
from models.siamese import model as siamese
from models.text import mlm, softmax
from models.text.corpus import read_corpus
from tests.explorer.conftest import planted_corpus

TINY = {
    "softmax": softmax.SoftmaxConfig(dim=16, steps=24, batch=64, min_count=1, threads=1, device="cpu", seed=3),
    "mlm": mlm.MLMConfig(dim=16, layers=1, heads=2, ff=32, max_len=16, min_count=1, steps=24, batch=16,
                         threads=1, device="cpu", seed=2),
    "siamese": siamese.SiameseConfig(source="random", items=10, holdout=0.3, item_beats=8.0, steps=24, batch=6,
                                     channels=8, dim=8, variants=1, queries=1, threads=1, device="cpu", seed=3),
    # two layers with dropout: the global Torch random stream is part of the state too
    "dc": dc.DeepClusteringConfig(steps=24, minutes=60, lr=1e-2, hidden=8, layers=2, dropout=0.2, embedding_dim=4,
                                  batch_size=2, chunk_seconds=0.3, kmeans_inits=2, threads=1, device="cpu",
                                  train_per_voice=2, valid_mixtures=2, test_mixtures=2),
}
UNIT = {"softmax": "pairs", "mlm": "steps", "siamese": "steps", "dc": "batches"}


@pytest.fixture(autouse=True)
def every_step_yields(monkeypatch, tmp_path_factory):
    """An event after every step, so a Stop lands where a test asks; one audio cache for the module."""
    monkeypatch.setattr(softmax, "EVENT_SECONDS", 0.0)
    monkeypatch.setattr(dc, "EVENT_SECONDS", 0.0)
    monkeypatch.setenv(demo.CACHE_ENV, str(tmp_path_factory.getbasetemp() / "audio-cache"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("c") / "planted.txt", lines=400))


def _train(name, config, corpus, resume=None):
    spec = get(name)
    data = corpus if spec.uses_corpus else None
    return spec.train(config, data, resume=resume) if resume is not None else spec.train(config, data)


def stopped_after(name, config, corpus, steps: int, resume=None):
    """The result returned when STOP is sent at the ``steps``-th training step of this run."""
    gen = _train(name, config, corpus, resume)
    seen = 0
    while seen < steps:
        ev = next(gen)
        seen += ev.unit == UNIT[name] and ev.loss == ev.loss      # a step's event carries its loss
    reply = STOP
    while True:          # the evaluation stages after training run on
        try:
            gen.send(reply)
        except StopIteration as end:
            return end.value
        reply = None


def saved_and_loaded(result, folder):
    result.save(folder)
    return result_from_checkpoint(load_checkpoint(folder))


def weights(result) -> dict[str, np.ndarray]:
    if result.model == "softmax":
        return {k: result.tensors[k] for k in ("input", "output")}
    if result.model == "dc":
        last = {f"last.{k}": v for k, v in result.training.tensors_under(dc.LAST).items()}
        return {**{k: v.numpy() for k, v in result.net.state_dict().items()}, **last}
    return dict(result.state)


def steps_done(result) -> int:
    return result.stats["steps" if result.model == "dc" else "steps_done"]


def max_differences(a, b) -> tuple[float, float]:
    """The largest difference of any weight, and of any loss-curve point, of two results."""
    assert [x for x, _ in a.losses] == [x for x, _ in b.losses]
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    return (max(float(np.max(np.abs(wa[k] - wb[k]))) for k in wa),
            max(abs(x - y) for (_, x), (_, y) in zip(a.losses, b.losses)))


@pytest.mark.parametrize("name", list(TINY))
def test_a_run_stopped_saved_and_resumed_twice_matches_the_run_straight_through(name, corpus, tmp_path):
    config = TINY[name]
    straight = drain(_train(name, config, corpus))
    first = saved_and_loaded(stopped_after(name, config, corpus, 7), tmp_path / "a")
    assert first.stats["stopped_early"] and can_continue(first) and steps_done(first) == 7
    second = saved_and_loaded(stopped_after(name, config, corpus, 9, resume=first), tmp_path / "b")
    assert second.stats["stopped_early"] and steps_done(second) == 16
    resumed = drain(_train(name, config, corpus, second))

    dw, dl = max_differences(resumed, straight)
    assert dw <= 1e-6 and dl <= 1e-6, (dw, dl)
    assert steps_done(resumed) == steps_done(straight) == 24 and not resumed.stats["stopped_early"]
    assert resumed.stats["resumed_at_step"] == 16 and len(resumed.losses) > 2


def test_the_different_seed_check_can_fail(corpus):
    """The comparison above can tell runs apart: another seed gives other weights and losses."""
    a = drain(_train("mlm", TINY["mlm"], corpus))
    b = drain(_train("mlm", dataclasses.replace(TINY["mlm"], seed=5), corpus))
    assert not np.allclose(a.state["tok.weight"], b.state["tok.weight"], atol=1e-6)


def test_deep_clustering_keeps_the_best_weights_and_the_last_ones_apart(corpus, tmp_path, monkeypatch):
    """When validation gets worse, the model returned holds the best weights, and a resumed run
    still goes on from the weights training had reached."""
    real = dc._loss
    # validation losses that rise as the model learns: the first validation stays the best
    monkeypatch.setattr(dc, "_loss", lambda net, batch, objective: real(net, batch, objective)
                        if torch.is_grad_enabled() else -real(net, batch, objective))
    config = TINY["dc"]
    straight = drain(_train("dc", config, corpus))
    assert straight.stats["valid_loss"] == straight.valid_losses[0][1] != straight.valid_losses[-1][1]
    cut = saved_and_loaded(stopped_after("dc", config, corpus, 11), tmp_path / "cut")
    assert cut.training.tensors_under(dc.BEST)           # best and reached weights differ: both kept
    resumed = drain(_train("dc", config, corpus, cut))
    dw, dl = max_differences(resumed, straight)
    assert dw <= 1e-6 and dl <= 1e-6
    assert resumed.valid_losses == straight.valid_losses


@pytest.mark.parametrize("name", list(TINY))
def test_a_finished_run_continues_only_for_more_steps(name, corpus):
    config = dataclasses.replace(TINY[name], steps=6)
    done = drain(_train(name, config, corpus))
    with pytest.raises(UserError, match="Raise Steps"):
        drain(_train(name, config, corpus, done))
    more = drain(_train(name, dataclasses.replace(config, steps=10), corpus, done))
    assert steps_done(more) == 10 and more.stats["resumed_at_step"] == 6
    assert more.losses[:len(done.losses)] == done.losses and len(more.losses) > len(done.losses)


def test_deep_clustering_on_a_time_budget_continues_only_for_more_minutes(corpus):
    base = dataclasses.replace(TINY["dc"], steps=0)
    stopped = stopped_after("dc", base, corpus, 5)
    check_resumable(get("dc"), stopped, base)                       # stopped inside its budget: fine
    finished = dataclasses.replace(stopped, training=dataclasses.replace(
        stopped.training, values={**stopped.training.values,
                                  "trainer": {**stopped.training.values["trainer"], "finished": True}}))
    with pytest.raises(UserError, match="Raise Minutes"):
        check_resumable(get("dc"), finished, base)
    check_resumable(get("dc"), finished, dataclasses.replace(base, minutes=base.minutes * 2))


@pytest.mark.parametrize("name, change, phrase", [
    ("softmax", {"dim": 8}, "dim = 16"), ("mlm", {"layers": 2}, "layers = 1"), ("mlm", {"seed": 9}, "seed = 2"),
    ("siamese", {"channels": 16}, "channels = 8"), ("dc", {"hidden": 16}, "hidden = 8"),
])
def test_changed_architecture_settings_are_refused_with_the_setting_named(name, change, phrase, corpus):
    cut = stopped_after(name, TINY[name], corpus, 3)
    with pytest.raises(UserError, match=phrase):
        drain(_train(name, dataclasses.replace(TINY[name], **change), corpus, cut))


def test_another_kind_of_model_or_one_without_state_is_refused(corpus):
    cut = stopped_after("mlm", TINY["mlm"], corpus, 3)
    with pytest.raises(UserError, match="'mlm' model; it cannot be continued as 'softmax'"):
        drain(_train("softmax", TINY["softmax"], corpus, cut))
    with pytest.raises(UserError, match="cannot be continued as 'siamese'"):
        check_resumable(get("siamese"), cut, TINY["siamese"])
    bare = dataclasses.replace(cut, training=None)
    assert not can_continue(bare) and can_continue(cut)
    with pytest.raises(UserError, match="no training state"):
        drain(_train("mlm", TINY["mlm"], corpus, bare))


@pytest.mark.parametrize("name", ["softmax", "mlm"])
def test_continuing_on_another_corpus_is_refused(name, corpus, tmp_path):
    cut = stopped_after(name, TINY[name], corpus, 3)
    other = tmp_path / "other.txt"
    other.write_text("\n".join(" ".join(s) for s in corpus.sentences[:150]) + "\n")
    with pytest.raises(CorpusError, match="not the corpus this model was trained on"):
        drain(_train(name, TINY[name], read_corpus(other), cut))


def _ints(x):
    if isinstance(x, dict):
        return [i for v in x.values() for i in _ints(v)]
    if isinstance(x, list):
        return [i for v in x for i in _ints(v)]
    return [x] if isinstance(x, int) else []


def test_the_state_is_plain_json_and_arrays_and_restores_every_stream():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    gen, rng = torch.Generator().manual_seed(4), np.random.default_rng(4)
    for _ in range(3):
        net(torch.randn(5, 3, generator=gen)).sum().backward()
        opt.step()
        sched.step()
    state = capture(3, opt, scheduler=sched, generators={"g": gen}, rngs={"r": rng}, values={"smooth": 0.5})
    after_capture = torch.randn(4)
    back = TrainingState(json.loads(json.dumps(state.values)), state.tensors)
    # PCG64's 128-bit state is text: a JSON reader that keeps numbers as doubles loses nothing
    assert max(abs(i) for i in _ints(back.values)) < 2**53
    assert {"optim.0.exp_avg", "optim.0.exp_avg_sq", "rng.torch", "rng.g"} <= set(back.tensors)

    opt2 = torch.optim.AdamW(net.parameters(), lr=0.1)
    sched2 = torch.optim.lr_scheduler.LambdaLR(opt2, lambda s: 1.0 / (1 + s))
    gen2, rng2 = torch.Generator(), np.random.default_rng(99)
    torch.manual_seed(123)
    restore(back, opt2, scheduler=sched2, generators={"g": gen2}, rngs={"r": rng2})
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == pytest.approx(0.1 / 4)
    assert torch.is_tensor(opt2.state[net.weight]["step"]) and float(opt2.state[net.weight]["step"]) == 3
    assert torch.equal(opt2.state[net.weight]["exp_avg"], opt.state[net.weight]["exp_avg"])
    assert torch.equal(torch.randn(4), after_capture)
    assert torch.equal(torch.randn(4, generator=gen2), torch.randn(4, generator=gen))
    assert rng2.random() == rng.random() and numpy_state(rng2) == numpy_state(rng)
    set_numpy_state(rng2, numpy_state(np.random.default_rng(4)))
    assert rng2.random() == np.random.default_rng(4).random()
