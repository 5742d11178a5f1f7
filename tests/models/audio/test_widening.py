"""A widened deep clustering network computes what the narrower one did, and can learn more."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from models.audio.deep_clustering import DeepClusteringConfig, DeepClusteringModel, DeepClusteringNet, load_model
from models.audio.widening import widen

_spec = importlib.util.spec_from_file_location(
    "widen_separation_model", Path(__file__).resolve().parents[3] / "tools" / "widen_separation_model.py")
widen_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(widen_tool)


def _net(seed: int = 0) -> DeepClusteringNet:
    torch.manual_seed(seed)
    net = DeepClusteringNet(n_freqs=9, hidden=6, layers=3, dim=4, mask_head=True).eval()
    with torch.no_grad():
        net.feature_mean.uniform_(-1, 1)
        net.feature_std.uniform_(0.5, 2)
    return net


def test_a_widened_network_gives_the_same_embeddings_and_masks():
    net = _net()
    x = torch.randn(2, 9, 30)
    with torch.no_grad():
        v, masks = net.heads(x)
        wide = widen(net, 10, seed=3)
        w_v, w_masks = wide.heads(x)
    assert wide.blstm.hidden_size == 10 and wide.embed.in_features == 20 and wide.mask.in_features == 20
    assert sum(p.numel() for p in wide.parameters()) > 1.5 * sum(p.numel() for p in _net().parameters())
    torch.testing.assert_close(w_v, v, rtol=0, atol=1e-6)
    torch.testing.assert_close(w_masks, masks, rtol=0, atol=1e-6)


def test_the_new_units_are_live_and_their_outputs_get_gradients():
    wide = widen(_net(), 10, seed=3).train()
    x = torch.randn(2, 9, 30)
    h, _ = wide.blstm((x.transpose(1, 2) - wide.feature_mean) / wide.feature_std)
    new = torch.cat([h[..., 6:10], h[..., 16:20]], -1)
    assert new.abs().mean() > 1e-2             # random weights of their own: not dead
    v, _ = wide.heads(x)
    (v[..., 0] ** 2).sum().backward()
    grad = wide.embed.weight.grad
    assert grad[:, 6:10].abs().sum() > 0 and grad[:, 16:20].abs().sum() > 0
    # and the same seed gives the same new units, so that two fine-tunings can be averaged
    again = widen(_net(), 10, seed=3)
    torch.testing.assert_close(again.blstm.weight_hh_l1, wide.blstm.weight_hh_l1)


def test_narrowing_is_refused():
    with pytest.raises(ValueError, match="cannot be widened"):
        widen(_net(), 4)


def test_the_tool_saves_a_wider_model_that_separates_alike(tmp_path):
    config = DeepClusteringConfig(hidden=6, layers=2, embedding_dim=4, kmeans_inits=2)
    torch.manual_seed(1)
    net = DeepClusteringNet(config.stft().n_freqs, 6, 2, 4).eval()
    DeepClusteringModel(config, net, stats={"parameters": 1}).save(tmp_path / "narrow")
    assert widen_tool.main([str(tmp_path / "narrow"), "--hidden", "9", "--out", str(tmp_path / "wide")]) == 0
    narrow, wide = load_model(tmp_path / "narrow"), load_model(tmp_path / "wide")
    assert wide.config.hidden == 9 and wide.stats["widened_from"]["hidden"] == 6
    assert wide.stats["parameters"] == sum(p.numel() for p in wide.net.parameters())
    wave = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    a, b = narrow.separate(wave), wide.separate(wave)
    np.testing.assert_allclose(b.embeddings, a.embeddings, atol=1e-5)
    np.testing.assert_array_equal(b.owner, a.owner)
    with pytest.raises(SystemExit):
        widen_tool.main([str(tmp_path / "wide"), "--hidden", "9", "--out", str(tmp_path / "same")])
