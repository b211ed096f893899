"""Figures of concept-level attributions: one patient's waterfall by concept, expandable to its features."""

from __future__ import annotations

import plotly.graph_objects as go

from risklens.explain.base import Explanation
from risklens.patients.concept_waterfall import concept_waterfall
from risklens.plots.style import ACCENT, LOWER, NEUTRAL, RAISE, _layout, _vline, fitted_margin, page_figure, swatch

#: Lighter colours of an expanded concept's feature steps
RAISE_LIGHT, LOWER_LIGHT = "rgba(230,159,0,0.55)", "rgba(0,114,178,0.55)"


def concept_waterfall_figure(concepts: Explanation, features: Explanation, concept_dictionary, feature_dictionary,
                             expanded=(), top: int = 10,
                             title: str = "From the base risk to this patient's risk, by clinical concept") -> go.Figure:
    """Concept bars in risk points (see :mod:`risklens.patients.concept_waterfall`); expanded concepts are followed
    by their features' steps (lighter, indented)."""
    wf, frame = concept_waterfall(concepts, features, concept_dictionary, feature_dictionary, expanded, top)
    f = frame.iloc[::-1]
    labels, seen = [], set()
    for r in f.itertuples():
        text = f"{r.label} = {r.value_text}" if r.value_text else r.label
        text = ("    · " + text) if r.level else text
        while text in seen:  # plotly merges equal category names
            text += " "
        seen.add(text)
        labels.append(text)
    colours = [(RAISE_LIGHT if s > 0 else LOWER_LIGHT) if lv else (RAISE if s > 0 else LOWER)
               for s, lv in zip(f["step_pp"], f["level"])]
    traces = [{"type": "bar", "orientation": "h", "y": labels, "x": f["step_pp"].to_numpy(),
               "base": f["start_pp"].to_numpy(), "marker": {"color": colours},
               "customdata": f[["step_pp", "end_pp"]].to_numpy(),
               "hovertemplate": "%{y}<br>%{customdata[0]:+.2f} points, risk now %{customdata[1]:.1f}%<extra></extra>"}]
    base_pp, risk_pp = 100 * wf.base_risk, 100 * wf.risk
    layout = _layout(f"{title}<br><sup>base risk {base_pp:.1f}% → this patient {risk_pp:.1f}%; {swatch(RAISE)} raises, "
                     f"{swatch(LOWER)} lowers; lighter bars: an expanded concept's features</sup>", "risk (%)", "",
                     height=max(320, 26 * len(f) + 140), legend=False)
    s1, a1 = _vline(base_pp, NEUTRAL, f"base {base_pp:.1f}%", dash="dot", anchor="right")
    s2, a2 = _vline(risk_pp, ACCENT, f"patient {risk_pp:.1f}%", anchor="left")
    layout["shapes"], layout["annotations"] = [s1, s2], [a1, a2]
    layout["margin"] = fitted_margin(labels)
    return page_figure(traces, layout)
