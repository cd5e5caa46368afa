"""The cells written from the equations give torch's outputs with torch's weights."""
import pytest
import torch

from embeddings.lm.cells import ReferenceRNN, RNNCell
from embeddings.lm.model import RNNLM

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_reference_layers_match_torch_to_1e5(arch):
    torch.manual_seed(0)
    ref = ReferenceRNN(arch, input_size=7, hidden_size=5, num_layers=2)
    theirs = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[arch](7, 5, 2)
    theirs.load_state_dict(ref.torch_state_dict())
    x = torch.randn(6, 3, 7)
    h0 = torch.randn(2, 3, 5)
    state = (h0, torch.randn(2, 3, 5)) if arch == "lstm" else h0
    out_ref, st_ref = ref(x, state)
    out_t, st_t = theirs(x, state)
    torch.testing.assert_close(out_ref, out_t, atol=1e-5, rtol=0)
    for a, b in zip(st_ref if arch == "lstm" else [st_ref], st_t if arch == "lstm" else [st_t]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    # and the other way round: torch's weights into the reference layer
    ref2 = ReferenceRNN(arch, 7, 5, 2)
    ref2.load_torch_state_dict(theirs.state_dict())
    torch.testing.assert_close(ref2(x, state)[0], out_t, atol=1e-5, rtol=0)


def test_plain_rnn_cell_is_tanh_of_a_linear_map_of_the_concatenation():
    cell = RNNCell(2, 1)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[0.5, -1.0]]))
        cell.weight_hh.copy_(torch.tensor([[2.0]]))
        cell.bias_ih.fill_(0.1)
        cell.bias_hh.fill_(-0.3)
    h = cell(torch.tensor([[1.0, 0.25]]), torch.tensor([[0.5]]))
    # 0.5*1 - 1*0.25 + 2*0.5 + 0.1 - 0.3 = 1.05
    assert h.item() == pytest.approx(torch.tanh(torch.tensor(1.05)).item(), abs=1e-7)


def test_language_model_with_reference_cells_equals_the_torch_one():
    torch.manual_seed(1)
    fast = RNNLM(11, 6, 6, layers=2, arch="lstm", dropout=0.0)
    slow = RNNLM(11, 6, 6, layers=2, arch="lstm", dropout=0.0, reference_cells=True)
    state = fast.state_dict()
    ref_state = {k: v for k, v in state.items() if not k.startswith("rnn.")}
    ref_state.update({"rnn." + k: v for k, v in _to_ref(slow.rnn, state).items()})
    slow.load_state_dict(ref_state)
    x = torch.randint(0, 11, (5, 2))
    torch.testing.assert_close(slow(x)[0], fast(x)[0], atol=1e-5, rtol=0)


def _to_ref(ref: ReferenceRNN, state):
    back = {v: k for k, v in ref._torch_names().items()}
    return {back[k[4:]]: v for k, v in state.items() if k.startswith("rnn.")}


@pytest.mark.parametrize("reference", [False, True])
def test_forget_bias_sets_only_the_forget_gate_in_every_layer(reference):
    torch.manual_seed(2)
    plain = RNNLM(11, 6, 4, layers=2, arch="lstm", reference_cells=reference)
    torch.manual_seed(2)
    biased = RNNLM(11, 6, 4, layers=2, arch="lstm", reference_cells=reference, forget_bias=1.0)
    before, after = dict(plain.rnn.named_parameters()), dict(biased.rnn.named_parameters())
    ih = sorted(n for n in after if "bias_ih" in n)
    assert len(ih) == 2  # one per layer
    for name in ih:
        hh = name.replace("bias_ih", "bias_hh")
        total = after[name] + after[hh]
        # gate order i, f, g, o: the forget gate sums to the value, the others keep their start
        assert torch.equal(total[4:8], torch.ones(4))
        for gate in (slice(0, 4), slice(8, 16)):
            assert torch.equal(after[name][gate], before[name][gate])
            assert torch.equal(after[hh][gate], before[hh][gate])
    for name, p in after.items():
        if "weight" in name:
            assert torch.equal(p, before[name])


def test_forget_bias_belongs_to_the_lstm_only():
    from embeddings.lm.config import LMConfig

    with pytest.raises(ValueError, match="forget_bias applies to arch lstm only"):
        LMConfig(arch="gru", forget_bias=1.0)
