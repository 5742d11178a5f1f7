import json

import numpy as np
import pytest

from models.core.checkpoint import CheckpointError, load_checkpoint
from models.errors import UnknownWordError, VectorFileError
from models.loading import load_embedding
from models.text.embedding import TrainedEmbedding
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from models.vectors.formats import read_vectors
from models.vectors.store import WordVectors


def _embedding(rng, n=20, dim=8):
    words = [f"w{i}" for i in range(n)]
    vocab = Vocabulary(words, np.arange(n, 0, -1, dtype=np.int64) * 10)
    tensors = {"input": rng.normal(size=(n, dim)).astype(np.float32),
               "output": rng.normal(size=(n, dim)).astype(np.float32)}
    return TrainedEmbedding("sgns", SGNSConfig(dim=dim), vocab, tensors,
                            {"seconds": 1.5, "final_loss": 2.0}, [(100, 3.0), (200, 2.0)])


def test_saved_model_loads_back_identically(tmp_path):
    emb = _embedding(np.random.default_rng(0))
    emb.save(tmp_path / "m")
    back = load_embedding(tmp_path / "m")
    assert back.model == "sgns" and back.config == emb.config and back.vocab.words == emb.vocab.words
    for k in emb.tensors:
        np.testing.assert_array_equal(back.tensors[k], emb.tensors[k])
    assert back.losses == emb.losses and back.stats == emb.stats
    text = read_vectors(tmp_path / "m" / "vectors.txt", "word2vec")
    np.testing.assert_allclose(text.matrix, emb.tensors["input"], rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors",
                                                                   "run.json", "vectors.txt"]


def test_a_failed_save_leaves_the_previous_checkpoint_loadable(tmp_path, monkeypatch):
    emb = _embedding(np.random.default_rng(1))
    emb.save(tmp_path / "m")
    import os

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(CheckpointError, match="previous model folder is unchanged"):
        _embedding(np.random.default_rng(2)).save(tmp_path / "m")
    monkeypatch.undo()
    np.testing.assert_array_equal(load_embedding(tmp_path / "m").tensors["input"], emb.tensors["input"])
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_loading_garbage_or_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="No model found"):
        load_checkpoint(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x00\x01garbage")
    with pytest.raises(CheckpointError, match="not a valid"):
        load_checkpoint(tmp_path)


def test_nearest_neighbours_rank_by_cosine_and_exclude_the_query():
    v = WordVectors(["a", "b", "c", "d"], np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], dtype=np.float32))
    near = v.nearest("a", 3)
    assert [w for w, _ in near] == ["b", "c", "d"]
    assert near[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1), rel=1e-6)
    assert [w for w, _ in v.nearest(np.array([0, 1.0]), 1)] == ["c"]
    with pytest.raises(UnknownWordError, match="'zzz' is not in the vocabulary"):
        v.nearest("zzz")


@pytest.mark.parametrize("content, phrase", [
    ("2 3\na 1 2 3\n", "header promises 2 rows"),
    ("1 3\na 1 2\n", "line 2: 2 values, expected 3"),
    ("2 2\na 1 2\na 3 4\n", "line 3: duplicate word 'a'"),
    ("1 2\na nan 2\n", "line 2: NaN or infinite"),
    ("1 2\na x 2\n", "line 2: a value is not a number"),
    ("hello\n", "line 1: expected a header"),
    ("400000000 300\na 1\n", "more than the file can hold"),
])
def test_malformed_word2vec_text_names_the_file_and_line(tmp_path, content, phrase):
    path = tmp_path / "v.txt"
    path.write_text(content)
    with pytest.raises(VectorFileError) as info:
        read_vectors(path, "word2vec")
    assert phrase in str(info.value) and str(path) in str(info.value)


# --- damaged model folders (classes the file fuzzer found) -------------------------------------------
def _folder_with(tmp_path, kind, edit):
    """A model folder of ``kind`` (tests.models.core.test_session.make) whose checkpoint is whole, as
    safetensors goes, but was changed by ``edit(checkpoint)``."""
    from models.core.checkpoint import Checkpoint, checkpoint_bytes
    from tests.models.core.test_session import make

    ckpt = make(kind).checkpoint()
    ckpt = Checkpoint(ckpt.model, dict(ckpt.config), {k: np.array(v) for k, v in ckpt.tensors.items()},
                      json.loads(json.dumps(ckpt.extra)))
    edit(ckpt)
    folder = tmp_path / kind
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(checkpoint_bytes(ckpt))
    return folder


def _loader(kind):
    from models.audio.deep_clustering import load_model
    from models.siamese.model import load_matcher
    from models.text.mlm import load_mlm

    return {"dc": load_model, "siamese": load_matcher, "mlm": load_mlm}.get(kind, load_embedding)


def _set(mapping, key, value):
    mapping[key] = value


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("kind, tensor", [("sgns", "input"), ("siamese", "net.head.weight"), ("dc", "embed.bias")])
def test_nan_or_infinite_weights_are_refused_naming_the_file(tmp_path, kind, tensor, value):
    """They were loaded without a word: NaN vectors on the map, NaN match scores, no separation."""
    folder = _folder_with(tmp_path, kind, lambda c: c.tensors[tensor].flat.__setitem__(0, value))
    with pytest.raises(CheckpointError, match=f"{folder}.*holds NaN or infinite weights .in '{tensor}'"):
        _loader(kind)(folder)


@pytest.mark.parametrize("kind, edit, phrase", [
    ("sgns", lambda c: c.extra["vocab"]["words"].pop(), "do not fit together .29 words but a matrix of shape .30, 8."),
    ("sgns", lambda c: c.extra["vocab"]["words"].__setitem__(3, "w2"), "a repeated, empty or non-text word"),
    ("sgns", lambda c: c.extra["vocab"]["words"].__setitem__(0, ""), "a repeated, empty or non-text word"),
    ("sgns", lambda c: c.extra["vocab"]["counts"].__setitem__(0, -3), "word counts, or a negative one"),
    ("sgns", lambda c: c.tensors.pop("input"), "parts do not fit together .no 'input'"),
    ("sgns", lambda c: _set(c.config, "dim", 0), "cannot be rebuilt: dim must be at least"),
    ("sgns", lambda c: setattr(c, "model", "SGNS"), "cannot be rebuilt: Unknown model 'SGNS'"),
    ("sgns", lambda c: _set(c.extra, "losses", [["a", "b"]]), "a loss curve"),
    ("fasttext", lambda c: _set(c.tensors, "ngrams", c.tensors["ngrams"][:-1]), "n-gram vectors of shape .49, 8."),
    ("mlm", lambda c: _set(c.tensors, "norm.weight", c.tensors["norm.weight"][:-1]), "weights that do not fit"),
    ("mlm", lambda c: c.extra["vocab"]["words"].append("extra"), "21 words but a matrix of shape .20, 16."),
    ("dc", lambda c: _set(c.config, "hidden", 16), "weights that do not fit the network"),
    ("dc", lambda c: c.config.update(hidden=4096, layers=8), "weights that do not fit the network"),
    ("dc", lambda c: _set(c.config, "batch_size", "x"), "batch_size must be a whole number"),
    ("dc", lambda c: _set(c.extra, "sample_rate", 0), "a sample rate of 0 Hz"),
    ("siamese", lambda c: _set(c.extra, "names", ["a", "b"]), "windows do not fit the item names"),
    ("siamese", lambda c: _set(c.tensors, "net.head.weight", c.tensors["net.head.weight"][:, :-1]),
     "weights that do not fit the network"),
], ids=["word-short", "repeated-word", "empty-word", "negative-count", "missing-tensor", "config-out-of-range",
        "unknown-model", "loss-curve-of-text", "ngrams-short", "net-weight-short", "vocabulary-past-rows",
        "config-not-weights", "config-of-gigabytes", "config-of-wrong-type", "sample-rate-0", "names-short",
        "net-weight-other-shape"])
def test_a_model_whose_parts_do_not_fit_is_refused_when_opened_in_one_line(tmp_path, kind, edit, phrase):
    """Each was a traceback, or was accepted and failed later in a view (the networks of the
    matcher and the masked LM are built on first use), or built a network of gigabytes (hidden
    4096 x 8 layers from a file of kilobytes) before finding that its weights do not fit."""
    folder = _folder_with(tmp_path, kind, edit)
    with pytest.raises(CheckpointError, match=phrase) as info:
        _loader(kind)(folder)
    message = str(info.value)
    assert str(folder) in message and "\n" not in message and info.value.hint


def test_a_network_whose_weights_do_not_fit_is_never_built_for_real():
    import torch

    from models.core.checkpoint import load_module

    devices = []

    def build():
        devices.append(torch.empty(0).device.type)
        return torch.nn.Linear(4096, 4096)

    with pytest.raises(ValueError, match="'bias': .2,. for .4096,."):
        load_module(build, {"weight": np.zeros((2, 2), np.float32), "bias": np.zeros(2, np.float32)})
    assert devices == ["meta"]
    net = load_module(lambda: torch.nn.Linear(2, 2), {"weight": np.eye(2, dtype=np.float32),
                                                       "bias": np.ones(2, np.float32)})
    assert torch.equal(net.weight, torch.eye(2)) and net.weight.device.type == "cpu"


def test_a_checkpoint_written_a_tensor_at_a_time_reads_back_with_the_safetensors_binding(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    from models.core.checkpoint import Checkpoint, write_checkpoint

    rng = np.random.default_rng(0)
    tensors = {f"t{i}": rng.normal(size=shape).astype(dtype) for i, (dtype, shape) in enumerate(
        [(np.float32, (7, 3)), (np.float64, (5,)), (np.float16, (2, 2, 2)), (np.int64, (1,)), (np.int32, (0,)),
         (np.uint8, (9,)), (np.bool_, (4,)), (np.int8, (3,)), (np.uint64, (1,))])}
    tensors["big_endian"] = np.arange(6, dtype=">f4").reshape(2, 3)
    path = tmp_path / "m.safetensors"
    with open(path, "wb") as f:
        write_checkpoint(f, Checkpoint("sgns", {"dim": 3}, tensors, {"vocab": ["a"]}))
    back = load_file(path)
    assert set(back) == set(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype.newbyteorder("=") and back[name].shape == t.shape
        np.testing.assert_array_equal(back[name], t)
    with safe_open(path, "np") as f:
        assert f.metadata()["model"] == "sgns" and json.loads(f.metadata()["config"]) == {"dim": 3}
