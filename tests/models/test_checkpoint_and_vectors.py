import numpy as np
import pytest

from models.core.checkpoint import CheckpointError, load_checkpoint
from models.errors import UnknownWordError, VectorFileError
from models.text.embedding import TrainedEmbedding, load_embedding
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from models.vectors import WordVectors


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
    text = WordVectors.load_word2vec_text(tmp_path / "m" / "vectors.txt")
    np.testing.assert_allclose(text.matrix, emb.tensors["input"], rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors",
                                                                   "run.json", "vectors.txt"]


def test_a_failed_save_leaves_the_previous_checkpoint_loadable(tmp_path, monkeypatch):
    emb = _embedding(np.random.default_rng(1))
    emb.save(tmp_path / "m")
    import models.core.checkpoint as ck

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(ck.os, "replace", boom)
    with pytest.raises(CheckpointError, match="previous checkpoint is unchanged"):
        _embedding(np.random.default_rng(2)).save(tmp_path / "m")
    monkeypatch.undo()
    np.testing.assert_array_equal(load_embedding(tmp_path / "m").tensors["input"], emb.tensors["input"])
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.endswith(".tmp")]


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
        WordVectors.load_word2vec_text(path)
    assert phrase in str(info.value) and str(path) in str(info.value)
