"""Shared style of every figure: colours (Okabe-Ito), layout, axis text for output spaces."""

from __future__ import annotations

import html
from typing import Sequence

import plotly.graph_objects as go

from risklens.cohorts.dictionary import FeatureDictionary

RAISE = "#D55E00"  # vermillion: pushes risk up
LOWER = "#0072B2"  # blue: pushes risk down
NEUTRAL = "#999999"
ACCENT = "#009E73"
#: The word a key uses for each mark colour (one home: a key never names a colour the marks do not have).
COLOUR_NAMES = {RAISE: "red", LOWER: "blue", ACCENT: "green", NEUTRAL: "grey"}


def swatch(colour: str) -> str:
    """A key entry drawn in the marks' own colour: a coloured square and the colour's name (figure titles)."""
    return f"<span style='color:{colour}'>■ {COLOUR_NAMES[colour]}</span>"


PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"]
VALUE_SCALE = [[0.0, "#0072B2"], [0.5, "#B8B8B8"], [1.0, "#D55E00"]]
AGREE_SCALE = [[0.0, "#D55E00"], [0.5, "#E69F00"], [1.0, "#009E73"]]

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


LEGEND_AT = {
    "bottom right": {"x": 0.99, "y": 0.01, "xanchor": "right", "yanchor": "bottom"},
    "top right": {"x": 0.99, "y": 0.99, "xanchor": "right", "yanchor": "top"},
    "top left": {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"},
    "below": {"orientation": "h", "x": 0.0, "y": -0.22, "xanchor": "left", "yanchor": "top"},
}

#: Tick labels are never hidden one by one at the figure's edge (plotly's default for numeric axes measures every
#: label's box after each label is placed, which makes the browser lay out the whole page again and again; the
#: margins leave room for the labels anyway).
QUICK_TICKS = {"ticklabeloverflow": "allow"}


def _finish(fig: go.Figure, title: str, x: str, y: str, height: int | None = None, legend: bool = True,
            legend_at: str = "below") -> go.Figure:
    leg = dict(LEGEND_AT[legend_at])
    leg["bgcolor"] = "rgba(128,128,128,0.10)"
    fig.update_layout(
        title={"text": title},
        xaxis={"title": {"text": x}, **QUICK_TICKS},
        yaxis={"title": {"text": y}, **QUICK_TICKS},
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
    out = {"title": {"text": title}, "xaxis": {"title": {"text": x}, **QUICK_TICKS},
           "yaxis": {"title": {"text": y}, **QUICK_TICKS},
           "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "showlegend": legend, "legend": leg}
    if height:
        out["height"] = height
    return out

def fitted_margin(y_labels=(), y_title: bool = False, x_title: bool = True, right: int = 20, top: int = 50) -> dict:
    """Margins (px) that already hold the axis labels. Plotly's automatic margins stay on as a safety net, but when
    they find nothing to push they draw a figure once instead of twice (a second full pass for every figure on
    every patient switch); ``y_labels``: the text of a categorical y axis (measured: ~50 px plus 5 px a character)."""
    left = 56 + int(5.2 * max((len(str(t)) for t in y_labels), default=0)) if len(y_labels) else 40
    return {"l": left + (35 if y_title else 0), "r": right, "t": top, "b": 70 if x_title else 40}


def page_figure(traces: list | None = None, layout: dict | None = None) -> go.Figure:
    """A figure from plain trace and layout dicts, taken as they are (plotly's per-property checks in Python cost
    ~15 ms a figure, redone on every patient switch; tests/test_plots.py checks every such builder's output against
    plotly's schema instead)."""
    return go.Figure(data=traces or [], layout=layout or {}, _validate=False)


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

def plain(text) -> str:
    """User text (a column, label or level name) for a figure: plotly reads a few HTML tags (links included) in
    its text, so ``<``, ``>`` and ``&`` are written as entities and the text shows as it is."""
    return html.escape(str(text), quote=False)


def _labels(names: Sequence[str], dictionary: FeatureDictionary | None) -> list[str]:
    return [plain(dictionary.label(n) if dictionary is not None else n) for n in names]


# ---- risk and model quality ------------------------------------------------------------------
