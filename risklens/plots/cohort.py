"""Cohort-level views: global importance, beeswarm, dependence, subgroups, data summaries."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary
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
    space_label,
)


# ---- cohort explanations ---------------------------------------------------------------------
def importance_bar(expl: Explanation, dictionary: FeatureDictionary | None, top: int = 15,
                   title: str = "Global importance") -> go.Figure:
    """Mean |attribution| per feature over the explanation's rows (the study's cohort level)."""
    imp = np.abs(expl.values).mean(axis=0) if len(expl) else np.zeros(len(expl.feature_names))
    order = top_k(imp, top)[::-1]
    names = [expl.feature_names[j] for j in order]
    fig = go.Figure(go.Bar(x=imp[order], y=_labels(names, dictionary), orientation="h",
                           marker_color=LOWER, customdata=names,
                           hovertemplate="%{y} (%{customdata})<br>%{x:.4f}<extra></extra>"))
    return _finish(fig, title, f"mean |{space_label(expl.output)}|", "", height=max(300, 24 * len(order) + 110),
                   legend=False)

def subgroup_importance_figure(frame: pd.DataFrame, dictionary: FeatureDictionary | None, output: str, top: int = 12,
                               title: str = "Importance by subgroup") -> go.Figure:
    """``frame``: index = features, one column per subgroup (mean |attribution|)."""
    order = frame.mean(axis=1).sort_values(ascending=False, kind="stable").head(top).index[::-1]
    fig = go.Figure()
    for i, col in enumerate(frame.columns):
        fig.add_trace(go.Bar(x=frame.loc[order, col].to_numpy(), y=_labels(order, dictionary), orientation="h",
                             name=str(col), marker_color=PALETTE[i % len(PALETTE)]))
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

def beeswarm_figure(expl: Explanation, dictionary: FeatureDictionary | None, top: int = 12, max_points: int = 1500,
                    seed: int = 0, title: str = "Attribution per patient (beeswarm)") -> go.Figure:
    values, data, feature_names, output = expl.values, expl.data, expl.feature_names, expl.output
    rng = np.random.default_rng(seed)
    rows = np.arange(values.shape[0])
    if len(rows) > max_points:
        rows = np.sort(rng.choice(rows, size=max_points, replace=False))
    order = top_k(np.abs(values).mean(axis=0), top)
    labels = _labels([feature_names[j] for j in order], dictionary)
    xs, ys, cs, hv = [], [], [], []
    for pos, j in enumerate(order[::-1]):
        v = values[rows, j]
        xs.append(v)
        ys.append(pos + rng.uniform(-0.3, 0.3, size=len(v)))
        cs.append(_unit_scale(data[rows, j]))
        hv.append(data[rows, j])
    x = np.concatenate(xs) if xs else np.array([])
    c = np.concatenate(cs) if cs else np.array([])
    fig = go.Figure(go.Scattergl(
        x=x, y=np.concatenate(ys) if ys else [], mode="markers",
        marker={"size": 4, "color": np.nan_to_num(c, nan=0.5), "colorscale": VALUE_SCALE, "cmin": 0, "cmax": 1,
                "colorbar": {"title": {"text": "feature value"}, "tickvals": [0, 1], "ticktext": ["low", "high"]}},
        customdata=np.concatenate(hv) if hv else [], hovertemplate="attribution %{x:.4f}<br>value %{customdata:.4g}<extra></extra>",
    ))
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=labels[::-1])
    fig.add_vline(x=0, line_color=NEUTRAL, line_width=1)
    return _finish(fig, title, space_label(output), "", height=max(320, 30 * len(order) + 120), legend=False)

def dependence_figure(expl: Explanation, feature: str, color_feature: str | None, dictionary: FeatureDictionary | None,
                      max_points: int = 3000, seed: int = 0, title: str | None = None) -> go.Figure:
    """Each patient's attribution of ``feature`` against its value, coloured by ``color_feature``'s value
    (rank scale), so an interaction shows as colours that separate vertically."""
    names, values, data, output = list(expl.feature_names), expl.values, expl.data, expl.output
    j = names.index(feature)
    rows = np.arange(values.shape[0])
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_points, replace=False))
    info = dictionary.get_info(feature) if dictionary is not None else None
    xlab = (info.label + (f" ({info.unit})" if info.unit else "")) if info else feature
    x, y = data[rows, j], values[rows, j]
    fig = go.Figure()
    if color_feature and color_feature in names and color_feature != feature:
        k = names.index(color_feature)
        clab = dictionary.label(color_feature) if dictionary is not None else color_feature
        c = _unit_scale(data[rows, k])  # colour by rank: outliers do not wash the scale out
        ok = ~np.isnan(c)
        fig.add_trace(go.Scattergl(
            x=x[ok], y=y[ok], mode="markers", name=clab, customdata=data[rows, k][ok],
            marker={"size": 5, "color": c[ok], "colorscale": VALUE_SCALE, "cmin": 0, "cmax": 1,
                    "colorbar": {"title": {"text": clab}, "tickvals": [0, 1], "ticktext": ["low", "high"]}},
            hovertemplate="value %{x:.4g}<br>attribution %{y:.4f}<br>" + clab + " %{customdata:.4g}<extra></extra>"))
        if (~ok).any():
            fig.add_trace(go.Scattergl(x=x[~ok], y=y[~ok], mode="markers", name=f"{clab} not recorded",
                                       marker={"size": 5, "color": NEUTRAL, "symbol": "x"},
                                       hovertemplate="value %{x:.4g}<br>attribution %{y:.4f}<extra></extra>"))
    else:
        fig.add_trace(go.Scattergl(x=x, y=y, mode="markers", marker={"size": 5, "color": LOWER},
                                   hovertemplate="value %{x:.4g}<br>attribution %{y:.4f}<extra></extra>"))
    if info is not None and (info.normal_low is not None or info.normal_high is not None):
        lo = info.normal_low if info.normal_low is not None else float(np.nanmin(data[rows, j]))
        hi = info.normal_high if info.normal_high is not None else float(np.nanmax(data[rows, j]))
        fig.add_vrect(x0=lo, x1=hi, fillcolor=ACCENT, opacity=0.12, line_width=0, annotation_text="normal range")
    fig.add_hline(y=0, line_color=NEUTRAL, line_width=1)
    return _finish(fig, title or f"Dependence: {xlab}", xlab, space_label(output), height=420,
                   legend=len(fig.data) > 1, legend_at="below")


def pdp_ice_figure(curves: dict, dictionary: FeatureDictionary | None, max_ice: int = 200,
                   title: str | None = None) -> go.Figure:
    """Partial dependence (bold) with individual conditional expectation curves (thin), risk in %.

    ``curves``: ``{"feature", "grid", "average" (g,), "individual" (n, g)}`` as from
    :func:`risklens.patients.pdp.partial_dependence_curves`."""
    feature, grid = curves["feature"], np.asarray(curves["grid"], dtype=np.float64)
    info = dictionary.get_info(feature) if dictionary is not None else None
    xlab = (info.label + (f" ({info.unit})" if info and info.unit else "")) if info else feature
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
