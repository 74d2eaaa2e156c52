"""Mixtures over sources and the deterministic batch sampler that serves them.

A mixture is a dict ``source -> weight``: languages, the language-free control sources ("utf3", "rand") and the
empty partner "null", whose share of every batch is absent (the same optimizer steps with no partner gradient).
``monolingual``, ``bilingual``, ``uniform`` and ``unimax_weights`` build the usual ones; any dict is a custom one.

``MixtureSampler`` composes every batch deterministically, like the pilot. The batch's rows are split between
sources by weight with the Balinski-Young quota method: every source stays within one row of its exact share at
every step, whatever the weights. Each source's windows are visited in a random permutation, a new one each
epoch, drawn from the source's own generator seeded by (seed, source name), so that a source's windows and their
order do not depend on its partners (mono, null and bilingual runs of one seed are paired). A unique-token cap U
keeps a fixed subset of U // seq_len of a source's windows, drawn independently of the run seed (the same for
every seed, and nested: a smaller cap keeps a subset of a larger one's windows). The sampler counts the tokens
served per source at every step.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from atlas_core.errors import AtlasError

NULL = "null"
CAP_SEED = 1234  # unique-token caps keep windows drawn with this seed, whatever the run's seed (as in the pilot)


def monolingual(lang: str) -> dict[str, float]:
    return {lang: 1.0}


def bilingual(target: str, partner: str, target_share: float = 0.5) -> dict[str, float]:
    """Two sources, ``target_share`` of every batch for the target (``partner`` may be "null")."""
    if not 0.0 < target_share < 1.0:
        raise AtlasError(f"target share must be strictly between 0 and 1, got {target_share}")
    if target == partner:
        raise AtlasError(f"bilingual mixture needs two different sources, got {target!r} twice")
    return {target: target_share, partner: 1.0 - target_share}


def uniform(sources: Sequence[str]) -> dict[str, float]:
    """Equal weight over K sources."""
    if not sources or len(set(sources)) != len(sources):
        raise AtlasError(f"uniform mixture needs distinct sources, got {list(sources)}")
    return {s: 1.0 / len(sources) for s in sources}


def unimax_weights(available_tokens: dict[str, int], budget: int, max_epochs: float = 4.0,
                   pinned: dict[str, float] | None = None) -> dict[str, float]:
    """Unimax sampling weights (Chung et al. 2023): a uniform budget over languages, capped at ``max_epochs``.

    Languages are visited from the smallest to the largest; each gets an equal share of the budget still
    unassigned, or ``max_epochs`` times its available tokens if that is less, and the rest is passed on to the
    larger languages. ``pinned`` fixes some languages' shares first (the paper's "English 5%").
    """
    pinned = dict(pinned or {})
    if budget <= 0:
        raise AtlasError(f"Unimax budget must be positive, got {budget}")
    if max_epochs <= 0:
        raise AtlasError(f"Unimax max_epochs must be positive, got {max_epochs}")
    for lang, tokens in available_tokens.items():
        if tokens <= 0:
            raise AtlasError(f"Unimax: language {lang!r} has {tokens} available tokens")
    for lang, share in pinned.items():
        if lang not in available_tokens:
            raise AtlasError(f"Unimax: pinned language {lang!r} is not among the available languages")
        if not 0.0 < share < 1.0:
            raise AtlasError(f"Unimax: pinned share of {lang!r} must be in (0, 1), got {share}")
        if share * budget > max_epochs * available_tokens[lang] * (1 + 1e-9):
            raise AtlasError(f"Unimax: pinned {lang!r} at {share:.2%} of {budget} tokens needs "
                             f"{share * budget / available_tokens[lang]:.2f} epochs, more than max_epochs={max_epochs}")
    if sum(pinned.values()) >= 1.0:
        raise AtlasError(f"Unimax: pinned shares sum to {sum(pinned.values())}, leaving nothing for the rest")
    free = sorted((t, lang) for lang, t in available_tokens.items() if lang not in pinned)
    if not free:
        raise AtlasError("Unimax needs at least one language that is not pinned")
    remaining = budget * (1.0 - sum(pinned.values()))
    tokens = {lang: share * budget for lang, share in pinned.items()}
    for i, (available, lang) in enumerate(free):
        tokens[lang] = min(remaining / (len(free) - i), max_epochs * available)
        remaining -= tokens[lang]
    if remaining > 1e-6 * budget:
        raise AtlasError(f"Unimax: a budget of {budget} tokens exceeds max_epochs={max_epochs} times the "
                         f"available tokens of every language ({int(budget - remaining)} tokens at most)")
    return {lang: tokens[lang] / budget for lang in available_tokens}


WEIGHT_SUM_TOLERANCE = 1e-6  # computed weights (Unimax, 1/K) sum to 1 up to rounding; a typo is far off


def check_positive(weights: Mapping[str, float]) -> None:
    """``AtlasError`` unless the mixture has sources and every weight is a positive finite number."""
    if not weights:
        raise AtlasError("the mixture is empty: give at least one source with a weight")
    for name, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not np.isfinite(w) or w <= 0:
            raise AtlasError(f"mixture weight of {name!r} must be a positive number, got {w}")


def check_weights(weights: Mapping[str, float]) -> None:
    """``AtlasError`` unless the weights are positive and sum to 1, naming the mixture and its sum.

    The sampler itself takes relative weights; a mixture a user wrote (``es=0.6,pt=0.6``) is refused instead of
    being renormalised without a word.
    """
    check_positive(weights)
    total = float(sum(weights.values()))
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        label = ",".join(f"{name}={w:g}" for name, w in weights.items())
        raise AtlasError(f"mixture {label}: weights sum to {total:g}, not 1")


def source_seed(seed: int, source: str) -> list[int]:
    """The entropy of a source's own generator: stable across runs, platforms and partners."""
    return [seed, zlib.crc32(source.encode())]


def _window_view(stream: np.ndarray, seq_len: int) -> np.ndarray:
    """All windows of ``seq_len + 1`` tokens starting every ``seq_len`` tokens (each token is a target once)."""
    n_windows = (len(stream) - 1) // seq_len
    return np.lib.stride_tricks.as_strided(stream, shape=(n_windows, seq_len + 1),
                                           strides=(seq_len * stream.strides[0], stream.strides[0]),
                                           writeable=False)


class _SourceStream:
    """The windows of one source (all, or a capped subset), visited in a fresh seeded permutation each epoch."""

    def __init__(self, name: str, stream: np.ndarray, seq_len: int, seed: int, unique_tokens: int | None):
        self.windows = _window_view(np.ascontiguousarray(stream), seq_len)
        n_all = len(self.windows)
        if n_all == 0:
            raise AtlasError(f"source {name!r} has {len(stream)} tokens, fewer than one window of {seq_len + 1}")
        if unique_tokens is None:
            self.kept = np.arange(n_all)
        elif not seq_len <= unique_tokens <= n_all * seq_len:
            raise AtlasError(f"unique_tokens cap of {name!r} is {unique_tokens}: must be between one window "
                             f"({seq_len} tokens) and its {n_all * seq_len} available tokens")
        else:  # a fixed subset, whatever the run's seed; a smaller cap keeps a subset of a larger one's windows
            cap_order = np.random.default_rng(source_seed(CAP_SEED, name)).permutation(n_all)
            self.kept = np.sort(cap_order[:unique_tokens // seq_len])
        self.rng = np.random.default_rng(source_seed(seed, name))
        self.order = self.rng.permutation(self.kept)
        self.pos = 0

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` windows, shape (n, seq_len + 1), starting new permutations as epochs end."""
        picks = []
        while n > 0:
            if self.pos == len(self.order):
                self.order, self.pos = self.rng.permutation(self.kept), 0
            k = min(n, len(self.order) - self.pos)
            picks.append(self.order[self.pos:self.pos + k])
            self.pos += k
            n -= k
        return self.windows[np.concatenate(picks)] if picks else self.windows[:0]

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "order": self.order.copy(), "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.order, self.pos = np.asarray(state["order"]), int(state["pos"])


@dataclass(frozen=True)
class Batch:
    """One training batch: real windows of every non-null source, stacked, and the nominal row count."""

    windows: np.ndarray              # (rows, seq_len + 1) token ids; inputs are [:, :-1], targets [:, 1:]
    rows: dict[str, int]             # rows per source, "null" included
    batch_size: int                  # nominal rows (null rows included): the loss is normalised by this


class MixtureSampler:
    """Deterministic batches over a weighted mixture of token streams, with per-source counters."""

    def __init__(self, streams: Mapping[str, np.ndarray], weights: Mapping[str, float], *, batch_size: int,
                 seq_len: int, seed: int, unique_tokens: Mapping[str, int] | None = None):
        check_positive(weights)
        if batch_size < 1 or seq_len < 1:
            raise AtlasError(f"batch_size and seq_len must be >= 1, got {batch_size} and {seq_len}")
        unique_tokens = dict(unique_tokens or {})
        for name in unique_tokens:
            if name not in weights:
                raise AtlasError(f"unique-token cap given for {name!r}, which is not in the mixture "
                                 f"({', '.join(weights)})")
        if NULL in unique_tokens:
            raise AtlasError("the null source has no tokens to cap")
        self.sources = list(weights)
        if self.sources == [NULL]:
            raise AtlasError("a mixture of only the null source trains nothing")
        self.batch_size, self.seq_len = batch_size, seq_len
        total = float(sum(weights.values()))
        self.weights = np.array([weights[s] / total for s in self.sources])
        self.streams: dict[str, _SourceStream] = {}
        for name in self.sources:
            if name == NULL:
                continue
            if name not in streams:
                raise AtlasError(f"no training data for source {name!r} (have: {', '.join(sorted(streams))})")
            self.streams[name] = _SourceStream(name, streams[name], seq_len, seed, unique_tokens.get(name))
        self.rows_served = np.zeros(len(self.sources), dtype=np.int64)
        exact = self.batch_size * self.weights
        self.whole_rows = np.rint(exact).astype(np.int64) if np.allclose(exact, np.rint(exact), atol=1e-9) else None

    def allocate(self) -> np.ndarray:
        """Rows per source for the next batch, one row at a time by the Balinski-Young quota method.

        Each row goes to the source with the largest w_s / (n_s + 1) among those still below their upper quota,
        so after every row g each source has served floor(g w_s) or ceil(g w_s) rows: within one row of its
        exact share at every step, whatever the weights. When every share of the batch is a whole number of rows
        (mono, 50/50, uniform over K dividing the batch) that is simply those rows every step.
        """
        if self.whole_rows is not None:
            self.rows_served = self.rows_served + self.whole_rows
            return self.whole_rows
        served = self.rows_served.copy()
        g = int(served.sum())
        for _ in range(self.batch_size):
            g += 1
            eligible = served < g * self.weights + 1e-9
            served[np.argmax(np.where(eligible, self.weights / (served + 1), -1.0))] += 1
        rows = served - self.rows_served
        self.rows_served = served
        return rows

    def next_batch(self) -> Batch:
        rows = self.allocate()
        parts = [self.streams[s].take(int(n)) for s, n in zip(self.sources, rows) if s != NULL and n > 0]
        windows = np.concatenate(parts) if parts else np.empty((0, self.seq_len + 1), np.uint8)
        return Batch(windows, dict(zip(self.sources, rows.tolist())), self.batch_size)

    @property
    def tokens_seen(self) -> dict[str, int]:
        """D_s: target tokens served per source so far (null rows count as if they were real)."""
        return {s: int(n) * self.seq_len for s, n in zip(self.sources, self.rows_served)}

    @property
    def unique_tokens(self) -> dict[str, int]:
        """U_s: the distinct target tokens a source can serve (its cap, or its whole stream); 0 for null."""
        return {s: len(self.streams[s].kept) * self.seq_len if s in self.streams else 0 for s in self.sources}

    def epochs(self) -> dict[str, float]:
        """D_s / U_s per source (NaN for null, which has no unique tokens)."""
        unique = self.unique_tokens
        return {s: d / unique[s] if unique[s] else float("nan") for s, d in self.tokens_seen.items()}

    def max_tokens(self, n_steps: int) -> dict[str, int]:
        """The most tokens of each source that ``n_steps`` steps can serve (its upper quota)."""
        rows = np.ceil(n_steps * self.batch_size * self.weights - 1e-9).astype(np.int64)
        return {s: int(n) * self.seq_len for s, n in zip(self.sources, rows)}

    def state_dict(self) -> dict:
        return {"rows_served": self.rows_served.copy(),
                "streams": {s: st.state_dict() for s, st in self.streams.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.rows_served = np.asarray(state["rows_served"], dtype=np.int64).copy()
        for s, st in self.streams.items():
            st.load_state_dict(state["streams"][s])
