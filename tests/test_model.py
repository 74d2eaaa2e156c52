"""The GPT and its ladder: exact parameter and FLOP counts against the module, causality, tied embeddings."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from atlas_core.errors import AtlasError
from atlas_core.model import GPT, LADDER, GPTConfig, get_scale

NAMED_SIZE = {"k": 1e3, "m": 1e6}


@pytest.mark.parametrize("name", list(LADDER))
@pytest.mark.parametrize("vocab, seq_len", [(256, 128), (4096, 64)])
def test_parameter_counts_match_the_module(name, vocab, seq_len):
    cfg = LADDER[name].config(vocab_size=vocab, seq_len=seq_len)
    with torch.device("meta"):
        model = GPT(cfg)
    total = sum(p.numel() for p in model.parameters())
    embeddings = model.tok_emb.weight.numel() + model.pos_emb.weight.numel()
    assert total == cfg.n_params
    assert total - embeddings == cfg.n_params_non_embedding


@pytest.mark.parametrize("name", list(LADDER))
def test_ladder_names_give_the_non_embedding_size(name):
    named = float(name[:-1]) * NAMED_SIZE[name[-1]]
    assert 0.75 <= LADDER[name].n_params_non_embedding / named <= 1.35
    assert LADDER[name].tokens_per_s > 0


def test_ladder_is_ordered_and_pilot_shapes_are_kept():
    sizes = [s.n_params_non_embedding for s in LADDER.values()]
    assert sizes == sorted(sizes)
    assert LADDER["10k"].n_params_non_embedding == 12_768      # pilot d32 L1
    assert LADDER["100k"].n_params_non_embedding == 100_096    # pilot d64 L2
    assert LADDER["300k"].n_params_non_embedding == 335_712    # pilot d96 L3
    with pytest.raises(AtlasError, match="ladder"):
        get_scale("5k")


@pytest.mark.parametrize("d, layers, heads", [(32, 1, 2), (64, 2, 4), (96, 3, 3)])
def test_flops_per_token_match_the_counted_matmuls(d, layers, heads):
    """Counted with the math attention kernel, whose matmuls score all T keys (the formula counts causal ones)."""
    cfg = GPTConfig(d_model=d, n_layer=layers, n_head=heads, seq_len=32)
    model, x = GPT(cfg), torch.randint(0, 256, (3, 32))
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x).flatten(0, 1), x.flatten()).backward()
    counted = counter.get_total_flops() / x.numel()
    T = cfg.seq_len
    causal_attention, full_attention = 6 * layers * d * (T + 1), 12 * layers * d * T
    assert counted == cfg.flops_per_token - causal_attention + full_attention


def test_attention_is_causal():
    torch.manual_seed(0)
    model = GPT(GPTConfig(d_model=32, n_layer=2, n_head=2, seq_len=16)).eval()
    x = torch.randint(0, 256, (2, 16))
    changed = x.clone()
    changed[:, 10:] = (changed[:, 10:] + 1) % 256
    a, b = model(x), model(changed)
    assert torch.equal(a[:, :10], b[:, :10])
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_output_layer_is_the_token_embedding():
    torch.manual_seed(0)
    model = GPT(GPTConfig(d_model=16, n_layer=1, n_head=2, seq_len=8))
    x = torch.randint(0, 256, (2, 8))
    with torch.no_grad():
        model.tok_emb.weight[7] += 1.0
    hidden = model.ln_f(model.blocks[0](model.tok_emb(x) + model.pos_emb.weight))
    assert torch.allclose(model(x), hidden @ model.tok_emb.weight.T)


def test_initial_loss_is_near_uniform():
    torch.manual_seed(0)
    model = GPT(LADDER["100k"].config())
    x, y = torch.randint(0, 256, (2, 4, 128))
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
    assert abs(loss.item() - torch.log(torch.tensor(256.0)).item()) < 0.05


def test_bad_shapes_are_named():
    with pytest.raises(AtlasError, match="divisible"):
        GPTConfig(d_model=30, n_head=4)
    with pytest.raises(AtlasError, match="n_layer"):
        GPTConfig(n_layer=0)
    with pytest.raises(AtlasError, match="longer than"):
        GPT(GPTConfig(d_model=16, n_layer=1, n_head=2, seq_len=8))(torch.zeros(1, 9, dtype=torch.long))
