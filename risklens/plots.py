"""Plotly figure builders: data in, ``go.Figure`` out; nothing is shown here.

Every figure has a title, axis titles with units or the explanation's output space, and readable
dictionary labels. Colours are explicit, colour-blind-safe (Okabe-Ito) and readable on light and
dark backgrounds; no template is forced, so the dashboard's theme applies.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens.dictionary import FeatureDictionary

RAISE = "#D55E00"  # vermillion: pushes risk up
LOWER = "#0072B2"  # blue: pushes risk down
NEUTRAL = "#999999"
ACCENT = "#009E73"
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"]
VALUE_SCALE = [[0.0, "#0072B2"], [0.5, "#B8B8B8"], [1.0, "#D55E00"]]
AGREE_SCALE = [[0.0, "#D55E00"], [0.5, "#E69F00"], [1.0, "#009E73"]]

__all__ = [
    "space_label", "risk_histogram", "roc_figure", "pr_figure", "calibration_figure", "confusion_figure",
    "importance_bar", "subgroup_importance_figure", "beeswarm_figure", "dependence_figure", "patient_bar",
    "rank_comparison_figure", "vitals_figure", "agreement_heatmap", "curves_figure", "spread_figure",
    "missingness_figure", "count_bar", "threshold_figure",
]


def space_label(output: str) -> str:
    """Axis text for an explanation's output space."""
    return {"log-odds": "attribution (log-odds of risk)", "probability": "attribution (probability of risk)"}.get(
        output, f"attribution ({output})"
    )


LEGEND_AT = {
    "bottom right": {"x": 0.99, "y": 0.01, "xanchor": "right", "yanchor": "bottom"},
    "top right": {"x": 0.99, "y": 0.99, "xanchor": "right", "yanchor": "top"},
    "top left": {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"},
    "below": {"orientation": "h", "x": 0.0, "y": -0.22, "xanchor": "left", "yanchor": "top"},
}


def _finish(fig: go.Figure, title: str, x: str, y: str, height: int | None = None, legend: bool = True,
            legend_at: str = "below") -> go.Figure:
    leg = dict(LEGEND_AT[legend_at])
    leg["bgcolor"] = "rgba(128,128,128,0.10)"
    fig.update_layout(
        title={"text": title},
        xaxis_title=x,
        yaxis_title=y,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=legend,
        legend=leg,
    )
    if height:
        fig.update_layout(height=height)
    return fig


def _layout(title: str, x: str, y: str, height: int | None = None, legend: bool = True,
            legend_at: str = "below") -> dict:
    """The layout of :func:`_finish` as a plain dict (building figures from dicts is ~10x faster)."""
    leg = dict(LEGEND_AT[legend_at])
    leg["bgcolor"] = "rgba(128,128,128,0.10)"
    out = {"title": {"text": title}, "xaxis": {"title": {"text": x}}, "yaxis": {"title": {"text": y}},
           "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "showlegend": legend, "legend": leg}
    if height:
        out["height"] = height
    return out


def _vline(x: float, color: str, text: str = "", dash: str = "solid", width: float = 1, at: str = "top",
           anchor: str = "left") -> tuple[dict, dict | None]:
    shape = {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
             "line": {"color": color, "dash": dash, "width": width}}
    ann = None
    if text:
        ann = {"x": x, "y": 1.0 if at == "top" else 0.9, "xref": "x", "yref": "paper", "text": text, "showarrow": False,
               "xanchor": anchor, "yanchor": "bottom" if at == "top" else "top", "font": {"color": color},
               "bgcolor": "rgba(128,128,128,0.15)"}
    return shape, ann


def _labels(names: Sequence[str], dictionary: FeatureDictionary | None) -> list[str]:
    return [dictionary.label(n) if dictionary is not None else str(n) for n in names]


# ---- risk and model quality ------------------------------------------------------------------
def risk_histogram(probs, threshold: float, marker: float | None = None, title: str = "Predicted risk in the cohort",
                   marker_label: str = "this patient") -> go.Figure:
    p = 100.0 * np.asarray(probs, dtype=np.float64)
    # binned here, so a 100k-patient cohort sends 50 bars to the browser, not 100k values
    counts, edges = np.histogram(p, bins=50, range=(0.0, 100.0))
    traces = [{"type": "bar", "x": (edges[:-1] + edges[1:]) / 2, "y": counts, "width": edges[1] - edges[0],
               "marker": {"color": NEUTRAL}, "opacity": 0.8, "name": "patients",
               "hovertemplate": "risk %{x:.0f}% +/- 1<br>%{y} patients<extra></extra>"}]
    shapes, anns = [], []
    for shape, ann in [_vline(100 * threshold, RAISE, f"threshold {100 * threshold:.1f}%", dash="dash")] + (
            [_vline(100 * float(marker), LOWER, f"{marker_label} {100 * float(marker):.1f}%", width=3, at="bottom",
                    anchor="right" if marker > 0.5 else "left")]
            if marker is not None else []):
        shapes.append(shape)
        anns.append(ann)
    layout = _layout(title, "predicted risk (%)", "patients (count, log scale)", height=300, legend=False)
    layout["xaxis"]["range"] = [0, 100]
    layout["yaxis"].update({"type": "log", "dtick": 1})
    layout["shapes"], layout["annotations"] = shapes, anns
    return go.Figure(data=traces, layout=layout)


def roc_figure(y, p, title: str = "ROC curve (held-out patients)") -> go.Figure:
    from sklearn.metrics import roc_auc_score, roc_curve

    y = np.asarray(y)
    fpr, tpr, _ = roc_curve(y, p)
    auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else float("nan")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": NEUTRAL}, name="chance"))
    fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", line={"color": LOWER, "width": 2}, name=f"model (AUROC {auc:.3f})"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return _finish(fig, title, "false positive rate (1 - specificity)", "sensitivity (true positive rate)", height=380,
                   legend_at="bottom right")


def pr_figure(y, p, title: str = "Precision-recall curve (held-out patients)") -> go.Figure:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y = np.asarray(y)
    prec, rec, _ = precision_recall_curve(y, p)
    ap = average_precision_score(y, p)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[y.mean(), y.mean()], mode="lines", line={"dash": "dot", "color": NEUTRAL},
                             name=f"event rate {100 * y.mean():.1f}%"))
    fig.add_trace(go.Scatter(x=rec, y=prec, mode="lines", line={"color": LOWER, "width": 2}, name=f"model (AUPRC {ap:.3f})"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return _finish(fig, title, "recall (sensitivity)", "precision (PPV)", height=380, legend_at="top right")


def calibration_figure(y, p, bins: int = 10, title: str = "Calibration (held-out patients)") -> go.Figure:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    frame = pd.DataFrame({"bin": idx, "p": p, "y": y}).groupby("bin").agg(pred=("p", "mean"), obs=("y", "mean"), n=("y", "size"))
    hi = float(max(frame["pred"].max(), frame["obs"].max(), 0.01)) * 100 * 1.05
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, hi], y=[0, hi], mode="lines", line={"dash": "dot", "color": NEUTRAL}, name="perfect"))
    fig.add_trace(go.Scatter(x=100 * frame["pred"], y=100 * frame["obs"], mode="lines+markers",
                             marker={"color": LOWER, "size": 8}, line={"color": LOWER},
                             customdata=frame["n"], hovertemplate="predicted %{x:.1f}%<br>observed %{y:.1f}%<br>n=%{customdata}<extra></extra>",
                             name="model (deciles of risk)"))
    return _finish(fig, title, "mean predicted risk (%)", "observed event rate (%)", height=380, legend_at="top left")


def confusion_figure(y, p, threshold: float, title: str | None = None) -> go.Figure:
    y = np.asarray(y).astype(int)
    pred = (np.asarray(p) >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    z = [[tp, fn], [fp, tn]]
    text = [[f"true positive<br>{tp}", f"false negative<br>{fn}"], [f"false positive<br>{fp}", f"true negative<br>{tn}"]]
    fig = go.Figure(go.Heatmap(z=z, x=["alert", "no alert"], y=["event", "no event"], text=text, texttemplate="%{text}",
                               colorscale=[[0, "#56B4E9"], [1, "#0072B2"]], showscale=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    return _finish(fig, title or f"Confusion matrix at threshold {100 * threshold:.1f}%", "model output", "outcome",
                   height=320, legend=False)


def threshold_figure(y, p, threshold: float, title: str = "Sensitivity, PPV and alerts across thresholds") -> go.Figure:
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    ts = np.unique(np.quantile(p, np.linspace(0.0, 0.995, 120)))
    order = np.sort(p)
    n_alert = len(p) - np.searchsorted(order, ts, side="left")
    pos_scores = np.sort(p[y == 1])
    tp = len(pos_scores) - np.searchsorted(pos_scores, ts, side="left")
    sens = tp / max(len(pos_scores), 1)
    ppv = np.where(n_alert > 0, tp / np.maximum(n_alert, 1), np.nan)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=100 * ts, y=100 * sens, name="sensitivity (%)", line={"color": LOWER}))
    fig.add_trace(go.Scatter(x=100 * ts, y=100 * ppv, name="PPV (%)", line={"color": ACCENT}))
    fig.add_trace(go.Scatter(x=100 * ts, y=100 * n_alert / len(p), name="alerts per 100 patients", line={"color": RAISE, "dash": "dash"}))
    fig.add_vline(x=100 * threshold, line_dash="dot", line_color=NEUTRAL)
    return _finish(fig, title, "alert threshold (predicted risk, %)", "percent / per 100 patients", height=340)


# ---- cohort explanations ---------------------------------------------------------------------
def importance_bar(importance: pd.Series, dictionary: FeatureDictionary | None, output: str, top: int = 15,
                   title: str = "Global importance", std: pd.Series | None = None) -> go.Figure:
    imp = importance.sort_values(ascending=False, kind="stable").head(top)[::-1]
    err = None if std is None else {"type": "data", "array": std.reindex(imp.index).to_numpy()}
    fig = go.Figure(go.Bar(x=imp.to_numpy(), y=_labels(imp.index, dictionary), orientation="h",
                           marker_color=LOWER, error_x=err, customdata=list(imp.index),
                           hovertemplate="%{y} (%{customdata})<br>%{x:.4f}<extra></extra>"))
    return _finish(fig, title, f"mean |{space_label(output)}|", "", height=max(300, 24 * len(imp) + 110), legend=False)


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


def beeswarm_figure(values: np.ndarray, data: np.ndarray, feature_names: Sequence[str], dictionary: FeatureDictionary | None,
                    output: str, top: int = 12, max_points: int = 1500, seed: int = 0,
                    title: str = "Attribution per patient (beeswarm)") -> go.Figure:
    values = np.asarray(values, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    rng = np.random.default_rng(seed)
    rows = np.arange(values.shape[0])
    if len(rows) > max_points:
        rows = np.sort(rng.choice(rows, size=max_points, replace=False))
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")[:top]
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


def dependence_figure(values: np.ndarray, data: np.ndarray, feature_names: Sequence[str], feature: str,
                      color_feature: str | None, dictionary: FeatureDictionary | None, output: str,
                      max_points: int = 3000, seed: int = 0, title: str | None = None) -> go.Figure:
    names = list(feature_names)
    j = names.index(feature)
    values = np.asarray(values, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
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


# ---- one patient -----------------------------------------------------------------------------
def patient_bar(feature_names: Sequence[str], attributions, data, dictionary: FeatureDictionary | None, output: str,
                top: int = 10, title: str = "Why this risk") -> go.Figure:
    attr = np.asarray(attributions, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    order = np.argsort(-np.abs(attr), kind="stable")[:top][::-1]
    labels = []
    for j in order:
        n = feature_names[j]
        info = dictionary.get_info(n) if dictionary is not None else None
        val = info.format_value(float(data[j])) if info else f"{data[j]:.4g}"
        labels.append(f"{info.label if info else n} = {val}")
    colours = [RAISE if attr[j] > 0 else LOWER for j in order]
    traces = [{"type": "bar", "x": attr[order], "y": labels, "orientation": "h", "marker": {"color": colours},
               "hovertemplate": "%{y}<br>%{x:.4f}<extra></extra>"}]
    layout = _layout(f"{title}<br><sup>orange raises the risk, blue lowers it</sup>", space_label(output), "",
                     height=max(300, 26 * len(order) + 120), legend=False)
    layout["shapes"] = [_vline(0, NEUTRAL)[0]]
    return go.Figure(data=traces, layout=layout)


def rank_comparison_figure(feature_names: Sequence[str], attr_a, attr_b, label_a: str, label_b: str,
                           dictionary: FeatureDictionary | None, top: int = 8,
                           title: str = "Rank of each feature by |attribution| (1 = most important)") -> go.Figure:
    """Slope chart of ranks: works when the two methods live in different output spaces."""
    a = np.asarray(attr_a, dtype=np.float64)
    b = np.asarray(attr_b, dtype=np.float64)
    rank_a = np.empty(len(a), dtype=int)
    rank_a[np.argsort(-np.abs(a), kind="stable")] = np.arange(1, len(a) + 1)
    rank_b = np.empty(len(b), dtype=int)
    rank_b[np.argsort(-np.abs(b), kind="stable")] = np.arange(1, len(b) + 1)
    shown = np.flatnonzero((rank_a <= top) | (rank_b <= top))
    beyond = top + 2  # ranks past the top are drawn on one "beyond" row, true rank in the hover
    traces = []
    for j in shown:
        same_sign = bool(np.sign(a[j]) == np.sign(b[j]))
        colour = ACCENT if same_sign else RAISE
        lab = dictionary.label(feature_names[j]) if dictionary is not None else feature_names[j]
        ya, yb = int(min(rank_a[j], beyond)), int(min(rank_b[j], beyond))
        traces.append({"type": "scatter", "x": [label_a, label_b], "y": [ya, yb],
                       "mode": "lines+markers+text", "text": [lab if ya <= top else "", lab if yb <= top and ya > top else ""],
                       "textposition": ["middle left", "middle right"], "line": {"color": colour}, "showlegend": False,
                       "customdata": [int(rank_a[j]), int(rank_b[j])],
                       "hovertemplate": f"{lab}<br>%{{x}}: rank %{{customdata}}<br>"
                                        f"{'same sign' if same_sign else 'opposite sign'}<extra></extra>"})
    layout = _layout(title + " - green: same sign, orange: opposite sign", "", "rank", height=460, legend=False)
    layout["yaxis"].update({"autorange": False, "range": [beyond + 0.5, 0.5],
                            "tickvals": list(range(1, top + 1)) + [beyond],
                            "ticktext": [str(r) for r in range(1, top + 1)] + [f"> {top}"]})
    layout["xaxis"]["range"] = [-1.3, 2.0]
    return go.Figure(data=traces, layout=layout)


def vitals_figure(feature_names: Sequence[str], values, dictionary: FeatureDictionary,
                  title: str = "Measurements against normal ranges") -> go.Figure:
    """Each value placed relative to its normal range: 0 = lower limit, 1 = upper limit (units differ)."""
    rows = []
    for n, v in zip(feature_names, np.asarray(values, dtype=np.float64)):
        info = dictionary.get_info(n)
        if info.normal_low is None or info.normal_high is None or np.isnan(v) or info.normal_high <= info.normal_low:
            continue
        pos = (v - info.normal_low) / (info.normal_high - info.normal_low)
        rows.append((info.label, pos, info.format_value(v), info.normal_range_text, info.status(v)))
    layout = _layout(title, "position in normal range (0 = low limit, 1 = high limit)", "",
                     height=max(260, 22 * len(rows) + 110), legend=False)
    traces = []
    if rows:
        rows = rows[::-1]
        colours = [RAISE if r[4] == "high" else LOWER if r[4] == "low" else ACCENT for r in rows]
        traces.append({"type": "scatter", "x": np.clip([r[1] for r in rows], -2.0, 3.0), "y": [r[0] for r in rows],
                       "mode": "markers", "marker": {"size": 11, "color": colours},
                       "customdata": [[r[2], r[3], r[4]] for r in rows],
                       "hovertemplate": "%{y}: %{customdata[0]}<br>normal %{customdata[1]} (%{customdata[2]})<extra></extra>"})
        layout["shapes"] = [{"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                             "fillcolor": ACCENT, "opacity": 0.15, "line": {"width": 0}}]
        layout["annotations"] = [{"x": 0.5, "y": 1.0, "xref": "x", "yref": "paper", "text": "normal range",
                                  "showarrow": False, "yanchor": "bottom"}]
        layout["xaxis"]["range"] = [-2.1, 3.1]
    else:
        layout["annotations"] = [{"text": "no feature with a normal range in the dictionary", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
    return go.Figure(data=traces, layout=layout)


# ---- consistency -----------------------------------------------------------------------------
def agreement_heatmap(matrix: pd.DataFrame, title: str, zmin: float = 0.0, zmax: float = 1.0,
                      colorbar: str = "agreement") -> go.Figure:
    z = matrix.to_numpy(dtype=np.float64)
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z)))
    fig = go.Figure(go.Heatmap(z=z, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                               zmin=zmin, zmax=zmax, colorscale=AGREE_SCALE, text=text, texttemplate="%{text}",
                               colorbar={"title": {"text": colorbar}}))
    fig.update_yaxes(autorange="reversed")
    return _finish(fig, title, "", "", height=max(300, 60 * len(matrix) + 120), legend=False)


def curves_figure(frame: pd.DataFrame, x: str, y: str, series: str, title: str, xlabel: str, ylabel: str) -> go.Figure:
    """Long frame -> one line per ``series`` value (faithfulness deletion/insertion curves, ...)."""
    fig = go.Figure()
    for i, (name, part) in enumerate(frame.groupby(series, sort=False)):
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=str(name),
                                 line={"color": PALETTE[i % len(PALETTE)]}))
    return _finish(fig, title, xlabel, ylabel, height=380)


def spread_figure(frame: pd.DataFrame, x: str, y: str, title: str, xlabel: str, ylabel: str,
                  color: str | None = None) -> go.Figure:
    """Box plot of a quantity (rank spread, importance across runs ...) per category."""
    fig = go.Figure()
    if color and color in frame.columns:
        for i, (name, part) in enumerate(frame.groupby(color, sort=False)):
            fig.add_trace(go.Box(x=part[x], y=part[y], name=str(name), marker_color=PALETTE[i % len(PALETTE)]))
        fig.update_layout(boxmode="group")
    else:
        fig.add_trace(go.Box(x=frame[x], y=frame[y], marker_color=LOWER, showlegend=False))
    return _finish(fig, title, xlabel, ylabel, height=400)


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


def rashomon_figure(spread: pd.DataFrame, dictionary: FeatureDictionary | None, top: int = 15,
                    title: str = "Importance across equally accurate models (Rashomon set)") -> go.Figure:
    """Median share of importance per feature with its min-max range over the kept models."""
    s = spread.head(top)[::-1]
    labels = _labels(s["feature"], dictionary)
    traces = [{"type": "scatter", "x": s["median"].to_numpy(), "y": labels, "mode": "markers",
               "marker": {"color": LOWER, "size": 9}, "name": "median",
               "error_x": {"type": "data", "symmetric": False, "array": (s["max"] - s["median"]).to_numpy(),
                           "arrayminus": (s["median"] - s["min"]).to_numpy(), "color": NEUTRAL},
               "customdata": np.stack([s["rank_min"], s["rank_max"]], axis=1),
               "hovertemplate": "%{y}<br>median share %{x:.3f}<br>rank %{customdata[0]}-%{customdata[1]}<extra></extra>"}]
    layout = _layout(title, "share of total mean |SHAP| (log-odds); bar = min to max over models", "",
                     height=max(320, 24 * len(s) + 110), legend=False)
    return go.Figure(data=traces, layout=layout)
