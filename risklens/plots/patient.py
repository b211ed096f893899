"""One patient: attributions, method comparison, values against normal ranges."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.plots.style import (
    ACCENT,
    LOWER,
    NEUTRAL,
    RAISE,
    _layout,
    _vline,
    space_label,
)


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
