"""The mean of separation models' weights, stored as float32 or float16."""
import importlib.util
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from models.audio import demo
from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, DeepClusteringNet, load_model

_spec = importlib.util.spec_from_file_location(
    "average_separation_models", Path(__file__).resolve().parents[2] / "tools" / "average_separation_models.py")
average_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(average_tool)

CONFIG = DeepClusteringConfig(hidden=6, layers=2, embedding_dim=4, kmeans_inits=2, train_per_voice=2,
                              valid_mixtures=2, test_mixtures=2)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    """One demo-data cache for the module: the tool scores the mean on the demo's test mixtures."""
    monkeypatch.setenv(demo.CACHE_ENV, str(tmp_path_factory.getbasetemp() / "audio-cache"))


def _saved(folder: Path, seed: int, config: DeepClusteringConfig = CONFIG) -> DeepClusteringModel:
    torch.manual_seed(seed)
    net = DeepClusteringNet(config.stft().n_freqs, config.hidden, config.layers, config.embedding_dim).eval()
    model = DeepClusteringModel(config, net, stats={"steps": seed})
    model.save(folder)
    return model


@pytest.mark.parametrize("half", [False, True])
def test_the_mean_of_two_models_is_saved_scored_and_named(tmp_path, half):
    a, b = _saved(tmp_path / "a", 1), _saved(tmp_path / "b", 2)
    argv = ["--out", str(tmp_path / "mean"), str(tmp_path / "a"), str(tmp_path / "b")]
    assert average_tool.main(argv + (["--float16"] if half else [])) == 0
    with safe_open(str(tmp_path / "mean" / "model.safetensors"), "np") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"float16" if half else "float32"}
    mean = load_model(tmp_path / "mean")
    weight = "blstm.weight_hh_l1"
    expected = (a.net.state_dict()[weight] + b.net.state_dict()[weight]) / 2
    got = mean.net.state_dict()[weight]
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, rtol=1e-3 if half else 1e-6, atol=1e-3 if half else 1e-7)
    assert mean.stats["averaged_from"] == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert "test_si_sdr_improvement" in mean.stats


def test_models_of_other_shapes_are_refused(tmp_path):
    _saved(tmp_path / "a", 1)
    _saved(tmp_path / "b", 2, DeepClusteringConfig(hidden=8, layers=2, embedding_dim=4))
    with pytest.raises(SystemExit, match="another network shape"):
        average_tool.main(["--out", str(tmp_path / "mean"), str(tmp_path / "a"), str(tmp_path / "b")])
    assert not (tmp_path / "mean").exists()
