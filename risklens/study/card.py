"""A self-contained HTML card for one patient: risk, top contributions (inline SVG) and provenance."""

from __future__ import annotations

import html

import numpy as np

from risklens.plots.style import LOWER, RAISE, swatch
from risklens.study.render import CSS, fmt as _fmt


CERTAINTY_WORDS = {
    "event": "the model is confident this patient will have the event",
    "no event": "the model is confident this patient will not have the event",
    "uncertain": "the model cannot tell: both outcomes stay possible",
}


def patient_card_html(expl, row_id, *, dictionary=None, model=None, data_hash: str = "", risk: float | None = None,
                      threshold: float | None = None, top: int = 8, certainty: str | None = None,
                      alpha: float | None = None, trust=None) -> str:
    """A self-contained HTML card for one patient: risk, how sure the model is (its conformal prediction set
    at error rate ``alpha``, when given), top contributions (inline SVG), "can I trust this explanation?"
    (``trust``: :class:`~risklens.patients.trust.TrustLine` s, when given) and provenance (model hash, data
    hash, method, seed, output space, explanation parameters)."""
    e = expl.rows_for_ids([row_id])
    vals, data, names = e.values[0], e.data[0], e.feature_names
    order = e.top_k(top)[0]
    if model is not None and risk is None:
        risk = float(model.predict_proba(data[None, :])[0])
        threshold = model.threshold if threshold is None else threshold
    model_hash = (model.card.get("sha256") or model.model_id) if model is not None else e.model_id
    label = (lambda n: dictionary.label(n)) if dictionary is not None else (lambda n: n)
    vmax = float(np.abs(vals[order]).max()) or 1.0
    bar_h, half = 20, 150
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * half + 260}" height="{bar_h * len(order) + 6}">']
    for i, j in enumerate(order):
        w = abs(vals[j]) / vmax * half
        x = 250 + half if vals[j] >= 0 else 250 + half - w
        color = RAISE if vals[j] >= 0 else LOWER
        value = dictionary.get_info(names[j]).format_value(data[j]) if dictionary is not None else _fmt(data[j])
        svg.append(f'<text x="0" y="{i * bar_h + 14}" font-size="11">{html.escape(label(names[j])[:40])} = '
                   f'{html.escape(value)}</text><rect x="{x:.1f}" y="{i * bar_h + 4}" width="{w:.1f}" '
                   f'height="{bar_h - 8}" fill="{color}"/>')
    svg.append(f'<line x1="{250 + half}" y1="0" x2="{250 + half}" y2="{bar_h * len(order) + 6}" stroke="#888"/></svg>')
    risk_txt = "" if risk is None else (f"<p><b>Predicted risk: {risk:.1%}</b>"
                                        + ("" if threshold is None else f" (alert threshold {threshold:.1%}: "
                                           f"{'alert' if risk >= threshold else 'no alert'})") + "</p>")
    if certainty in CERTAINTY_WORDS:
        rate = "" if alpha is None else f" at error rate {alpha:.0%}"
        risk_txt += (f"<p>How sure (conformal prediction set{rate}): <b>{html.escape(certainty)}</b>, "
                     f"{CERTAINTY_WORDS[certainty]}.</p>")
    seed = e.params.get("seed", "")
    prov = [("model hash", model_hash), ("data hash", data_hash or "–"), ("method", e.method), ("seed", seed),
            ("output space", e.output), ("row id", row_id)]
    trust_html = ""
    if trust:
        items = "".join(f"<li><b>{html.escape(t.topic)}</b> ({html.escape(t.status)}): {html.escape(t.text)}</li>"
                        for t in trust)
        trust_html = f"<h2>Can I trust this explanation?</h2><ul>{items}</ul>"
    prov_html = "".join(f"<tr><th>{k}</th><td><code>{html.escape(str(v))}</code></td></tr>" for k, v in prov)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Patient {html.escape(str(row_id))}</title>'
            f'<style>{CSS}</style></head><body><div class="card"><h1>Patient {html.escape(str(row_id))}</h1>{risk_txt}'
            f"<p>Top {len(order)} contributions ({html.escape(e.method)}, {html.escape(e.output)}; {swatch(RAISE)} raises "
            f"risk, {swatch(LOWER)} lowers it)</p>{''.join(svg)}{trust_html}<table class=\"prov\">{prov_html}</table></div></body></html>")
