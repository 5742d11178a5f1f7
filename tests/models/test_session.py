"""Session files: every kind of model goes in and comes back the same; a damaged or foreign file is
a SessionError naming it; a failed save leaves the previous file as it was. No Qt."""
import errno
import json
import pickle
import random
import zipfile

import numpy as np
import pytest
import torch

from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, _build_net
from models.core.checkpoint import CheckpointError, load_checkpoint
from models.core.session import SavedModel, Session, SessionError, read_session, save_session
from models.loading import load_embedding
from models.registry import result_from_checkpoint
from models.siamese.model import SiameseConfig, SiameseMatcher, TwinNet
from models.text.embedding import TrainedEmbedding
from models.text.fasttext import FastTextConfig, FastTextEmbedding
from models.text.mlm import SPECIALS, MLMConfig, MLMNet, TrainedMLM
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from tests.faults import ADVICE, FAULTS, temp_files


def _vocab(n):
    return Vocabulary([f"w{i}" for i in range(n)], np.arange(n, 0, -1, dtype=np.int64) * 10)


def _state(net: torch.nn.Module) -> dict:
    torch.manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p)
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}


def make(kind: str, seed: int = 0):
    """A small model of each kind a session holds, with random weights."""
    rng = np.random.default_rng(seed)
    if kind == "sgns":
        return TrainedEmbedding("sgns", SGNSConfig(dim=8), _vocab(30),
                                {"input": rng.normal(size=(30, 8)).astype(np.float32),
                                 "output": rng.normal(size=(30, 8)).astype(np.float32)},
                                {"seconds": 1.5}, [(10, 2.0), (20, 1.5)])
    if kind == "fasttext":
        cfg = FastTextConfig(dim=8, buckets=50)
        return FastTextEmbedding("fasttext", cfg, _vocab(30),
                                 {"input": rng.normal(size=(30, 8)).astype(np.float32),
                                  "ngrams": rng.normal(size=(50, 8)).astype(np.float32)})
    if kind == "dc":
        cfg = DeepClusteringConfig(hidden=8, layers=1, embedding_dim=4)
        return DeepClusteringModel(cfg, _build_net(cfg), stats={"steps": 3})
    if kind == "siamese":
        cfg = SiameseConfig(dim=16, channels=8)
        return SiameseMatcher(cfg, _state(TwinNet(16, 8)), rng.normal(size=(12, 16)).astype(np.float32),
                              np.arange(12, dtype=np.int32) // 3, ["a", "b", "c", "d"], {"top1": 0.5})
    if kind == "mlm":
        cfg = MLMConfig(dim=16, layers=1, heads=2, ff=32, max_len=16)
        return TrainedMLM(cfg, _vocab(20), _state(MLMNet(20 + len(SPECIALS), cfg)))
    raise ValueError(kind)


KINDS = ["sgns", "fasttext", "dc", "siamese", "mlm"]


def _same_checkpoint(a, b):
    assert a.model == b.model and a.config == b.config and a.extra == b.extra
    assert a.tensors.keys() == b.tensors.keys()
    for k in a.tensors:
        np.testing.assert_array_equal(np.asarray(a.tensors[k]), np.asarray(b.tensors[k]))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_model_comes_back_from_a_session_unchanged(tmp_path, kind):
    model = make(kind)
    coords = np.random.default_rng(1).normal(size=(30, 2)).astype(np.float32)
    state = {"current": 0, "selected": "w3", "scores": {"analogy": float("nan")}}
    save_session(tmp_path / "s.eesession", Session([SavedModel(model.checkpoint(), {"name": "1 · x"})],
                                                   {"layout.pca": coords}, state))
    back = read_session(tmp_path / "s.eesession")
    rebuilt = result_from_checkpoint(back.models[0].checkpoint)
    assert type(rebuilt) is type(model) and back.models[0].note == {"name": "1 · x"}
    _same_checkpoint(rebuilt.checkpoint(), model.checkpoint())
    np.testing.assert_array_equal(back.arrays["layout.pca"], coords)
    assert back.state["selected"] == "w3" and np.isnan(back.state["scores"]["analogy"])
    if hasattr(model, "vectors"):
        word = model.vocab.words[0]
        assert rebuilt.vectors.nearest(word, 5) == model.vectors.nearest(word, 5)


def test_the_archive_holds_json_and_safetensors_only(tmp_path):
    path = save_session(tmp_path / "s.eesession", Session([SavedModel(make("sgns").checkpoint())], {}, {}))
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["arrays.safetensors", "models/0.safetensors", "session.json"]
        index = json.loads(z.read("session.json"))
    assert index["format"] == "embedding-explorer-session" and index["version"] == 1


@pytest.fixture
def saved(tmp_path):
    session = Session([SavedModel(make("sgns").checkpoint(), {"name": "1 · sgns"})],
                      {"layout.pca": np.zeros((30, 2), np.float32)}, {"current": 0})
    return save_session(tmp_path / "good.eesession", session)


def test_every_cut_and_many_altered_bytes_give_a_session_error_naming_the_file(tmp_path, saved):
    blob = saved.read_bytes()
    bad = tmp_path / "bad.eesession"
    rng = random.Random(0)
    cuts = list(range(0, len(blob), 7))
    flips = []
    for _ in range(400):
        b = bytearray(blob)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        flips.append(bytes(b))
    refused = 0
    for data in [blob[:n] for n in cuts] + flips:
        bad.write_bytes(data)
        try:
            back = read_session(bad)
        except SessionError as e:
            assert str(bad) in str(e)
            refused += 1
            continue
        # A byte the format does not check (a timestamp, a padding space) may change; what is read
        # must then still be the session that was saved.
        np.testing.assert_array_equal(back.models[0].checkpoint.tensors["input"], make("sgns").tensors["input"])
    assert refused >= len(cuts) + 0.8 * len(flips)


@pytest.mark.parametrize("content, phrase", [
    (b"", "not an Embedding Explorer session file"),
    (b"hello world\n", "not an Embedding Explorer session file"),
    (pickle.dumps({"a": 1}), "not an Embedding Explorer session file"),
])
def test_foreign_files_are_refused_by_name(tmp_path, content, phrase):
    path = tmp_path / "x.eesession"
    path.write_bytes(content)
    with pytest.raises(SessionError, match=phrase) as info:
        read_session(path)
    assert str(path) in str(info.value)


def _zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_a_zip_of_something_else_a_newer_format_and_a_missing_model_are_explained(tmp_path, saved):
    with pytest.raises(SessionError, match="not an Embedding Explorer session file .it has no session.json"):
        read_session(_zip(tmp_path / "other.eesession", {"word/document.xml": "<w/>"}))
    newer = {"format": "embedding-explorer-session", "version": 99, "models": [], "state": {}}
    with pytest.raises(SessionError, match="newer Embedding Explorer"):
        read_session(_zip(tmp_path / "newer.eesession", {"session.json": json.dumps(newer)}))
    with zipfile.ZipFile(saved) as z:
        members = {n: z.read(n) for n in z.namelist() if n != "models/0.safetensors"}
    with pytest.raises(SessionError, match="is damaged .There is no item named 'models/0.safetensors'"):
        read_session(_zip(tmp_path / "lost.eesession", members))


def test_a_pickle_inside_the_archive_is_refused_without_running(tmp_path, saved):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with zipfile.ZipFile(saved) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["models/0.safetensors"] = pickle.dumps(Payload())
    with pytest.raises(SessionError, match="models/0.safetensors is not a valid Embedding Explorer model"):
        read_session(_zip(tmp_path / "evil.eesession", members))
    assert not marker.exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_session_save_keeps_the_previous_file_and_says_what_to_do(tmp_path, monkeypatch, saved, fault):
    before = saved.read_bytes()
    injected = FAULTS[fault](monkeypatch)
    with pytest.raises(SessionError) as info:
        save_session(saved, Session([SavedModel(make("sgns", seed=5).checkpoint())], {}, {}))
    monkeypatch.undo()
    assert injected.fired
    assert ADVICE[fault] in str(info.value) and "a session file already there is unchanged" in str(info.value)
    assert str(saved) in str(info.value)
    assert saved.read_bytes() == before and temp_files(tmp_path) == []
    assert read_session(saved).state == {"current": 0}


# --- saving a model folder: the previous checkpoint survives a failure at any of its files -----
MODEL_FILES = 4      # vectors.txt, run.json, config.json, then model.safetensors


@pytest.mark.parametrize("nth", range(1, MODEL_FILES + 1))
@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_model_save_at_any_file_keeps_the_previous_checkpoint(tmp_path, monkeypatch, fault, nth):
    folder = tmp_path / "m"
    make("sgns").save(folder)
    before = (folder / "model.safetensors").read_bytes()
    injected = FAULTS[fault](monkeypatch, nth=nth)
    with pytest.raises(CheckpointError) as info:
        make("sgns", seed=9).save(folder)
    monkeypatch.undo()
    assert injected.fired
    assert ADVICE[fault] in str(info.value) and "the previous model folder is unchanged" in str(info.value)
    assert (folder / "model.safetensors").read_bytes() == before and temp_files(folder) == []
    np.testing.assert_array_equal(load_embedding(folder).tensors["input"], make("sgns").tensors["input"])


def test_other_write_errors_still_name_the_folder_and_keep_the_checkpoint(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    make("dc").save(folder)
    before = (folder / "model.safetensors").read_bytes()

    def broken(*_a, **_k):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(CheckpointError, match=r"Could not save the model to .*: Input/output error\. Try again"):
        make("dc").save(folder)
    monkeypatch.undo()
    assert (folder / "model.safetensors").read_bytes() == before
    assert load_checkpoint(folder).model == "dc"


# --- members that lie (classes the file fuzzer found) ---------------------------------------------
def _with_member(saved, name, member):
    """The session ``saved`` with its member ``name`` replaced by ``member`` (a tests.fuzz Member)."""
    from tests.fuzz.containers import build_zip, read_members

    members = [member if m.name == name else m for m in read_members(saved.read_bytes())]
    path = saved.with_name("odd.eesession")
    path.write_bytes(build_zip(members))
    return path


@pytest.mark.parametrize("stated", ["truly", "as 100 bytes"])
def test_a_member_inflating_to_gigabytes_is_refused_without_being_inflated(tmp_path, saved, stated):
    """Stated truly, the size was believed and inflated; stated as a few bytes, zipfile still
    inflated up to a gigabyte before checking the CRC: seconds, and that much memory."""
    import tracemalloc

    from tests.fuzz.containers import Member, _bomb

    size = 1 << 29
    raw, crc = _bomb(size)
    member = Member("session.json", raw, 8, crc, size if stated == "truly" else 100)
    path = _with_member(saved, "session.json", member)
    tracemalloc.start()
    try:
        with pytest.raises(SessionError, match=f"{path} is damaged") as info:
            read_session(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 25 and "\n" not in str(info.value)
    if stated == "truly":
        assert "session.json states 536,870,912 bytes" in str(info.value)


@pytest.mark.parametrize("how", ["nested", "encrypted", "lzma"])
def test_json_nested_past_the_limit_an_encrypted_member_and_broken_lzma_are_damage(tmp_path, saved, how):
    """Each escaped as its own exception (RecursionError, RuntimeError, LZMAError): a traceback."""
    from tests.fuzz.containers import Member

    if how == "nested":
        path = _with_member(saved, "session.json", Member.of("session.json", b"[" * 100_000 + b"]" * 100_000, 8))
    elif how == "lzma":
        path = _with_member(saved, "models/0.safetensors", Member("models/0.safetensors", b"\x00" * 64, 14, 0, 64))
    else:
        data = bytearray(saved.read_bytes())
        at = data.index(b"PK\x01\x02")          # the first member's entry in the central directory
        data[at + 8] |= 1                       # its flags: encrypted
        path = tmp_path / "locked.eesession"
        path.write_bytes(bytes(data))
    with pytest.raises(SessionError, match=f"{path} is damaged"):
        read_session(path)


@pytest.mark.parametrize("value", [np.nan, -np.inf])
def test_map_coordinates_that_are_not_finite_are_damage(tmp_path, value):
    """They were read back as they were: the core reader gave the window a map with NaN points."""
    coords = np.zeros((30, 2), np.float32)
    coords[4, 1] = value
    path = save_session(tmp_path / "s.eesession", Session([SavedModel(make("sgns").checkpoint(), {"name": "1"})],
                                                          {"layout.pca": coords}, {"current": 0}))
    with pytest.raises(SessionError, match=f"{path} is damaged .arrays.safetensors: NaN or infinite values in "
                                           "'layout.pca'"):
        read_session(path)


def test_a_local_header_naming_kilobytes_is_refused_in_a_short_line(tmp_path, saved):
    """zipfile quotes the name it read from the header whole: 65,535 bytes made a message of pages."""
    data = bytearray(saved.read_bytes())
    at = data.index(b"PK\x03\x04") + 26          # the first member's name length
    data[at:at + 2] = b"\xff\xff"
    path = tmp_path / "long.eesession"
    path.write_bytes(bytes(data))
    with pytest.raises(SessionError, match=f"{path} is damaged .cut short or altered: File name in directory") as info:
        read_session(path)
    assert len(str(info.value)) < 600 and "\n" not in str(info.value)
