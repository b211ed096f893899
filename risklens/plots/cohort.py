"""Cohort-level views: global importance, beeswarm, dependence, subgroups, data summaries."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary, LevelInfo
from risklens.explain.base import Explanation
from risklens.metrics.consistency import top_k
from risklens.plots.style import (
    ACCENT,
    LOWER,
    NEUTRAL,
    PALETTE,
    VALUE_SCALE,
    _finish,
    _labels,
    plain,
    space_label,
)


# ---- cohort explanations ---------------------------------------------------------------------
def importance_bar(expl: Explanation, dictionary: FeatureDictionary | None, top: int = 15,
                   title: str = "Global importance") -> go.Figure:
    """Mean |attribution| per feature over the explanation's rows (the study's cohort level)."""
    imp = np.abs(expl.values).mean(axis=0) if len(expl) else np.zeros(len(expl.feature_names))
    order = top_k(imp, top)[::-1]
    names = [expl.feature_names[j] for j in order]
    fig = go.Figure(go.Bar(x=imp[order], y=_labels(names, dictionary), orientation="h", marker_color=LOWER,
                           hovertemplate="%{y}<br>%{x:.4f}<extra></extra>"))
    return _finish(fig, title, f"mean |{space_label(expl.output)}|", "", height=max(300, 24 * len(order) + 110),
                   legend=False)

def subgroup_importance_figure(frame: pd.DataFrame, dictionary: FeatureDictionary | None, output: str, top: int = 12,
                               title: str = "Importance by subgroup") -> go.Figure:
    """``frame``: index = features, one column per subgroup (mean |attribution|)."""
    order = frame.mean(axis=1).sort_values(ascending=False, kind="stable").head(top).index[::-1]
    fig = go.Figure()
    for i, col in enumerate(frame.columns):
        fig.add_trace(go.Bar(x=frame.loc[order, col].to_numpy(), y=_labels(order, dictionary), orientation="h",
                             name=plain(col), marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group")
    return _finish(fig, title, f"mean |{space_label(output)}|", "", height=max(340, 22 * len(order) * max(1, len(frame.columns)) // 2 + 140))

def _unit_scale(col: np.ndarray) -> np.ndarray:
    """Feature values to 0..1 by rank (robust colour scale); NaN stays NaN."""
    out = np.full(col.shape, np.nan)
    ok = ~np.isnan(col)
    if ok.sum() > 1:
        r = pd.Series(col[ok]).rank(pct=True).to_numpy()
        out[ok] = r
    elif ok.sum() == 1:
        out[ok] = 0.5
    return out

#: colours of a category's levels in the beeswarm (none of them the value scale's low blue or high orange)
LEVEL_COLOURS = ["#CC79A7", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#000000", "#999999"]


def _value_words(info, values: np.ndarray) -> list[str]:
    """Each value as a person reads it: a level in words ("F", "not recorded") or a number with its unit."""
    if info is None:
        return ["not recorded" if np.isnan(v) else f"{v:.4g}" for v in values]
    return [plain(info.format_value(float(v))) for v in values]


def _missing_name(count: int) -> str:
    return f"not recorded (n={count:,})"


def beeswarm_figure(expl: Explanation, dictionary: FeatureDictionary | None, top: int = 12, max_points: int = 1500,
                    seed: int = 0, title: str = "Attribution per patient (beeswarm)") -> go.Figure:
    """Each patient's attribution per top feature, coloured by the feature's value (rank scale). A missing value is
    not a middle value: it is drawn as its own marker (a grey cross), counted in the legend and in the feature's
    label; a level of a text column is named in the hover ("Sex = F")."""
    values, data, feature_names, output = expl.values, expl.data, expl.feature_names, expl.output
    rng = np.random.default_rng(seed)
    rows = np.arange(values.shape[0])
    if len(rows) > max_points:
        rows = np.sort(rng.choice(rows, size=max_points, replace=False))
    order = top_k(np.abs(values).mean(axis=0), top)
    labels = _labels([feature_names[j] for j in order], dictionary)
    xs, ys, cs, hv, miss, lv = [], [], [], [], [], []
    ticks = []
    for pos, (j, label) in enumerate(zip(order[::-1], labels[::-1])):
        v, d = values[rows, j], data[rows, j]
        y = pos + rng.uniform(-0.3, 0.3, size=len(v))
        gone = np.isnan(d)
        info = dictionary.get_info(feature_names[j]) if dictionary is not None else None
        words = np.array(_value_words(info, d), dtype=object)
        if isinstance(info, LevelInfo) and len(info.texts) > 2:  # levels have no low or high: a colour per level
            code = np.nan_to_num(d[~gone], nan=-1).astype(int)
            lv.append((v[~gone], y[~gone], [LEVEL_COLOURS[c % len(LEVEL_COLOURS)] for c in code],
                       [f"{label} = {w}" for w in words[~gone]]))
        else:
            xs.append(v[~gone]), ys.append(y[~gone]), cs.append(_unit_scale(d)[~gone])
            hv.append([f"{label} = {w}" for w in words[~gone]])
        miss.append((v[gone], y[gone], [f"{label} not recorded"] * int(gone.sum())))
        ticks.append(f"{label} ({int(gone.sum()):,} not recorded)" if gone.any() else label)
    cat = (lambda parts: np.concatenate(parts) if parts else np.array([]))
    fig = go.Figure(go.Scattergl(
        x=cat(xs), y=cat(ys), mode="markers", name="recorded value",
        marker={"size": 4, "color": cat(cs), "colorscale": VALUE_SCALE, "cmin": 0, "cmax": 1,
                "colorbar": {"title": {"text": "feature value"}, "tickvals": [0, 1], "ticktext": ["low", "high"]}},
        customdata=cat([np.asarray(h, dtype=object) for h in hv]),
        hovertemplate="%{customdata}<br>attribution %{x:.4f}<extra></extra>",
    ))
    n_missing = int(sum(len(m[0]) for m in miss))
    if n_missing:
        fig.add_trace(go.Scattergl(
            x=cat([m[0] for m in miss]), y=cat([m[1] for m in miss]), mode="markers", name=_missing_name(n_missing),
            marker={"size": 6, "color": "#555555", "symbol": "x"},
            customdata=cat([np.asarray(m[2], dtype=object) for m in miss]),
            hovertemplate="%{customdata}<br>attribution %{x:.4f}<extra></extra>"))
    if lv:
        fig.add_trace(go.Scattergl(
            x=cat([p[0] for p in lv]), y=cat([p[1] for p in lv]), mode="markers",
            name="a category's level (a colour each; hover names it)",
            marker={"size": 4, "color": [c for p in lv for c in p[2]]},
            customdata=cat([np.asarray(p[3], dtype=object) for p in lv]),
            hovertemplate="%{customdata}<br>attribution %{x:.4f}<extra></extra>"))
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=ticks)
    fig.add_vline(x=0, line_color=NEUTRAL, line_width=1)
    return _finish(fig, title, space_label(output), "", height=max(320, 30 * len(order) + 120),
                   legend=n_missing > 0 or bool(lv), legend_at="below")


def _positions(info, x: np.ndarray) -> tuple[np.ndarray, dict]:
    """Where each value sits on the x axis and the axis settings. A text column: its levels side by side (codes),
    "not recorded" and "other" as levels of their own, each tick with its count. A number: its value (a missing
    value gets a strip of its own from the caller)."""
    gone = np.isnan(x)
    if isinstance(info, LevelInfo):
        words = list(info.texts)
        pos = np.where(gone, len(words), np.where((x >= 0) & (x < len(words)), x, len(words) + 1))
        kept = [k for k in range(len(words) + 2) if (pos == k).any() or k < len(words)]
        names = words + ["not recorded", "other"]
        text = [f"{plain(names[k])} (n={int((pos == k).sum()):,})" for k in kept]
        return pos.astype(np.float64), {"tickvals": kept, "ticktext": text, "range": [-0.6, max(kept) + 0.6]}
    return x, {}


def dependence_figure(expl: Explanation, feature: str, color_feature: str | None, dictionary: FeatureDictionary | None,
                      max_points: int = 3000, seed: int = 0, title: str | None = None) -> go.Figure:
    """Each patient's attribution of ``feature`` against its value, coloured by ``color_feature``'s value
    (rank scale), so an interaction shows as colours that separate vertically. A text column's levels stand side
    by side (jittered), each with its count; patients without a value are drawn in a strip of their own, named
    with their count, never dropped."""
    names, values, data, output = list(expl.feature_names), expl.values, expl.data, expl.output
    j = names.index(feature)
    rng = np.random.default_rng(seed)
    rows = np.arange(values.shape[0])
    if len(rows) > max_points:
        rows = np.sort(rng.choice(rows, size=max_points, replace=False))
    info = dictionary.get_info(feature) if dictionary is not None else None
    xlab = plain((info.label + (f" ({info.unit})" if info.unit and not isinstance(info, LevelInfo) else "")) if info else feature)
    raw_x, y = data[rows, j], values[rows, j]
    x, axis = _positions(info, raw_x)
    x = np.where(np.isnan(raw_x), np.nan, x) if not isinstance(info, LevelInfo) else x
    if isinstance(info, LevelInfo):
        x = x + rng.uniform(-0.25, 0.25, size=len(x))
    gone = np.isnan(raw_x)
    words = np.array(_value_words(info, raw_x), dtype=object)
    fig = go.Figure()
    if color_feature and color_feature in names and color_feature != feature:
        k = names.index(color_feature)
        cinfo = dictionary.get_info(color_feature) if dictionary is not None else None
        clab = plain(cinfo.label if cinfo is not None else color_feature)
        c = _unit_scale(data[rows, k])  # colour by rank: outliers do not wash the scale out
        cwords = np.array(_value_words(cinfo, data[rows, k]), dtype=object)
        ok = ~np.isnan(c) & ~gone
        fig.add_trace(go.Scattergl(
            x=x[ok], y=y[ok], mode="markers", name=clab, customdata=np.column_stack([words[ok], cwords[ok]]),
            marker={"size": 5, "color": c[ok], "colorscale": VALUE_SCALE, "cmin": 0, "cmax": 1,
                    "colorbar": {"title": {"text": clab}, "tickvals": [0, 1], "ticktext": ["low", "high"]}},
            hovertemplate="value %{customdata[0]}<br>attribution %{y:.4f}<br>" + clab + " %{customdata[1]}<extra></extra>"))
        other = np.isnan(c) & ~gone
        if other.any():
            fig.add_trace(go.Scattergl(x=x[other], y=y[other], mode="markers",
                                       name=f"{clab} not recorded (n={int(other.sum()):,})",
                                       marker={"size": 5, "color": NEUTRAL, "symbol": "circle-open"},
                                       customdata=words[other],
                                       hovertemplate="value %{customdata}<br>attribution %{y:.4f}<extra></extra>"))
    else:
        fig.add_trace(go.Scattergl(x=x[~gone], y=y[~gone], mode="markers", name="recorded", marker={"size": 5, "color": LOWER},
                                   customdata=words[~gone],
                                   hovertemplate="value %{customdata}<br>attribution %{y:.4f}<extra></extra>"))
    if gone.any() and not isinstance(info, LevelInfo):  # a strip of its own, on a small axis right of the values
        n = int(gone.sum())
        fig.add_trace(go.Scattergl(x=rng.uniform(-0.3, 0.3, size=n), y=y[gone], xaxis="x2", mode="markers",
                                   name=f"{xlab} {_missing_name(n)}", marker={"size": 6, "color": "#555555", "symbol": "x"},
                                   hovertemplate="not recorded<br>attribution %{y:.4f}<extra></extra>"))
        fig.update_layout(xaxis={"domain": [0, 0.85]},
                          xaxis2={"domain": [0.88, 1.0], "anchor": "y", "range": [-1, 1], "tickvals": [0],
                                  "ticktext": [f"not recorded<br>(n={n:,})"], "showgrid": False, "zeroline": False})
    elif gone.any():  # a text column: "not recorded" is one of its levels on the axis; say so in the legend too
        fig.add_trace(go.Scattergl(x=x[gone], y=y[gone], mode="markers", name=f"{xlab} {_missing_name(int(gone.sum()))}",
                                   marker={"size": 6, "color": "#555555", "symbol": "x"},
                                   hovertemplate="not recorded<br>attribution %{y:.4f}<extra></extra>"))
    if axis:
        fig.update_xaxes(**axis)
    if info is not None and (info.normal_low is not None or info.normal_high is not None) and (~gone).any():
        lo = info.normal_low if info.normal_low is not None else float(np.nanmin(raw_x))
        hi = info.normal_high if info.normal_high is not None else float(np.nanmax(raw_x))
        fig.add_vrect(x0=lo, x1=hi, fillcolor=ACCENT, opacity=0.12, line_width=0, annotation_text="normal range")
    fig.add_hline(y=0, line_color=NEUTRAL, line_width=1)
    return _finish(fig, title or f"Dependence: {xlab}", xlab, space_label(output), height=440,
                   legend=len(fig.data) > 1, legend_at="below")


def pdp_ice_figure(curves: dict, dictionary: FeatureDictionary | None, max_ice: int = 200,
                   title: str | None = None) -> go.Figure:
    """Partial dependence (bold) with individual conditional expectation curves (thin), risk in %.

    ``curves``: ``{"feature", "grid", "average" (g,), "individual" (n, g)}`` as from
    :func:`risklens.patients.pdp.partial_dependence_curves`. A text column (``"levels"`` in ``curves``) has nothing
    between its levels: one bar per level (the average) with each patient's risk at that level as points."""
    feature, grid = curves["feature"], np.asarray(curves["grid"], dtype=np.float64)
    info = dictionary.get_info(feature) if dictionary is not None else None
    if "levels" in curves:
        return _pdp_levels(curves, plain(info.label if info is not None else feature), max_ice, title)
    xlab = plain((info.label + (f" ({info.unit})" if info and info.unit else "")) if info else feature)
    ice = 100 * np.asarray(curves["individual"], dtype=np.float64)[:max_ice]
    xs = np.concatenate([np.append(grid, np.nan) for _ in range(len(ice))]) if len(ice) else []
    ys = np.concatenate([np.append(r, np.nan) for r in ice]) if len(ice) else []
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", name="one patient (ICE)", opacity=0.25,
                               line={"color": NEUTRAL, "width": 1}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=grid, y=100 * np.asarray(curves["average"]), mode="lines", name="average (partial dependence)",
                             line={"color": ACCENT, "width": 4},
                             hovertemplate="value %{x:.4g}<br>average risk %{y:.1f}%<extra></extra>"))
    if info is not None and info.normal_low is not None and info.normal_high is not None:
        fig.add_vrect(x0=info.normal_low, x1=info.normal_high, fillcolor=ACCENT, opacity=0.10, line_width=0,
                      annotation_text="normal range")
    return _finish(fig, title or f"Predicted risk as {xlab} changes", xlab, "predicted risk (%)", height=420,
                   legend=True, legend_at="below")


def _pdp_levels(curves: dict, label: str, max_ice: int, title: str | None) -> go.Figure:
    levels = [plain(v) for v in curves["levels"]]
    ice = 100 * np.asarray(curves["individual"], dtype=np.float64)[:max_ice]
    avg = 100 * np.asarray(curves["average"], dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=levels, y=avg, name="average (partial dependence)", marker_color=ACCENT, opacity=0.55,
                         text=[f"{a:.1f}%" for a in avg], textposition="outside",
                         hovertemplate=f"{label} = %{{x}}<br>average risk %{{y:.1f}}%<extra></extra>"))
    if len(ice):  # each patient's risk at each level: a jittered strip of points over the level's bar
        fig.add_trace(go.Box(x=np.repeat(np.array(levels, dtype=object), len(ice)), y=ice.T.reshape(-1),
                             name="one patient (ICE)", boxpoints="all", jitter=0.7, pointpos=0,
                             marker={"size": 4, "color": "#444444", "opacity": 0.45}, line={"width": 0},
                             fillcolor="rgba(0,0,0,0)", hoverinfo="skip"))
    fig.update_xaxes(type="category")
    return _finish(fig, title or f"Predicted risk for each {label} level", label, "predicted risk (%)", height=420,
                   legend=True, legend_at="below")


# ---- data summaries --------------------------------------------------------------------------
def missingness_figure(missing: pd.Series, dictionary: FeatureDictionary | None, top: int = 25,
                       title: str = "Missing values per feature") -> go.Figure:
    m = missing.sort_values(ascending=False, kind="stable").head(top)[::-1]
    fig = go.Figure(go.Bar(x=100 * m.to_numpy(), y=_labels(m.index, dictionary), orientation="h", marker_color=NEUTRAL))
    fig.update_xaxes(range=[0, min(100.0, max(5.0, 110 * float(m.max()) if len(m) else 5.0))])
    return _finish(fig, title, "missing (% of rows)", "", height=max(260, 20 * len(m) + 110), legend=False)

def count_bar(counts: Mapping[str, int] | pd.Series, title: str, xlabel: str, ylabel: str = "rows (count)") -> go.Figure:
    s = pd.Series(counts)
    fig = go.Figure(go.Bar(x=[str(i) for i in s.index], y=s.to_numpy(), marker_color=LOWER))
    return _finish(fig, title, xlabel, ylabel, height=300, legend=False)
