"""Evaluation views: agreement matrices, curves, spreads, Rashomon importance ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.plots.style import (
    AGREE_SCALE,
    LOWER,
    NEUTRAL,
    PALETTE,
    _finish,
    _labels,
    _layout,
)


# ---- consistency -----------------------------------------------------------------------------
def agreement_heatmap(matrix: pd.DataFrame, title: str, zmin: float = 0.0, zmax: float = 1.0,
                      colorbar: str = "agreement") -> go.Figure:
    z = matrix.to_numpy(dtype=np.float64)
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z)))
    fig = go.Figure(go.Heatmap(z=z, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                               zmin=zmin, zmax=zmax, colorscale=AGREE_SCALE, text=text, texttemplate="%{text}",
                               colorbar={"title": {"text": colorbar}}))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(automargin=True, tickangle=-30)
    return _finish(fig, title, "", "", height=max(340, 60 * len(matrix) + 160), legend=False)


def faithfulness_figure(curves: pd.DataFrame, explainer: str, kind: str) -> go.Figure:
    """One explainer's mean deletion (or insertion) curve by attribution order beside a random order."""
    part = curves[(curves["explainer"] == explainer) & (curves["kind"] == kind)]
    fig = go.Figure()
    for i, (order, rows) in enumerate(part.groupby("order", sort=True)):
        fig.add_trace(go.Scatter(x=rows["fraction"], y=rows["risk"], mode="lines+markers", name=str(order),
                                 line={"color": PALETTE[0] if order == "by attribution" else NEUTRAL,
                                       "dash": "solid" if order == "by attribution" else "dash"}))
    verb = "removed" if kind == "deletion" else "restored"
    return _finish(fig, f"{kind.capitalize()} curve: {explainer} (mean over patients)",
                   f"fraction of features {verb}", "predicted risk (probability)", height=360)


def noise_floor_figure(long: pd.DataFrame, metric: str = "FA") -> go.Figure:
    """Grouped bars per explainer: seed-to-seed agreement (the noise floor) beside run-to-run agreement."""
    fig = go.Figure()
    for i, (source, rows) in enumerate(long.groupby("source", sort=False)):
        fig.add_trace(go.Bar(x=rows["explainer"], y=rows[metric], name=str(source),
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", yaxis_range=[0, 1.05])
    fig.update_xaxes(automargin=True)
    return _finish(fig, f"{metric}: explainer noise floor vs run to run (1 = identical)", "", metric, height=380)

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


# ---- trust checks ----------------------------------------------------------------------------
def sanity_figure(frame: pd.DataFrame, threshold: float) -> go.Figure:
    """Spearman of |attribution| (real vs randomised model) per randomisation step, one line per explainer;
    below the dashed threshold line the explanation changed with the model (the check passes)."""
    fig = go.Figure()
    for i, (name, part) in enumerate(frame.groupby("explainer", sort=False)):
        fig.add_trace(go.Scatter(x=part["step"], y=part["Spearman |attribution|"], mode="lines+markers", name=str(name),
                                 line={"color": PALETTE[i % len(PALETTE)]}))
    fig.add_hline(y=threshold, line_dash="dash", line_color=NEUTRAL, annotation_text=f"pass below {threshold:g}")
    fig.update_layout(yaxis_range=[-1.05, 1.05])
    return _finish(fig, "Sanity check: explanation of the real vs the randomised model",
                   "randomisation step (MLP: layers re-drawn from the top; others: labels permuted)",
                   "Spearman of |attribution| (1 = unchanged)", height=400)


def value_vs_chance_figure(frame: pd.DataFrame, value: str, chance: str, title: str) -> go.Figure:
    """Bars per explainer: the explainer's number beside the random explainer's (its chance level)."""
    fig = go.Figure([go.Bar(x=frame["explainer"], y=frame[value], name="explainer", marker_color=PALETTE[0]),
                     go.Bar(x=frame["explainer"], y=frame[chance], name="random explainer (chance)",
                            marker_color=NEUTRAL)])
    fig.update_layout(barmode="group")
    fig.update_xaxes(automargin=True)
    return _finish(fig, title, "", value, height=380)


def subgroup_figure(frame: pd.DataFrame, scope: str, metric: str, title: str) -> go.Figure:
    """Bars of one metric per group, grouped by model or explainer (``scope`` column)."""
    fig = go.Figure()
    for i, (name, part) in enumerate(frame.groupby("group", sort=False)):
        fig.add_trace(go.Bar(x=part[scope], y=part[metric], name=str(name), marker_color=PALETTE[i % len(PALETTE)],
                             customdata=part["n"], hovertemplate="%{x}<br>%{y:.3f} (n = %{customdata})"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(automargin=True)
    return _finish(fig, title, "", metric, height=380)
