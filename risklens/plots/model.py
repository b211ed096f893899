"""Risk distribution and model quality: ROC, precision-recall, calibration, confusion, thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens.modeling.performance import threshold_text
from risklens.plots.style import ACCENT, LOWER, NEUTRAL, RAISE, _finish, _layout, _vline


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
    for shape, ann in [_vline(100 * threshold, RAISE, f"threshold {threshold_text(threshold)}", dash="dash")] + (
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
    return _finish(fig, title or f"Confusion matrix at threshold {threshold_text(threshold)}", "model output", "outcome",
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
