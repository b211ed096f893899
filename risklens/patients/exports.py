"""Downloads for the Report page: attributions as CSV and a patient card, each with provenance (pure)."""

from __future__ import annotations

import html
from datetime import datetime, timezone

import numpy as np

from risklens.cohorts.base import Cohort
from risklens.explain.base import Explanation
from risklens.modeling.model import RiskModel


def provenance(model: RiskModel, cohort: Cohort, method: str, seed: int, output: str = "") -> dict:
    return {
        "model_id": model.model_id, "model_sha256": str(model.card.get("sha256", "")), "family": model.family,
        "model_seed": int(model.seed), "cohort": cohort.name, "data_hash": cohort.hash, "method": method,
        "explanation_seed": int(seed), "output": output,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def attributions_csv(expl: Explanation, model: RiskModel, cohort: Cohort) -> str:
    """One row per patient: provenance columns, id, base value and one column per feature's attribution."""
    frame = expl.to_frame()
    prov = provenance(model, cohort, expl.method, int(expl.params.get("seed", 0)), expl.output)
    for i, (k, v) in enumerate(prov.items()):
        frame.insert(i, k, v)
    return frame.to_csv(index=False)


def patient_card(view, model: RiskModel, cohort: Cohort, threshold: float, top: int = 8) -> str:
    """A self-contained HTML card: risk, summary, top attributions with values and normal ranges, provenance.

    Used when :mod:`risklens.study.report` offers no ``patient_card_html``.
    """
    d = cohort.dictionary
    order = np.argsort(-np.abs(view.attributions), kind="stable")[:top]
    names = list(model.feature_names)
    rows = []
    for j in order:
        info = d.get_info(names[j])
        rows.append(
            f"<tr><td>{html.escape(info.label)}</td><td>{html.escape(info.format_value(float(view.values[j])))}</td>"
            f"<td>{html.escape(info.normal_range_text)}</td><td style='text-align:right'>{view.attributions[j]:+.4f}</td></tr>"
        )
    prov = provenance(model, cohort, view.method, 0, view.output)
    prov_rows = "".join(f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(str(v))}</code></td></tr>" for k, v in prov.items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>RiskLens patient {html.escape(view.id)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;line-height:1.45}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ccc;padding:4px 8px;text-align:left}}</style>
</head><body>
<h1>Patient {html.escape(view.id)}</h1>
<p><b>Predicted risk {100 * view.risk:.1f}%</b> (alert threshold {100 * threshold:.1f}%, level {html.escape(view.level)},
{view.percentile:.0f}th percentile of held-out patients).
{'Recorded trigger: ' + html.escape(view.trigger_label) + '.' if view.trigger_label else ''}</p>
<p>{html.escape(view.summary)}</p>
<h2>Top attributions ({html.escape(view.method)}, {html.escape(view.output)})</h2>
<table><tr><th>feature</th><th>value</th><th>normal range</th><th>attribution</th></tr>{''.join(rows)}</table>
<h2>Provenance</h2><table>{prov_rows}</table>
<p><small>RiskLens: a research tool, not a medical device.</small></p>
</body></html>"""
