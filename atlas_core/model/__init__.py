"""Tiny decoder-only GPTs and the named ladder of scales."""

from atlas_core.model.gpt import GPT, GPTConfig
from atlas_core.model.ladder import LADDER, Scale, get_scale

__all__ = ["GPT", "GPTConfig", "LADDER", "Scale", "get_scale"]
