"""Interactive altair charts for the chapters: each takes a tidy table and returns a chart, nothing else.

Interactions work offline in the book (local vega bundle, see :mod:`atlas_core.book.viz`): click a legend entry
to highlight a series, drag a slider, pick from a dropdown, hover for values, scroll to zoom. JupyterLab shows
the same charts as PNG pictures (no interaction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import numpy as np
import pandas as pd

from atlas_core.book import viz  # noqa: F401  (enables the offline renderer for every chart made here)
from atlas_core.errors import AtlasError

WIDTH, HEIGHT = 480, 300
LOG = alt.Scale(type="log", nice=False)  # nice=False: no axis stretched a decade past the data
# On a log axis spanning decades, label the powers of ten only ("1e21"; plain numbers from 0.001 to 9999).
DECADE_LABELS = (
    "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-6 ? '' : "
    "datum.value >= 1e-3 && datum.value < 1e4 ? format(datum.value, '~g') : '1e' + round(log(datum.value) / LN10)"
)


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AtlasError(f"{what}: missing column(s) {', '.join(missing)}")


def _axis(values, title: str, log: bool) -> tuple[alt.Scale, alt.Axis]:
    """Scale and axis for a field: linear without forcing zero, or log (decade labels over 3+ decades)."""
    if not log:
        return alt.Scale(zero=False), alt.Axis(title=title)
    positive = np.asarray(values, dtype=np.float64)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    wide = positive.size > 0 and np.log10(positive.max() / positive.min()) >= 3
    return LOG, (alt.Axis(title=title, labelExpr=DECADE_LABELS) if wide else alt.Axis(title=title))


def _legend_highlight(field: str) -> alt.Parameter:
    """Click a legend entry (shift-click for several) to highlight that series."""
    return alt.selection_point(fields=[field], bind="legend")


def law_explorer(laws: pd.DataFrame, *, color: str, selector: str, selected: str | None = None,
                 D_range: tuple[float, float] = (1e8, 1e13), log10_N: tuple[float, float, float] = (7.0, 10.5, 9.0),
                 n_points: int = 60) -> alt.Chart:
    """Loss against training tokens D for Chinchilla-form laws ``E + A/N^alpha + B/D^beta``, one line per ``color``.

    A slider sets log10 of the model size N (min, max, start of ``log10_N``); a dropdown picks the value of the
    ``selector`` column to show (default ``selected``, else its first value). The loss is computed in the browser,
    so the slider is live. ``laws`` has columns E, A, B, alpha, beta, ``color`` and ``selector``.
    """
    _require(laws, ["E", "A", "B", "alpha", "beta", color, selector], "law_explorer")
    options = list(dict.fromkeys(laws[selector]))
    start = options[0] if selected is None else selected
    if start not in options:
        raise AtlasError(f"law_explorer: {selector}={start!r} is not one of: {', '.join(map(str, options))}")
    grid = pd.DataFrame({"D": np.geomspace(*D_range, n_points)})
    data = laws[[color, selector, "E", "A", "B", "alpha", "beta"]].merge(grid, how="cross")
    low, high, value = log10_N
    size = alt.param(name="log10_N", value=value, bind=alt.binding_range(min=low, max=high, step=0.05,
                                                                         name="log10 N (parameters) "))
    pick = alt.param(name="pick", value=start, bind=alt.binding_select(options=options, name=f"{selector} "))
    highlight = _legend_highlight(color)
    return (
        alt.Chart(data, width=WIDTH, height=HEIGHT)
        .mark_line()
        .transform_filter(alt.datum[selector] == pick)
        .transform_calculate(
            loss="datum.E + datum.A / pow(pow(10, log10_N), datum.alpha) + datum.B / pow(datum.D, datum.beta)"
        )
        .encode(
            x=alt.X("D:Q", scale=LOG, axis=_axis(D_range, "training tokens D", log=True)[1]),
            y=alt.Y("loss:Q", scale=alt.Scale(zero=False), title="predicted loss"),
            color=alt.Color(f"{color}:N"),
            opacity=alt.condition(highlight, alt.value(1.0), alt.value(0.15)),
            tooltip=[color, alt.Tooltip("D:Q", format=".3s"), alt.Tooltip("loss:Q", format=".3f")],
        )
        .add_params(size, pick, highlight)
    )


def lines(table: pd.DataFrame, *, x: str, y: str, color: str, log_x: bool = True, log_y: bool = False,
          x_title: str | None = None, y_title: str | None = None, points: pd.DataFrame | None = None) -> alt.Chart:
    """One line per ``color`` value, with legend highlighting and tooltips; ``points`` (same columns) are
    overlaid as marked points, e.g. published values to compare with."""
    _require(table, [x, y, color], "lines")
    highlight = _legend_highlight(color)
    x_scale, x_axis = _axis(table[x], x_title or x, log_x)
    y_scale, y_axis = _axis(table[y], y_title or y, log_y)
    encoding = dict(
        x=alt.X(f"{x}:Q", scale=x_scale, axis=x_axis),
        y=alt.Y(f"{y}:Q", scale=y_scale, axis=y_axis),
        color=alt.Color(f"{color}:N"),
        tooltip=[color, alt.Tooltip(f"{x}:Q", format=".3~s"), alt.Tooltip(f"{y}:Q", format=".4~g")],
    )
    chart = (
        alt.Chart(table, width=WIDTH, height=HEIGHT).mark_line()
        .encode(opacity=alt.condition(highlight, alt.value(1.0), alt.value(0.15)), **encoding)
        .add_params(highlight)
    )
    if points is None:
        return chart
    _require(points, [x, y, color], "lines (points)")
    return chart + alt.Chart(points).mark_point(size=70, filled=True).encode(**encoding)


def or_note(chart: Callable[..., alt.TopLevelMixin], table: pd.DataFrame, note: str, **kwargs):
    """``chart(table, **kwargs)``, or ``note`` as Markdown when the table is empty (a profile without those runs)."""
    if table.empty:
        from IPython.display import Markdown

        return Markdown(note)
    return chart(table, **kwargs)


def transfer_heatmap(pairs: pd.DataFrame, *, order: Sequence[str], target: str, value: str = "score") -> alt.VConcatChart:
    """A target x source heatmap of ``value`` (rows = target, columns = source, as the paper's Fig. 2), above a
    bar chart of every source's score for one target. Click a cell to choose the target; ``target`` is the first.

    ``pairs`` has one row per (source, target) with columns source, target, ``value``, source_name, target_name,
    same_script and same_family; ``order`` gives the language order of both axes.
    """
    _require(pairs, ["source", "target", value, "source_name", "target_name", "same_script", "same_family"],
             "transfer_heatmap")
    if target not in set(pairs["target"]):
        raise AtlasError(f"transfer_heatmap: target {target!r} is not in the matrix")
    choose = alt.selection_point(fields=["target"], value=[{"target": target}], on="click", clear=False)
    colors = alt.Scale(scheme="redblue", domainMid=0)
    tooltip = ["source_name", "target_name", alt.Tooltip(f"{value}:Q", format="+.2f"), "same_script", "same_family"]
    heatmap = (
        alt.Chart(pairs, width=560, height=560, title="transfer score (row: target, column: source)")
        .mark_rect()
        .encode(
            x=alt.X("source:N", sort=list(order), title="source"),
            y=alt.Y("target:N", sort=list(order), title="target"),
            color=alt.Color(f"{value}:Q", scale=colors, title=value),
            stroke=alt.condition(choose, alt.value("black"), alt.value(None)),
            tooltip=tooltip,
        )
        .add_params(choose)
    )
    bars = (
        alt.Chart(pairs, width=560, height=200, title="sources of the chosen target (click a cell above)")
        .mark_bar()
        .transform_filter(choose)
        .encode(
            x=alt.X("source:N", sort="-y", title="source"),
            y=alt.Y(f"{value}:Q", title=value),
            color=alt.Color("same_script:N", title="same script as target"),
            tooltip=tooltip,
        )
    )
    return alt.vconcat(heatmap, bars)


def power_multipliers(*, alpha: float, beta: float, phi: float, psi: float, r_max: float = 16.0,
                      points: pd.DataFrame | None = None) -> alt.Chart:
    """Curse-of-multilinguality multipliers against the language multiplier r, with live sliders for phi and psi:
    N x r^(phi/alpha), D_tot x r^(1 + psi/beta), C x r^(1 + phi/alpha + psi/beta) (alpha, beta fixed).

    ``points`` (columns r, quantity, multiplier) are overlaid, e.g. the paper's Fig. 5 annotations.
    """
    r = pd.DataFrame({"r": np.geomspace(1.0, r_max, 60)})
    phi_slider = alt.param(name="phi", value=phi, bind=alt.binding_range(min=-0.2, max=0.4, step=0.01, name="phi "))
    psi_slider = alt.param(name="psi", value=psi, bind=alt.binding_range(min=-0.2, max=0.2, step=0.01, name="psi "))
    title = (f"at phi={phi}, psi={psi}: N x r^{phi / alpha:.3f}, D_tot x r^{1 + psi / beta:.3f}, "
             f"C x r^{1 + phi / alpha + psi / beta:.3f}")
    highlight = _legend_highlight("quantity")
    encoding = dict(
        x=alt.X("r:Q", scale=alt.Scale(type="log", base=2), title="languages multiplied by r"),
        y=alt.Y("multiplier:Q", scale=LOG, title="multiplier at equal loss"),
        color=alt.Color("quantity:N"),
        tooltip=["quantity:N", alt.Tooltip("r:Q", format=".2f"), alt.Tooltip("multiplier:Q", format=".3f")],
    )
    chart = (
        alt.Chart(r, width=WIDTH, height=HEIGHT, title=title)
        .transform_calculate(
            N=f"pow(datum.r, phi / {alpha})",
            D_tot=f"pow(datum.r, 1 + psi / {beta})",
            C=f"pow(datum.r, 1 + phi / {alpha} + psi / {beta})",
        )
        .transform_fold(["N", "D_tot", "C"], as_=["quantity", "multiplier"])
        .mark_line()
        .encode(opacity=alt.condition(highlight, alt.value(1.0), alt.value(0.15)), **encoding)
        .add_params(phi_slider, psi_slider, highlight)
    )
    if points is None:
        return chart
    _require(points, ["r", "quantity", "multiplier"], "power_multipliers (points)")
    return chart + alt.Chart(points).mark_point(size=80, filled=True).encode(**encoding)


def scatter(table: pd.DataFrame, *, x: str, y: str, color: str, log_x: bool = True, log_color: bool = True,
            tooltip: Sequence[str] = (), x_title: str | None = None, y_title: str | None = None) -> alt.Chart:
    """Points coloured by a quantitative ``color``; scroll to zoom, drag to pan, hover for the row."""
    _require(table, [x, y, color, *tooltip], "scatter")
    x_scale, x_axis = _axis(table[x], x_title or x, log_x)
    return (
        alt.Chart(table, width=WIDTH, height=HEIGHT)
        .mark_circle(size=40, opacity=0.8)
        .encode(
            x=alt.X(f"{x}:Q", scale=x_scale, axis=x_axis),
            y=alt.Y(f"{y}:Q", scale=alt.Scale(zero=False), title=y_title or y),
            color=alt.Color(f"{color}:Q", scale=alt.Scale(type="log" if log_color else "linear", scheme="viridis"),
                            legend=alt.Legend(format=".0e")),
            tooltip=[alt.Tooltip(f"{c}:Q", format=".4~g") for c in (x, y, color, *tooltip)],
        )
        .interactive()
    )


def distributions(samples: pd.DataFrame, *, references: pd.DataFrame, bins: int = 40) -> alt.LayerChart:
    """Histogram of one parameter's resampled values, chosen from a dropdown, with reference values as rules.

    ``samples`` has columns parameter, value; ``references`` has columns parameter, value, source (e.g. "ours",
    "Epoch AI", "Hoffmann et al."). Each parameter is binned on its own range here (a browser-side bin would
    span every parameter at once).
    """
    _require(samples, ["parameter", "value"], "distributions")
    _require(references, ["parameter", "value", "source"], "distributions (references)")
    histograms = []
    for name, values in samples.groupby("parameter", sort=False)["value"]:
        counts, edges = np.histogram(values.to_numpy(dtype=np.float64), bins=bins)
        histograms.append(pd.DataFrame({"parameter": name, "start": edges[:-1], "end": edges[1:], "count": counts}))
    histogram_table = pd.concat(histograms, ignore_index=True)
    options = list(histogram_table["parameter"].unique())
    pick = alt.param(name="parameter_pick", value=options[0],
                     bind=alt.binding_select(options=options, name="parameter "))
    histogram = (
        alt.Chart(histogram_table, width=WIDTH, height=HEIGHT)
        .transform_filter(alt.datum.parameter == pick)
        .mark_rect(opacity=0.6)
        .encode(
            x=alt.X("start:Q", scale=alt.Scale(zero=False), title="resampled value"),
            x2="end:Q",
            y=alt.Y("count:Q", title="resamples"),
            y2=alt.datum(0),
            tooltip=[alt.Tooltip("start:Q", format=".4~g"), alt.Tooltip("end:Q", format=".4~g"), "count:Q"],
        )
        .add_params(pick)
    )
    rules = (
        alt.Chart(references)
        .transform_filter(alt.datum.parameter == pick)
        .mark_rule(strokeWidth=2)
        .encode(x="value:Q", color=alt.Color("source:N"), tooltip=["source", alt.Tooltip("value:Q", format=".4~g")])
    )
    return histogram + rules


def verdict_counts(claims: pd.DataFrame) -> alt.Chart:
    """Claims per chapter, stacked by verdict (a ``claims_table``); hover for the count."""
    _require(claims, ["chapter", "verdict"], "verdict_counts")
    counts = claims.groupby(["chapter", "verdict"], as_index=False).size()
    highlight = _legend_highlight("verdict")
    return (
        alt.Chart(counts, width=WIDTH, height=HEIGHT)
        .mark_bar()
        .encode(x=alt.X("chapter:O", title="chapter"), y=alt.Y("size:Q", title="claims"),
                color=alt.Color("verdict:N"), opacity=alt.condition(highlight, alt.value(1.0), alt.value(0.2)),
                tooltip=["chapter", "verdict", "size"])
        .add_params(highlight)
    )


def reciprocity(pairs: pd.DataFrame, *, who: str) -> alt.Chart:
    """Each pair's score a -> b against b -> a (a ``reciprocal_pairs`` table: a_to_b, b_to_a, relation), coloured
    by relation, with the line of perfect reciprocity; ``who`` names whose scores they are in the axis titles."""
    _require(pairs, ["a_to_b", "b_to_a", "relation"], "reciprocity")
    low, high = pairs[["a_to_b", "b_to_a"]].min().min(), pairs[["a_to_b", "b_to_a"]].max().max()
    diagonal = pd.DataFrame({"a_to_b": [low, high], "b_to_a": [low, high], "relation": "reciprocal: a->b = b->a"})
    return lines(diagonal, x="a_to_b", y="b_to_a", color="relation", log_x=False, points=pairs,
                 x_title=f"score of a -> b ({who})", y_title=f"score of b -> a ({who})")
