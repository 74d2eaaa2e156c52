"""A small decoder-only GPT: pre-LayerNorm blocks, causal SDPA attention, learned positions, tied embeddings.

The shape is nanoGPT's. Parameter and FLOP counts are exact functions of the config (``GPTConfig.n_params``,
``GPTConfig.flops_per_token``) and are checked against the module in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from atlas_core.errors import AtlasError


@dataclass(frozen=True)
class GPTConfig:
    """The shape of one model."""

    vocab_size: int = 256        # 256 for bytes
    seq_len: int = 128           # context length (learned position embeddings)
    d_model: int = 64
    n_layer: int = 2
    n_head: int = 4
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "seq_len", "d_model", "n_layer", "n_head"):
            if getattr(self, name) < 1:
                raise AtlasError(f"model setting {name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.n_head:
            raise AtlasError(f"d_model={self.d_model} is not divisible by n_head={self.n_head}")
        if not 0.0 <= self.dropout < 1.0:
            raise AtlasError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def n_params_non_embedding(self) -> int:
        """Parameters outside the token and position embeddings: what the scaling laws call N."""
        d = self.d_model
        per_layer = 12 * d * d + 13 * d  # LN(2d) + QKV(3d^2+3d) + proj(d^2+d) + LN(2d) + MLP(8d^2+5d)
        return self.n_layer * per_layer + 2 * d  # + final LayerNorm

    @property
    def n_params(self) -> int:
        """All parameters: non-embedding + token embedding (tied with the unembedding) + positions."""
        return self.n_params_non_embedding + (self.vocab_size + self.seq_len) * self.d_model

    @property
    def flops_per_token(self) -> int:
        """Training FLOPs per token (forward + backward = 3 x forward), matmuls only.

        Forward: 2 per weight of every matmul (QKV, projections, MLP, the tied unembedding) plus causal attention,
        where query t scores t+1 keys: on average (T+1)/2 keys, 2*d FLOPs each for QK^T and again for AV.
        Biases, LayerNorms and softmax are not counted (a few percent at these sizes).
        """
        d, L, T = self.d_model, self.n_layer, self.seq_len
        weights = L * 12 * d * d + self.vocab_size * d
        attention = L * 2 * d * (T + 1)  # 2 matmuls x 2 FLOPs x d x (T+1)/2 keys
        return 3 * (2 * weights + attention)


class SelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.dropout = cfg.dropout
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model)
        self.proj = nn.Linear(4 * cfg.d_model, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Decoder-only transformer returning next-token logits."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.seq_len, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by 1/sqrt(2L)
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Logits of shape (B, T, vocab) for token ids ``idx`` of shape (B, T), T <= seq_len."""
        T = idx.shape[1]
        if T > self.cfg.seq_len:
            raise AtlasError(f"sequence of length {T} is longer than the model's context {self.cfg.seq_len}")
        x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:T])
        for block in self.blocks:
            x = block(x)
        return F.linear(self.ln_f(x), self.tok_emb.weight)
