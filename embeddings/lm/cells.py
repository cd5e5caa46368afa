"""Recurrent cells written out from their equations, for reading and for checking torch.

Each cell uses torch's parameter layout (``weight_ih`` of shape ``(gates * hidden, input)``,
``weight_hh``, ``bias_ih``, ``bias_hh``; gates stacked in torch's order), and
:class:`ReferenceRNN` names its parameters like ``torch.nn.LSTM`` (``weight_ih_l0`` ...), so a
state dict moves between the two and the outputs agree to float rounding.

Plain RNN (Elman)::                 h' = tanh(W [x; h] + b)      (W = [W_ih W_hh], a concat then a linear)
LSTM (Hochreiter & Schmidhuber 1997; Gers et al. 2000)::
    i = σ(W_ii x + W_hi h + b_i)    input gate          f = σ(W_if x + W_hf h + b_f)   forget gate
    g = tanh(W_ig x + W_hg h + b_g) candidate cell      o = σ(W_io x + W_ho h + b_o)   output gate
    c' = f * c + i * g              h' = o * tanh(c')
GRU (Cho et al. 2014)::
    r = σ(W_ir x + b_ir + W_hr h + b_hr)   reset        z = σ(W_iz x + b_iz + W_hz h + b_hz)   update
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))       h' = (1 - z) * n + z * h
"""
from __future__ import annotations

import math

import torch
from torch import nn

from textprep.errors import InputError

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class _Cell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, gates: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size))
        bound = 1.0 / math.sqrt(hidden_size)  # torch's default initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)


class RNNCell(_Cell):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 1)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """x: (batch, input), h: (batch, hidden) -> h' (batch, hidden)."""
        xh = torch.cat([x, h], dim=1)                           # concat ...
        w = torch.cat([self.weight_ih, self.weight_hh], dim=1)  # ... one linear layer ...
        return torch.tanh(xh @ w.t() + self.bias_ih + self.bias_hh)  # ... tanh


class LSTMCell(_Cell):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 4)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """x: (batch, input), state (h, c) each (batch, hidden) -> (h', c')."""
        h, c = state
        pre = x @ self.weight_ih.t() + self.bias_ih + h @ self.weight_hh.t() + self.bias_hh
        i, f, g, o = pre.chunk(4, dim=1)  # torch's gate order
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        return o * torch.tanh(c), c


class GRUCell(_Cell):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 3)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        gi = x @ self.weight_ih.t() + self.bias_ih
        gh = h @ self.weight_hh.t() + self.bias_hh
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)  # the reset gate scales the hidden part only, as in torch
        return (1 - z) * n + z * h


CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


class ReferenceRNN(nn.Module):
    """A multi-layer recurrent layer looping over time with the cells above.

    Same call as ``torch.nn.LSTM/GRU/RNN`` (time-major): ``forward(x (T, B, input), state)``
    returns ``(output (T, B, hidden), state)`` with state ``(h, c)`` each ``(layers, B, hidden)``
    for the LSTM and ``h`` for the others.  Dropout is applied between layers, as in torch.
    """

    def __init__(self, arch: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if arch not in CELLS:
            raise InputError(f"arch must be one of {', '.join(CELLS)}, got {arch!r}")
        self.arch, self.hidden_size, self.num_layers, self.dropout = arch, hidden_size, num_layers, dropout
        self.cells = nn.ModuleList(
            CELLS[arch](input_size if k == 0 else hidden_size, hidden_size) for k in range(num_layers))

    # torch.nn.LSTM's parameter names, so state dicts are interchangeable
    def _torch_names(self) -> dict[str, str]:
        return {f"cells.{k}.{w}": f"{w}_l{k}" for k in range(self.num_layers)
                for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    def torch_state_dict(self) -> dict[str, torch.Tensor]:
        names = self._torch_names()
        return {names[k]: v for k, v in self.state_dict().items()}

    def load_torch_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        back = {v: k for k, v in self._torch_names().items()}
        self.load_state_dict({back[k]: v for k, v in state.items()})

    def forward(self, x: torch.Tensor, state=None):
        T, B, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, self.hidden_size)
            state = (zeros, zeros.clone()) if self.arch == "lstm" else zeros
        hs_out, cs_out = [], []
        layer_in = x
        for k, cell in enumerate(self.cells):
            if self.arch == "lstm":
                h, c = state[0][k], state[1][k]
            else:
                h = state[k]
            outs = []
            for t in range(T):
                if self.arch == "lstm":
                    h, c = cell(layer_in[t], (h, c))
                else:
                    h = cell(layer_in[t], h)
                outs.append(h)
            layer_in = torch.stack(outs)
            if k < self.num_layers - 1 and self.dropout > 0 and self.training:
                layer_in = nn.functional.dropout(layer_in, self.dropout, training=True)
            hs_out.append(h)
            if self.arch == "lstm":
                cs_out.append(c)
        h_n = torch.stack(hs_out)
        return layer_in, ((h_n, torch.stack(cs_out)) if self.arch == "lstm" else h_n)
