"""Experiment kinds: the paper's Table B.1 experiment types as declarative specs that expand into runs.

Every spec has a ``kind`` and may set ``seeds`` (default: the profile's), ``train`` (training settings that
override the profile's) and ``description``. Token counts accept ints or strings like ``"1.5M"``. Kinds:

``mono``       monolingual runs: ``languages`` x ``scales`` x ``tokens``; ``unique_tokens`` {lang: cap} makes a
               language low-resource (repetition); a list of caps gives one run per cap (a repetition sweep);
               ``language_scales`` {lang: [scales]} trains a language on fewer scales than ``scales``.
``unimax``     a Unimax multilingual base (Chung et al. 2023): ``languages`` (default "all" prepared) x ``scales``
               x ``tokens``; ``max_epochs`` (default 4), ``pinned`` weights (e.g. {en: 0.05}), ``unique_tokens``,
               ``eval_langs`` (default: every language of the mixture).
``bilingual``  transfer: 50/50 pairs at ``scales``, all pairs among ``languages`` (directions towards
               ``targets``, default all) or explicit ``pairs`` [[source, target], ...]; each target's monolingual
               run at ``mono_tokens`` (d_mono), bilingual runs at 2 x d_mono; ``controls`` per target: ``self``
               (the target alone, 2 x d_mono tokens over d_mono unique: the ceiling), ``null`` (empty partner: the
               zero point), ``utf3`` / ``rand`` (language-free partners).
``capacity``   uniform mixtures over K languages (Table B.5 idea): ``languages`` in nesting order (``targets``
               first), ``K`` list (ints or "all"), ``scales`` x ``tokens`` (total); K = 1 is each target's
               monolingual run; only ``targets`` are evaluated.
``finetune``   continued pretraining from a ``base`` (the name of a ``unimax`` experiment of the profile) on each
               of ``languages`` for ``tokens``, against the same language from scratch; ``scales`` and ``seeds``
               default to the base's, ``base_tokens`` to the base's largest budget, ``eval_langs`` (default: the
               finetuning language) adds evaluation languages to the finetunes (for FAS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from atlas_core.errors import AtlasError
from atlas_core.experiments.catalog import Catalog, require_prepared, unimax_mixture as catalog_unimax
from atlas_core.experiments.spec import Profile, check_seeds, parse_tokens
from atlas_core.experiments.runs import RunRequest, Use, mixture_kind, run_id_for
from atlas_core.train.config import CONTROL_SOURCES, RunRef, TrainConfig

COMMON_KEYS = frozenset({"kind", "seeds", "train", "description"})
SET_BY_KINDS = frozenset({"scale", "mixture", "tokens", "unique_tokens", "eval_langs", "init_from", "seed"})
BTS_CONTROLS = ("self", "null", "utf3", "rand")  # partners a bilingual spec may add per target


class PlanContext:
    """What expanding a spec needs: the profile's defaults, the language catalog, memoized stream sizes."""

    def __init__(self, profile: Profile, catalog: Catalog):
        self.profile = profile
        self.catalog = catalog
        self.train_tokens = cache(catalog.train_tokens)

    def seeds(self, spec: dict) -> list[int]:
        return list(spec.get("seeds", self.profile.seeds))

    def config(self, spec: dict, **fields) -> TrainConfig:
        return TrainConfig.from_dict({**self.profile.train, **(spec.get("train") or {}), **fields})

    def languages(self, value, where: str) -> list[str]:
        """A language list from a spec value: a list, one code, or "all" (every prepared language)."""
        if value == "all":
            return sorted(self.catalog.available())
        langs = _as_list(value)
        if not langs or not all(isinstance(x, str) for x in langs):
            raise AtlasError(f"{where}: expected a list of language codes or 'all', got {value!r}")
        require_prepared(self.catalog, langs, where)
        return langs


@dataclass(frozen=True)
class Kind:
    required: frozenset[str]
    optional: frozenset[str]
    expand: Callable[[str, dict, PlanContext], list[RunRequest]]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _tokens(spec: dict, key: str, where: str) -> list[int]:
    return [parse_tokens(v, f"{where}: {key}") for v in _as_list(spec[key])]


def _scales(spec: dict, where: str) -> list[str]:
    scales = _as_list(spec["scales"])
    if not scales or not all(isinstance(s, str) for s in scales):
        raise AtlasError(f"{where}: scales must be a list of ladder names like ['25k', '100k'], got {spec['scales']!r}")
    return scales


def _caps(spec: dict, ctx: PlanContext, where: str) -> dict[str, list[int]]:
    """unique_tokens: language -> one cap or a list of caps (one run per cap: a repetition sweep)."""
    caps = spec.get("unique_tokens") or {}
    if not isinstance(caps, dict):
        raise AtlasError(f"{where}: unique_tokens must be a mapping language -> tokens (or a list of them)")
    require_prepared(ctx.catalog, list(caps), f"{where}: unique_tokens")
    return {lang: [parse_tokens(v, f"{where}: unique_tokens.{lang}") for v in _as_list(values)]
            for lang, values in caps.items()}


def _single_caps(spec: dict, ctx: PlanContext, where: str) -> dict[str, int]:
    caps = _caps(spec, ctx, where)
    several = [lang for lang, values in caps.items() if len(values) != 1]
    if several:
        raise AtlasError(f"{where}: unique_tokens.{several[0]} must be one cap here, not a list")
    return {lang: values[0] for lang, values in caps.items()}


def _eval_langs(mixture: dict[str, float], langs: list[str]) -> list[str]:
    """Explicit evaluation languages, or [] when they are the mixture's languages (the trainer's default), so
    that equal runs get equal configurations whichever kind asks for them."""
    own = {s for s in mixture if s not in CONTROL_SOURCES}
    return [] if set(langs) == own else sorted(set(langs))


def mono_request(ctx: PlanContext, spec: dict, use: Use, lang: str, scale: str, tokens: int, seed: int,
                 cap: int | None = None) -> RunRequest:
    """One language trained from scratch; shared by every kind so that equal runs are one run."""
    cfg = ctx.config(spec, scale=scale, mixture={lang: 1.0}, tokens=tokens,
                     unique_tokens={lang: cap} if cap else {}, seed=seed)
    return RunRequest(cfg, use, "mono")


def _language_scales(spec: dict, langs: list[str], where: str) -> dict[str, list[str]]:
    """Each language's scales: ``scales``, or its own subset of them from ``language_scales``."""
    scales, own = _scales(spec, where), spec.get("language_scales") or {}
    if not isinstance(own, dict):
        raise AtlasError(f"{where}: language_scales must be a mapping language -> list of scales")
    for lang, subset in own.items():
        if lang not in langs:
            raise AtlasError(f"{where}: language_scales names {lang!r}, which is not in languages {langs}")
        extra = [s for s in _scales({"scales": subset}, f"{where}: language_scales.{lang}") if s not in scales]
        if extra:
            raise AtlasError(f"{where}: language_scales.{lang} has {extra}, not in scales {scales}")
    return {lang: [s for s in scales if s in _as_list(own.get(lang, scales))] for lang in langs}


def expand_mono(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    where = f"experiment {name!r}"
    langs, caps = ctx.languages(spec["languages"], where), _caps(spec, ctx, where)
    scales = _language_scales(spec, langs, where)
    return [mono_request(ctx, spec, Use(name, "mono", "mono", target=lang), lang, scale, tokens, seed, cap)
            for lang in langs for cap in caps.get(lang, [None]) for scale in scales[lang]
            for tokens in _tokens(spec, "tokens", where) for seed in ctx.seeds(spec)]


def unimax_mixture(ctx: PlanContext, spec: dict, langs: list[str], caps: dict[str, int],
                   budget: int) -> dict[str, float]:
    """The spec's Unimax weights for a token budget (``catalog.unimax_mixture``)."""
    tokenizer = ctx.config(spec, scale="", mixture={}, tokens=budget).tokenizer
    return catalog_unimax(ctx.train_tokens, langs, budget, tokenizer=tokenizer, caps=caps,
                          max_epochs=float(spec.get("max_epochs", 4.0)), pinned=spec.get("pinned"))


def expand_unimax(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    where = f"experiment {name!r}"
    langs, caps = ctx.languages(spec.get("languages", "all"), where), _single_caps(spec, ctx, where)
    evals = ctx.languages(spec["eval_langs"], f"{where}: eval_langs") if "eval_langs" in spec else langs
    out = []
    for tokens in _tokens(spec, "tokens", where):
        mixture = unimax_mixture(ctx, spec, langs, caps, tokens)
        for scale in _scales(spec, where):
            for seed in ctx.seeds(spec):
                cfg = ctx.config(spec, scale=scale, mixture=mixture, tokens=tokens, unique_tokens=caps,
                                 eval_langs=_eval_langs(mixture, evals), seed=seed)
                out.append(RunRequest(cfg, Use(name, "unimax", "unimax"), mixture_kind(mixture, unimax=True)))
    return out


def _directions(name: str, spec: dict, ctx: PlanContext) -> list[tuple[str, str]]:
    """(source, target) pairs of a bilingual spec."""
    where = f"experiment {name!r}"
    if ("pairs" in spec) == ("languages" in spec):
        raise AtlasError(f"{where}: give either languages (all pairs) or pairs [[source, target], ...], not both")
    if "pairs" in spec:
        pairs = spec["pairs"]
        if not isinstance(pairs, list) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise AtlasError(f"{where}: pairs must be a list of [source, target] pairs, got {pairs!r}")
        directions = [(str(s), str(t)) for s, t in pairs]
        if any(s == t for s, t in directions):
            raise AtlasError(f"{where}: a pair needs two different languages "
                             f"(use controls: [self] for the target alone)")
        require_prepared(ctx.catalog, sorted({x for d in directions for x in d}), where)
        return directions
    langs = ctx.languages(spec["languages"], where)
    targets = ctx.languages(spec.get("targets", langs), f"{where}: targets")
    outside = [t for t in targets if t not in langs]
    if outside:
        raise AtlasError(f"{where}: targets {', '.join(outside)} are not among its languages")
    return [(s, t) for t in targets for s in langs if s != t]


def expand_bilingual(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    where = f"experiment {name!r}"
    directions = _directions(name, spec, ctx)
    targets = sorted({t for _, t in directions})
    controls = ["null" if c is None else c for c in _as_list(spec.get("controls", []))]  # YAML reads null as None
    unknown = [c for c in controls if c not in BTS_CONTROLS]
    if unknown:
        raise AtlasError(f"{where}: unknown control(s) {', '.join(map(str, unknown))} "
                         f"(known: {', '.join(BTS_CONTROLS)})")
    pairs: dict[frozenset, list[tuple[str, str]]] = {}
    for s, t in directions:
        pairs.setdefault(frozenset((s, t)), []).append((s, t))
    if isinstance(spec["mono_tokens"], list):
        raise AtlasError(f"{where}: mono_tokens is one token count (the reference horizon d_mono), not a list")
    d_mono = parse_tokens(spec["mono_tokens"], f"{where}: mono_tokens")
    out = []
    for scale in _scales(spec, where):
        for seed in ctx.seeds(spec):
            for t in targets:
                out.append(mono_request(ctx, spec, Use(name, "bilingual", "mono", target=t), t, scale, d_mono, seed))
            for pair, dirs in pairs.items():
                mixture = {lang: 0.5 for lang in sorted(pair)}  # evaluated on both: shared by either direction
                cfg = ctx.config(spec, scale=scale, mixture=mixture, tokens=2 * d_mono, seed=seed)
                out += [RunRequest(cfg, Use(name, "bilingual", "bilingual", target=t, partner=s), "bilingual")
                        for s, t in dirs]
            for t in targets:
                for control in controls:
                    use = Use(name, "bilingual", "control", target=t, partner=control)
                    if control == "self":
                        out.append(mono_request(ctx, spec, use, t, scale, 2 * d_mono, seed, cap=d_mono))
                        continue
                    mixture = {t: 0.5, control: 0.5}
                    cfg = ctx.config(spec, scale=scale, mixture=mixture, tokens=2 * d_mono, seed=seed,
                                     eval_langs=_eval_langs(mixture, [t]))
                    out.append(RunRequest(cfg, use, mixture_kind(mixture)))
    return out


def expand_capacity(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    where = f"experiment {name!r}"
    langs = ctx.languages(spec["languages"], where)
    targets = ctx.languages(spec["targets"], f"{where}: targets")
    outside = [t for t in targets if t not in langs]
    if outside:
        raise AtlasError(f"{where}: targets {', '.join(outside)} are not among its languages")
    order = targets + [lang for lang in langs if lang not in targets]
    ks = sorted({len(order) if k == "all" else k for k in _as_list(spec["K"])})
    bad = [k for k in ks if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(order)]
    if bad:
        raise AtlasError(f"{where}: K must be whole numbers from 1 to {len(order)} (its languages) or 'all'; got {bad}")
    use = Use(name, "capacity", "uniform")
    out = []
    for scale in _scales(spec, where):
        for tokens in _tokens(spec, "tokens", where):
            for seed in ctx.seeds(spec):
                for k in ks:
                    if k == 1:
                        out += [mono_request(ctx, spec, use, t, scale, tokens, seed) for t in targets]
                        continue
                    mixture = {lang: 1.0 / k for lang in order[:k]}
                    cfg = ctx.config(spec, scale=scale, mixture=mixture, tokens=tokens, seed=seed,
                                     eval_langs=_eval_langs(mixture, [t for t in targets if t in mixture]))
                    out.append(RunRequest(cfg, use, mixture_kind(mixture)))
    return out


def expand_finetune(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    where = f"experiment {name!r}"
    base_name = spec["base"]
    base_spec = ctx.profile.experiments[base_name]
    langs = ctx.languages(spec["languages"], where)
    extra_evals = ctx.languages(spec["eval_langs"], f"{where}: eval_langs") if "eval_langs" in spec else []
    scales = _scales(spec if "scales" in spec else base_spec, where)
    seeds = ctx.seeds(spec if "seeds" in spec else base_spec)
    base_budgets = _tokens(base_spec, "tokens", f"experiment {base_name!r}")
    base_tokens = (parse_tokens(spec["base_tokens"], f"{where}: base_tokens") if "base_tokens" in spec
                   else max(base_budgets))
    bases = {(r.config.scale, r.config.seed): r for r in expand_unimax(base_name, base_spec, ctx)
             if r.config.tokens == base_tokens}
    missing = [(s, seed) for s in scales for seed in seeds if (s, seed) not in bases]
    if missing:
        raise AtlasError(f"{where}: its base {base_name!r} has no run at (scale, seed) {missing[0]} with "
                         f"{base_tokens} tokens (base budgets: {base_budgets})")
    out = []
    for scale in scales:
        for seed in seeds:
            base = bases[(scale, seed)]
            out.append(RunRequest(base.config, Use(name, "finetune", "base"), base.mixture_kind))
            for tokens in _tokens(spec, "tokens", where):
                for lang in langs:
                    mixture = {lang: 1.0}
                    cfg = ctx.config(spec, scale=scale, mixture=mixture, tokens=tokens, seed=seed,
                                     init_from=RunRef(run_id_for(base.config)),
                                     eval_langs=_eval_langs(mixture, [lang, *extra_evals]))
                    out.append(RunRequest(cfg, Use(name, "finetune", "finetune", target=lang), "mono"))
                    out.append(mono_request(ctx, spec, Use(name, "finetune", "scratch", target=lang),
                                            lang, scale, tokens, seed))
    return out


KINDS: dict[str, Kind] = {
    "mono": Kind(frozenset({"languages", "scales", "tokens"}), frozenset({"unique_tokens", "language_scales"}), expand_mono),
    "unimax": Kind(frozenset({"scales", "tokens"}),
                   frozenset({"languages", "max_epochs", "pinned", "unique_tokens", "eval_langs"}), expand_unimax),
    "bilingual": Kind(frozenset({"scales", "mono_tokens"}), frozenset({"languages", "pairs", "targets", "controls"}),
                      expand_bilingual),
    "capacity": Kind(frozenset({"languages", "targets", "K", "scales", "tokens"}), frozenset(), expand_capacity),
    "finetune": Kind(frozenset({"base", "languages", "tokens"}),
                     frozenset({"scales", "base_tokens", "eval_langs"}), expand_finetune),
}


def check_experiment(name: str, spec, experiments: dict, *, where: str) -> None:
    """Structural checks of one experiment spec (values that need the data are checked when planning)."""
    here = f"{where}: experiment {name!r}"
    if not isinstance(spec, dict):
        raise AtlasError(f"{here}: expected a mapping with a 'kind', got {spec!r}")
    kind = KINDS.get(spec.get("kind"))
    if kind is None:
        raise AtlasError(f"{here}: unknown experiment kind {spec.get('kind')!r} (known: {', '.join(KINDS)})")
    unknown = sorted(set(spec) - kind.required - kind.optional - COMMON_KEYS)
    if unknown:
        allowed = ", ".join(sorted(kind.required | kind.optional | COMMON_KEYS))
        raise AtlasError(f"{here}: unknown key(s) {', '.join(unknown)} for kind {spec['kind']!r} (allowed: {allowed})")
    missing = sorted(kind.required - set(spec))
    if missing:
        raise AtlasError(f"{here}: missing key(s) {', '.join(missing)} for kind {spec['kind']!r}")
    train = spec.get("train") or {}
    if not isinstance(train, dict):
        raise AtlasError(f"{here}: train must be a mapping of training settings")
    fixed = sorted(set(train) & SET_BY_KINDS)
    if fixed:
        raise AtlasError(f"{here}: train cannot set {', '.join(fixed)} (the experiment's kind sets them)")
    TrainConfig.from_dict({"scale": "", "mixture": {}, "tokens": 1, **train})
    check_seeds(spec.get("seeds", [0]), here)
    if spec["kind"] == "finetune" and experiments.get(spec["base"], {}).get("kind") != "unimax":
        raise AtlasError(f"{here}: base {spec['base']!r} must name an experiment of kind 'unimax' in the same profile")


def expand(name: str, spec: dict, ctx: PlanContext) -> list[RunRequest]:
    """The run requests of one experiment."""
    return KINDS[spec["kind"]].expand(name, spec, ctx)

