"""One patient: the waterfall from base risk, attributions, method comparison, values in real units.

Every builder takes one row of an :class:`~risklens.explain.base.Explanation` (``expl[i]`` or a
one-row explanation), so values, feature names, output space and base value travel together.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.explain.base import Explanation
from risklens.metrics.consistency import top_k
from risklens.patients.agreement import ranks
from risklens.patients.waterfall import risk_waterfall
from risklens.plots.style import (ACCENT, LOWER, NEUTRAL, QUICK_TICKS, RAISE, _layout, _vline, fitted_margin,
                                  page_figure, plain, space_label, swatch)


def _one(row: Explanation) -> Explanation:
    if len(row) != 1:
        raise ValueError(f"a patient figure needs one explanation row, not {len(row)}")
    return row


def _label(dictionary: FeatureDictionary | None, name: str) -> str:
    return dictionary.label(name) if dictionary is not None else name


def waterfall_figure(row: Explanation, dictionary: FeatureDictionary | None, top: int = 10,
                     title: str = "From the base risk to this patient's risk") -> go.Figure:
    """Bars in risk percentage points from the base risk to the patient's risk (see risklens.patients.waterfall)."""
    row = _one(row)
    wf = risk_waterfall(row.base_values[0], row.values[0], row.data[0], row.feature_names, dictionary,
                        output=row.output, top=top)
    f = wf.frame.iloc[::-1]
    labels = [plain(f"{r.label} = {r.value_text}" if r.value_text else r.label) for r in f.itertuples()]
    base_pp, risk_pp = 100 * wf.base_risk, 100 * wf.risk
    traces = [{"type": "bar", "orientation": "h", "y": labels, "x": f["step_pp"].to_numpy(), "base": f["start_pp"].to_numpy(),
               "marker": {"color": [RAISE if s > 0 else LOWER for s in f["step_pp"]]},
               "customdata": np.column_stack([f["step_pp"], f["end_pp"]]),
               "hovertemplate": "%{y}<br>%{customdata[0]:+.2f} points, risk now %{customdata[1]:.1f}%<extra></extra>"}]
    layout = _layout(f"{title}<br><sup>base risk {base_pp:.1f}% → this patient {risk_pp:.1f}%; "
                     f"{swatch(RAISE)} raises, {swatch(LOWER)} lowers</sup>", "risk (%)", "", height=max(320, 26 * len(f) + 140), legend=False)
    layout["margin"] = fitted_margin(labels)
    s1, a1 = _vline(base_pp, NEUTRAL, f"base {base_pp:.1f}%", dash="dot", anchor="right")
    s2, a2 = _vline(risk_pp, ACCENT, f"patient {risk_pp:.1f}%", anchor="left")
    layout["shapes"], layout["annotations"] = [s1, s2], [a1, a2]
    return page_figure(traces, layout)


def patient_bar(row: Explanation, dictionary: FeatureDictionary | None, top: int = 10,
                title: str = "Why this risk") -> go.Figure:
    row = _one(row)
    attr, data = row.values[0], row.data[0]
    order = top_k(attr, top)[::-1]
    labels = []
    for j in order:
        n = row.feature_names[j]
        val = dictionary.get_info(n).format_value(float(data[j])) if dictionary is not None else f"{data[j]:.4g}"
        labels.append(f"{_label(dictionary, n)} = {val}")
    traces = [{"type": "bar", "x": attr[order], "y": labels, "orientation": "h",
               "marker": {"color": [RAISE if attr[j] > 0 else LOWER for j in order]},
               "hovertemplate": "%{y}<br>%{x:.4f}<extra></extra>"}]
    layout = _layout(f"{title}<br><sup>{swatch(RAISE)} raises the risk, {swatch(LOWER)} lowers it</sup>", space_label(row.output), "",
                     height=max(300, 26 * len(order) + 120), legend=False)
    layout["shapes"] = [_vline(0, NEUTRAL)[0]]
    return page_figure(traces, layout)


def rank_comparison_figure(row_a: Explanation, row_b: Explanation, label_a: str, label_b: str,
                           dictionary: FeatureDictionary | None, top: int = 8,
                           title: str = "Rank of each feature (1 = most important)") -> go.Figure:
    """Slope chart of ranks: works when the two methods live in different output spaces."""
    a, b = _one(row_a).values[0], _one(row_b).values[0]
    names = row_a.feature_names
    rank_a, rank_b = ranks(a), ranks(b)
    shown = np.flatnonzero((rank_a <= top) | (rank_b <= top))
    beyond = top + 2  # ranks past the top are drawn on one "beyond" row, true rank in the hover
    traces = []
    for j in shown:
        same_sign = bool(np.sign(a[j]) == np.sign(b[j]))
        colour = ACCENT if same_sign else RAISE
        lab = _label(dictionary, names[j])
        ya, yb = int(min(rank_a[j], beyond)), int(min(rank_b[j], beyond))
        traces.append({"type": "scatter", "x": [label_a, label_b], "y": [ya, yb],
                       "mode": "lines+markers+text", "text": [lab if ya <= top else "", lab if yb <= top and ya > top else ""],
                       "textposition": ["middle left", "middle right"], "line": {"color": colour}, "showlegend": False,
                       "customdata": [int(rank_a[j]), int(rank_b[j])],
                       "hovertemplate": f"{lab}<br>%{{x}}: rank %{{customdata}}<br>"
                                        f"{'same direction' if same_sign else 'opposite direction'}<extra></extra>"})
    layout = _layout(title + f"<br><sup>{swatch(ACCENT)}: both say the same direction, {swatch(RAISE)}: opposite "
                     "directions</sup>", "", "rank",
                     height=460, legend=False)
    layout["yaxis"].update({"autorange": False, "range": [beyond + 0.5, 0.5],
                            "tickvals": list(range(1, top + 1)) + [beyond],
                            "ticktext": [str(r) for r in range(1, top + 1)] + [f"> {top}"]})
    layout["xaxis"]["range"] = [-1.3, 2.0]
    return page_figure(traces, layout)


def vitals_figure(row: Explanation, dictionary: FeatureDictionary, top: int = 6,
                  title: str = "Top measurements against their normal ranges") -> go.Figure | None:
    """One small panel per top feature that has a normal range, each on its own axis in its real unit:
    the green band is the normal range, the dot this patient's value. None when no top feature has a range."""
    row = _one(row)
    rows = []
    for j in top_k(row.values[0], len(row.feature_names)):
        n, v = row.feature_names[j], float(row.data[0, j])
        info = dictionary.get_info(n)
        if info.normal_low is None or info.normal_high is None or np.isnan(v) or info.normal_high <= info.normal_low:
            continue
        rows.append((info, v))
        if len(rows) == top:
            break
    if not rows:
        return None
    # each panel: its name above a 40 px band, then its ticks, in a 55 px gap before the next panel's name
    k, band_px, gap_px, top_px, bottom_px = len(rows), 40, 55, 70, 45
    plot_px = k * band_px + (k - 1) * gap_px
    gap, h = gap_px / plot_px, band_px / plot_px
    layout = _layout(title, "", "", height=plot_px + top_px + bottom_px, legend=False)
    layout.pop("xaxis"), layout.pop("yaxis")
    layout["margin"] = {"l": 20, "r": 25, "t": top_px, "b": bottom_px}  # holds the ticks: drawn in one pass
    traces, shapes, annotations = [], [], []
    for i, (info, v) in enumerate(rows):
        ax = "" if i == 0 else str(i + 1)
        top_ = 1.0 - i * (h + gap)
        lo, hi = info.normal_low, info.normal_high
        span = hi - lo
        x0, x1 = min(lo - 0.5 * span, v - 0.1 * span), max(hi + 0.5 * span, v + 0.1 * span)
        status = info.status(v)
        colour = RAISE if status == "high" else LOWER if status == "low" else ACCENT
        unit = f" ({info.unit})" if info.unit else ""
        layout[f"xaxis{ax}"] = {"domain": [0, 1], "anchor": f"y{ax}", "range": [x0, x1], "ticks": "outside", **QUICK_TICKS}
        annotations.append({"text": f"{info.label}{unit}", "xref": "paper", "yref": "paper", "x": 0, "y": top_,
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False})
        layout[f"yaxis{ax}"] = {"domain": [max(top_ - h, 0), top_], "anchor": f"x{ax}", "visible": False, "range": [-1, 1]}
        shapes.append({"type": "rect", "xref": f"x{ax}", "yref": f"y{ax}", "x0": lo, "x1": hi, "y0": -0.6, "y1": 0.6,
                       "fillcolor": ACCENT, "opacity": 0.18, "line": {"width": 0}})
        traces.append({"type": "scatter", "x": [v], "y": [0], "xaxis": f"x{ax}", "yaxis": f"y{ax}", "mode": "markers",
                       "marker": {"size": 13, "color": colour},
                       "hovertemplate": f"{info.label}: {info.format_value(v)}<br>normal {info.normal_range_text}"
                                        f" ({status})<extra></extra>"})
    layout["shapes"], layout["annotations"] = shapes, annotations
    return page_figure(traces, layout)


def vitals_note(row: Explanation, dictionary: FeatureDictionary, top: int = 8) -> str:
    """What the measurement panels leave out, in words that agree with the top-feature table (its ``top`` rows):
    top features that have a normal range but no value for this patient, or that no top feature has a range."""
    row = _one(row)
    order = top_k(row.values[0], min(top, len(row.feature_names)))
    ranged = [(row.feature_names[j], float(row.data[0, j])) for j in order
              if dictionary.get_info(row.feature_names[j]).normal_range_text]
    unrecorded = [dictionary.get_info(n) for n, v in ranged if np.isnan(v)]
    if unrecorded:
        names = ", ".join(f"{i.label} (normal {i.normal_range_text})" for i in unrecorded)
        verb = "is" if len(unrecorded) == 1 else "are"
        return f"Not recorded for this patient, so not drawn: {names} {verb} among the top features."
    if not ranged and vitals_figure(row, dictionary) is None:
        return "No top feature has a normal range in the feature dictionary."
    return ""
