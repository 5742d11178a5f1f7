"""Loading a file never runs code from it: crafted pickle payloads are refused, never executed."""
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from models.core.checkpoint import CheckpointError, load_checkpoint
from models.errors import UserError
from models.loading import load_embedding
from models.vectors.formats import read_vectors


class _Payload:
    """Unpickling this creates the marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _payloads(tmp_path, marker):
    evil = _Payload(marker)
    made = {}
    made["vectors.pkl"] = pickle.dumps(evil)
    torch.save({"weights": evil}, tmp_path / "vectors.pt")
    made["vectors.pt"] = (tmp_path / "vectors.pt").read_bytes()
    obj = np.empty(2, dtype=object)
    obj[0] = evil
    np.save(tmp_path / "objects.npy", obj, allow_pickle=True)
    made["objects.npy"] = (tmp_path / "objects.npy").read_bytes()
    return made


@pytest.mark.parametrize("name", ["vectors.pkl", "vectors.pt", "objects.npy"])
def test_vector_readers_refuse_pickles_without_running_them(tmp_path, name):
    marker = tmp_path / "ran"
    data = _payloads(tmp_path, marker)[name]
    path = tmp_path / "in" / name
    path.parent.mkdir()
    path.write_bytes(data)
    (path.parent / "objects.vocab.txt").write_text("a\nb\n")
    with pytest.raises(UserError):
        read_vectors(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["vectors.pkl", "vectors.pt", "objects.npy"])
def test_model_loaders_refuse_pickles_renamed_as_models_without_running_them(tmp_path, name):
    marker = tmp_path / "ran"
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(_payloads(tmp_path, marker)[name])
    with pytest.raises(CheckpointError):
        load_checkpoint(folder)
    with pytest.raises(CheckpointError):
        load_embedding(folder)
    assert not marker.exists()


@pytest.mark.parametrize("member", ["session.json", "models/0.safetensors", "arrays.safetensors"])
@pytest.mark.parametrize("name", ["vectors.pkl", "vectors.pt", "objects.npy"])
def test_a_session_whose_members_are_pickles_is_refused_without_running_them(tmp_path, member, name):
    from explorer import window_session
    from models.core.events import drain
    from models.core.session import SavedModel, Session, SessionError, read_session, save_session
    from tests.models.test_session import make

    marker = tmp_path / "ran"
    saved = save_session(tmp_path / "good.eesession", Session([SavedModel(make("sgns").checkpoint(), {"name": "1"})],
                                                              {"layout.pca": np.zeros((30, 2), np.float32)}, {}))
    with zipfile.ZipFile(saved) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[member] = _payloads(tmp_path, marker)[name]
    path = tmp_path / "evil.eesession"
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    for read in (read_session, lambda p: drain(window_session.open_steps(p))):
        with pytest.raises(SessionError):
            read(path)
    assert not marker.exists()


def test_no_reader_in_the_app_can_unpickle():
    """What the tests above show for the files they craft, for every reader: no pickle, no
    torch.load that may unpickle, no np.load that allows pickles."""
    root = Path(__file__).resolve().parents[2]
    sources = sorted((root / "models").rglob("*.py")) + sorted((root / "explorer").rglob("*.py"))
    assert len(sources) > 20
    for path in sources:
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(root)
        assert not re.search(r"\b(pickle|cPickle|dill|joblib|marshal|shelve)\b\.", text), where
        assert not re.search(r"\bimport (pickle|dill|joblib|marshal|shelve)\b", text), where
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, (where, call)
        for call in re.findall(r"np\.load\([^)]*\)", text):
            assert "allow_pickle=True" not in call, (where, call)
