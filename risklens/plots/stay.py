"""Figures of one stay: risk through the stay against the threshold, and what changed since the previous window."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from risklens.patients.stay import StayTimeline
from risklens.plots.style import ACCENT, LOWER, NEUTRAL, RAISE, _layout, _vline, fitted_margin, page_figure


def stay_figure(tl: StayTimeline, selected: str | None = None, title: str = "Risk through the stay") -> go.Figure:
    """Risk (%) of every window against the threshold; alerts in vermillion, the event as a dashed line, the top
    concept of each window written above it, the selected window ringed."""
    f = tl.frame
    x, y = f["hour"].to_numpy(), 100 * f["risk"].to_numpy()
    colours = [RAISE if a else LOWER for a in f["alert"]]
    tops = list(f["top_label"])
    shown = [t if k == 0 or t != tops[k - 1] else "" for k, t in enumerate(tops)]  # written where it changes
    traces = [{"type": "scatter", "mode": "lines+markers+text", "x": x, "y": y, "name": "risk",
               "line": {"color": NEUTRAL}, "marker": {"color": colours, "size": 10},
               "text": shown, "textposition": "top center", "textfont": {"size": 10},
               "customdata": np.column_stack([f["since_first_h"], f["top_label"], f["id"]]),
               "hovertemplate": "%{x:.0f} h since admission (window +%{customdata[0]:.0f} h)<br>risk %{y:.1f}%<br>"
                                "top concept: %{customdata[1]}<br>%{customdata[2]}<extra></extra>"}]
    if selected is not None and selected in set(f["id"]):
        k = tl.window(selected)
        traces.append({"type": "scatter", "mode": "markers", "x": [x[k]], "y": [y[k]], "name": "shown window",
                       "marker": {"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": ACCENT, "width": 3}},
                       "hoverinfo": "skip"})
    thr = 100 * tl.threshold
    layout = _layout(f"{title}<br><sup>{len(f)} windows; vermillion = alert (risk ≥ threshold {thr:.1f}%); label = "
                     "the top concept, written where it changes</sup>", "hours since admission", "risk (%)", height=380, legend=False)
    shapes = [{"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": thr, "y1": thr, "yref": "y",
               "line": {"color": RAISE, "dash": "dot", "width": 1}}]
    annotations = [{"x": 1, "xref": "paper", "y": thr, "yref": "y", "text": f"threshold {thr:.1f}%", "showarrow": False,
                    "xanchor": "right", "yanchor": "bottom", "font": {"color": RAISE}}]
    if np.isfinite(tl.event_hour):
        s, a = _vline(tl.event_hour, RAISE, f"red flag at {tl.event_hour:.0f} h", dash="dash", anchor="right")
        shapes.append(s)
        annotations.append(a)
    if np.isfinite(tl.first_alert_hour):
        s, a = _vline(tl.first_alert_hour, ACCENT, "first alert", dash="dot", at="bottom")
        shapes.append(s)
        annotations.append(a)
    layout["shapes"], layout["annotations"] = shapes, annotations
    layout["yaxis"]["rangemode"] = "tozero"
    layout["margin"] = fitted_margin(y_title=True)
    return page_figure(traces, layout)


def change_figure(tl: StayTimeline, row_id: str, top: int = 8) -> go.Figure:
    """What changed since the previous window: each concept's contribution now minus then, in risk points."""
    ch = tl.changes(row_id)
    k = tl.window(row_id)
    if ch.empty:
        layout = _layout("What changed since the previous window<br><sup>the first window of the stay: nothing "
                         "before it</sup>", "risk points", "", height=220, legend=False)
        return page_figure(layout=layout)
    shown = ch.iloc[:top][::-1]
    rest = float(ch.iloc[top:].sum())
    labels = [tl.labels.get(n, n) for n in shown.index]
    values = list(shown.to_numpy())
    if len(ch) > top:
        labels.insert(0, f"{len(ch) - top} other concepts")
        values.insert(0, rest)
    f = tl.frame
    delta = 100 * (f["risk"].iloc[k] - f["risk"].iloc[k - 1])
    traces = [{"type": "bar", "orientation": "h", "y": labels, "x": values,
               "marker": {"color": [RAISE if v > 0 else LOWER for v in values]},
               "hovertemplate": "%{y}<br>%{x:+.2f} risk points<extra></extra>"}]
    hours = f["hour"].iloc[k] - f["hour"].iloc[k - 1]
    # the chart sits in a narrow column: the title and its note on short lines, so none is cut at the edge
    layout = _layout(f"What changed since the previous window<br><sup>{hours:.0f} h earlier, risk {delta:+.1f} points; each "
                     "bar is a concept's<br>contribution now minus then (they sum to the change)</sup>",
                     "risk points", "", height=max(270, 26 * len(values) + 150), legend=False)
    layout["shapes"] = [_vline(0, NEUTRAL)[0]]
    layout["margin"] = fitted_margin(labels, top=100)
    return page_figure(traces, layout)
