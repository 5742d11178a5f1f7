"""A deep clustering network made wider without changing what it computes (Net2Net, Chen et al. 2016).

Training a bigger BLSTM from scratch would throw away hours of CPU training; widening the trained
one keeps them. Each layer gains ``hidden - old`` units per direction. The old units' weights are
copied, and nothing that existed reads the new units (their columns in the next layer, in the
recurrent matrices of the old units and in the heads are zero), so the wider network gives the very
same embeddings. The new units read everything through small random weights of their own, so their
outputs differ from zero and the zero columns that read them get gradients: training then uses the
room they add.
"""
from __future__ import annotations

import math

import torch
from torch import nn

GATES = 4       # an LSTM's input, forget, cell and output gates, stacked in its weight matrices


def _gate_rows(old: int, new: int) -> torch.Tensor:
    """Where each old unit's rows sit in a stacked gate matrix of ``new`` units per gate."""
    return torch.cat([torch.arange(old) + g * new for g in range(GATES)])


def _output_columns(old: int, new: int) -> torch.Tensor:
    """Where the old units' outputs sit in a bidirectional output of ``new`` units per direction."""
    return torch.cat([torch.arange(old), torch.arange(old) + new])


def _random(shape, fan: int, generator: torch.Generator) -> torch.Tensor:
    """PyTorch's own LSTM initialisation: uniform in +-1/sqrt(hidden)."""
    bound = 1.0 / math.sqrt(fan)
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


def widened_lstm(lstm: nn.LSTM, hidden: int, generator: torch.Generator) -> nn.LSTM:
    """A copy of the bidirectional ``lstm`` with ``hidden`` units per direction, same outputs in
    its first ``lstm.hidden_size`` units of each direction, zero-weighted new units beside them."""
    old = lstm.hidden_size
    if hidden < old:
        raise ValueError(f"a network of {old} units cannot be widened to {hidden}")
    wide = nn.LSTM(lstm.input_size, hidden, lstm.num_layers, batch_first=lstm.batch_first,
                   bidirectional=lstm.bidirectional, dropout=lstm.dropout)
    rows = _gate_rows(old, hidden)
    inputs = _output_columns(old, hidden)
    with torch.no_grad():
        for name, param in wide.named_parameters():
            given = getattr(lstm, name)
            fresh = _random(param.shape, hidden, generator)
            if name.startswith("weight_hh"):
                fresh[rows] = 0.0                               # old units never read new ones
                fresh[rows[:, None], torch.arange(old)] = given
            elif name.startswith("weight_ih") and not name.startswith("weight_ih_l0"):
                fresh[rows] = 0.0                               # nor the layer below's new units
                fresh[rows[:, None], inputs] = given
            else:                                               # first layer's inputs, biases
                fresh[rows] = given
            param.copy_(fresh)
    return wide


def widened_linear(head: nn.Linear, old: int, hidden: int) -> nn.Linear:
    """A copy of ``head``, which reads a bidirectional output of ``old`` units per direction, reading
    one of ``hidden`` units instead, with zero weights for the new ones."""
    wide = nn.Linear(2 * hidden, head.out_features)
    with torch.no_grad():
        wide.weight.zero_()
        wide.weight[:, _output_columns(old, hidden)] = head.weight
        wide.bias.copy_(head.bias)
    return wide


def widen(net, hidden: int, seed: int = 0):
    """``net`` (a DeepClusteringNet), widened in place to ``hidden`` units per direction and layer."""
    generator = torch.Generator().manual_seed(seed)
    old = net.blstm.hidden_size
    net.blstm = widened_lstm(net.blstm, hidden, generator)
    net.embed = widened_linear(net.embed, old, hidden)
    if net.mask is not None:
        net.mask = widened_linear(net.mask, old, hidden)
    return net
