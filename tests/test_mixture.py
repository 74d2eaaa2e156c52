"""The mixture sampler: batch composition, counters, epochs, pairing across partners, caps, resume; Unimax."""

from __future__ import annotations

import numpy as np
import pytest

from atlas_core.data.mixture import NULL, MixtureSampler, bilingual, monolingual, uniform, unimax_weights
from atlas_core.errors import AtlasError

T = 8  # context of these tests


def stream(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)


STREAMS = {"aa": stream(8 * 50 + 1, 1), "bb": stream(8 * 30 + 1, 2), "cc": stream(8 * 20 + 1, 3)}


def window_ids(sampler: MixtureSampler, source: str, windows: np.ndarray) -> list[int]:
    """Indices of ``windows`` (rows of a batch) in ``source``'s window list."""
    view = sampler.streams[source].windows
    lookup = {view[i].tobytes(): i for i in range(len(view))}
    return [lookup[w.tobytes()] for w in windows]


def source_rows(batch, sampler, source):
    """The rows of ``source`` in a batch (sources are stacked in mixture order, null absent)."""
    start = sum(batch.rows[s] for s in sampler.sources[:sampler.sources.index(source)] if s != NULL)
    return batch.windows[start:start + batch.rows[source]]


@pytest.mark.parametrize("weights", [
    {"aa": 0.5, "bb": 0.5}, {"aa": 1, "bb": 1, "cc": 1}, {"aa": 0.7, "bb": 0.2, "cc": 0.1},
    {"aa": 0.97, "bb": 0.02, NULL: 0.01}, {"aa": 0.05, "bb": 0.3, NULL: 0.65},
])
@pytest.mark.parametrize("batch_size", [1, 5, 16])
def test_every_source_stays_within_one_row_of_its_share(weights, batch_size):
    sampler = MixtureSampler(STREAMS, weights, batch_size=batch_size, seq_len=T, seed=0)
    share = np.array(list(weights.values()), dtype=float) / sum(weights.values())
    served = np.zeros(len(weights))
    for step in range(1, 301):
        batch = sampler.next_batch()
        assert sum(batch.rows.values()) == batch_size
        assert len(batch.windows) == batch_size - batch.rows.get(NULL, 0)  # null rows are not materialised
        served += list(batch.rows.values())
        assert np.all(np.abs(served - step * batch_size * share) < 1.0), (step, served)


def test_counters_count_tokens_unique_tokens_and_epochs():
    sampler = MixtureSampler(STREAMS, {"aa": 0.5, "bb": 0.25, NULL: 0.25}, batch_size=8, seq_len=T, seed=0)
    for _ in range(20):
        sampler.next_batch()
    assert sampler.tokens_seen == {"aa": 80 * T, "bb": 40 * T, NULL: 40 * T}
    assert sampler.unique_tokens == {"aa": 50 * T, "bb": 30 * T, NULL: 0}
    epochs = sampler.epochs()
    assert epochs["aa"] == pytest.approx(80 / 50) and epochs["bb"] == pytest.approx(40 / 30)
    assert np.isnan(epochs[NULL])


def test_each_epoch_visits_every_window_once_in_a_new_order():
    sampler = MixtureSampler(STREAMS, {"aa": 1.0}, batch_size=5, seq_len=T, seed=3)
    seen = [i for _ in range(20) for i in window_ids(sampler, "aa", sampler.next_batch().windows)]
    first, second = seen[:50], seen[50:100]
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second and first != list(range(50))


def test_windows_cover_the_stream_with_each_token_a_target_once():
    sampler = MixtureSampler(STREAMS, {"aa": 1.0}, batch_size=1, seq_len=T, seed=0)
    view = sampler.streams["aa"].windows
    assert view.shape == (50, T + 1)
    assert np.array_equal(view[:, 1:].reshape(-1), STREAMS["aa"][1:])
    assert np.array_equal(view[1:, 0], view[:-1, -1])


def test_target_windows_do_not_depend_on_the_partner():
    """Paired seeds: the target's windows and their order are the same alone, with null, or with a partner."""
    def target_sequence(weights, batch_size, seed=7):
        sampler = MixtureSampler(STREAMS, weights, batch_size=batch_size, seq_len=T, seed=seed)
        rows = [source_rows(sampler.next_batch(), sampler, "aa") for _ in range(30)]
        return window_ids(sampler, "aa", np.concatenate(rows))

    mono = target_sequence({"aa": 1.0}, 4)
    assert target_sequence({"aa": 0.5, NULL: 0.5}, 8) == mono
    assert target_sequence({"aa": 0.5, "bb": 0.5}, 8) == mono
    assert target_sequence({"bb": 0.5, "aa": 0.5}, 8) == mono
    assert target_sequence({"aa": 1.0}, 4, seed=8) != mono


def test_unique_cap_is_a_fixed_nested_subset_whatever_the_seed():
    big = {"aa": stream(64 * 1024 + 1, 9)}

    def served_in_one_epoch(cap, seed):
        sampler = MixtureSampler(big, {"aa": 1.0}, batch_size=16, seq_len=128, seed=seed,
                                 unique_tokens={"aa": cap})
        windows = [w.tobytes() for _ in range(cap // 128 // 16) for w in sampler.next_batch().windows]
        assert len(set(windows)) == len(windows) == cap // 128  # one epoch: every kept window once
        return sampler, set(windows)

    small, kept_small = served_in_one_epoch(8 * 1024, 0)
    _, kept_small_seed1 = served_in_one_epoch(8 * 1024, 1)
    _, kept_large = served_in_one_epoch(24 * 1024, 0)
    assert kept_small == kept_small_seed1
    assert kept_small < kept_large
    assert small.unique_tokens["aa"] == 8 * 1024
    assert small.epochs()["aa"] == pytest.approx(1.0)
    small.next_batch()
    assert small.epochs()["aa"] == pytest.approx(1.25)


def test_state_dict_resume_continues_the_same_batches():
    weights = {"aa": 0.6, "bb": 0.3, NULL: 0.1}
    straight = MixtureSampler(STREAMS, weights, batch_size=7, seq_len=T, seed=1)
    expected = [straight.next_batch().windows for _ in range(40)]
    first = MixtureSampler(STREAMS, weights, batch_size=7, seq_len=T, seed=1)
    got = [first.next_batch().windows for _ in range(17)]
    resumed = MixtureSampler(STREAMS, weights, batch_size=7, seq_len=T, seed=1)
    resumed.load_state_dict(first.state_dict())
    got += [resumed.next_batch().windows for _ in range(23)]
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
    assert resumed.tokens_seen == straight.tokens_seen


def test_max_tokens_bounds_what_the_steps_serve():
    sampler = MixtureSampler(STREAMS, {"aa": 0.7, "bb": 0.2, "cc": 0.1}, batch_size=3, seq_len=T, seed=0)
    bound = sampler.max_tokens(25)
    for _ in range(25):
        sampler.next_batch()
    for source, tokens in sampler.tokens_seen.items():
        assert tokens <= bound[source] <= tokens + T


@pytest.mark.parametrize("weights, streams, caps, message", [
    ({}, STREAMS, None, "empty"),
    ({"aa": -1.0}, STREAMS, None, "positive"),
    ({"aa": "0.5"}, STREAMS, None, "positive"),
    ({"aa": 1.0, "xx": 1.0}, STREAMS, None, "'xx'"),
    ({NULL: 1.0}, STREAMS, None, "only the null"),
    ({"aa": 1.0}, STREAMS, {"bb": 100}, "not in the mixture"),
    ({"aa": 1.0}, STREAMS, {"aa": 10 ** 6}, "available"),
    ({"aa": 1.0}, STREAMS, {"aa": T - 1}, "one window"),
    ({"aa": 1.0}, {"aa": stream(5, 0)}, None, "fewer than one window"),
])
def test_bad_mixtures_are_named(weights, streams, caps, message):
    with pytest.raises(AtlasError, match=message):
        MixtureSampler(streams, weights, batch_size=4, seq_len=T, seed=0, unique_tokens=caps)


def test_mixture_builders():
    assert monolingual("es") == {"es": 1.0}
    assert bilingual("es", NULL) == {"es": 0.5, NULL: 0.5}
    assert bilingual("es", "pt", 0.75) == {"es": 0.75, "pt": 0.25}
    assert uniform(["es", "pt", "fr", "de"]) == dict.fromkeys(["es", "pt", "fr", "de"], 0.25)
    with pytest.raises(AtlasError):
        bilingual("es", "es")
    with pytest.raises(AtlasError):
        uniform(["es", "es"])


def test_unimax_gives_equal_budgets_capped_at_max_epochs():
    # ascending: a gets min(3000/3, 4*100) = 400; b min(2600/2, 4000) = 1300; c gets the remaining 1300
    weights = unimax_weights({"c": 10_000, "a": 100, "b": 1000}, budget=3000, max_epochs=4)
    assert weights == pytest.approx({"c": 1300 / 3000, "a": 400 / 3000, "b": 1300 / 3000})
    assert list(weights) == ["c", "a", "b"]
    assert unimax_weights({"a": 10**6, "b": 10**6}, budget=1000) == pytest.approx({"a": 0.5, "b": 0.5})


def test_unimax_pins_english():
    weights = unimax_weights({"en": 10**6, "es": 10**6, "hi": 100}, budget=10_000, max_epochs=4, pinned={"en": 0.05})
    assert weights["en"] == pytest.approx(0.05)
    assert weights["hi"] == pytest.approx(400 / 10_000)
    assert weights["es"] == pytest.approx(1 - 0.05 - 0.04)


@pytest.mark.parametrize("kwargs, message", [
    ({"budget": 10**6}, "exceeds max_epochs"),
    ({"budget": 1000, "pinned": {"xx": 0.1}}, "not among"),
    ({"budget": 1000, "pinned": {"a": 0.5}}, "epochs"),
    ({"budget": 0}, "positive"),
])
def test_unimax_refuses_what_it_cannot_serve(kwargs, message):
    with pytest.raises(AtlasError, match=message):
        unimax_weights({"a": 100, "b": 1000}, max_epochs=1.0, **kwargs)
