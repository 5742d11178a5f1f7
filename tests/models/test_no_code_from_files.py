"""Loading a file never runs code from it: crafted pickle payloads are refused, never executed."""
import pickle

import numpy as np
import pytest
import torch

from models.core.checkpoint import CheckpointError, load_checkpoint
from models.errors import UserError
from models.text.embedding import load_embedding
from models.vector_formats import read_vectors


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
