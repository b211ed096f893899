"""One patient's waterfall by clinical concept, each concept expandable to its features.

The concept bars are :func:`risklens.patients.waterfall.risk_waterfall` of the concept values (group Shapley
values or sums, see :mod:`risklens.explain.concepts`): from the base risk to the patient's risk in risk
points, largest concept first. An *expanded* concept is followed by its features' own values, cascaded from
the concept bar's start on the same scale (log-odds steps turned into risk points), and, where the concept's
group value is not the plain sum of its features' values, one last step "shared with other concepts" (the
group value minus the sum; drawn when at least ``MIN_SHARED_PP``) so that the feature steps end where the concept
bar ends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.explain.base import Explanation
from risklens.metrics.consistency import top_k
from risklens.patients.waterfall import Waterfall, risk_waterfall, sigmoid

#: Smallest "shared with other concepts" step drawn (risk points)
MIN_SHARED_PP = 0.05


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return float(np.log(p) - np.log1p(-p))


def concept_waterfall(concepts: Explanation, features: Explanation, concept_dictionary, feature_dictionary,
                      expanded=(), top: int = 10) -> tuple[Waterfall, pd.DataFrame]:
    """(the concept waterfall, the rows to draw): columns key, label, value_text, step_pp, start_pp, end_pp,
    level (0 = concept, 1 = one of its features or the shared step), concept (the concept a row belongs to)."""
    c_row, f_row = concepts[0], features[0]
    members = c_row.params.get("concepts") or {n: [n] for n in c_row.feature_names}
    wf = risk_waterfall(c_row.base_values[0], c_row.values[0], c_row.data[0], c_row.feature_names, concept_dictionary,
                        output=c_row.output, top=top)
    rows = []
    f_names = list(f_row.feature_names)
    for r in wf.frame.itertuples():
        multi = len(members.get(r.feature, [])) > 1
        rows.append({"key": r.feature or "__other__", "label": r.label, "value_text": "" if multi else r.value_text,
                     "step_pp": r.step_pp, "start_pp": r.start_pp, "end_pp": r.end_pp, "level": 0,
                     "concept": r.feature})
        if r.feature and r.feature in expanded:
            rows += _feature_rows(r, members[r.feature], f_row, f_names, feature_dictionary, c_row.output)
    return wf, pd.DataFrame(rows, columns=["key", "label", "value_text", "step_pp", "start_pp", "end_pp", "level",
                                           "concept"])


def _feature_rows(concept_row, names, f_row, f_names, dictionary, output) -> list[dict]:
    idx = [f_names.index(n) for n in names if n in f_names]
    vals = np.nan_to_num(f_row.values[0, idx])
    order = top_k(vals, len(vals)) if len(vals) else np.zeros(0, dtype=int)
    start = float(concept_row.start_pp)
    if output == "probability":
        ends = start + np.cumsum(100.0 * vals[order])
    else:
        ends = 100.0 * sigmoid(_logit(start / 100.0) + np.cumsum(vals[order]))
    out, prev = [], start
    for k, e in zip(order, ends):
        j = idx[k]
        info = dictionary.get_info(f_names[j]) if dictionary is not None else None
        out.append({"key": f"{concept_row.feature}/{f_names[j]}", "label": info.label if info else f_names[j],
                    "value_text": info.format_value(float(f_row.data[0, j])) if info else "",
                    "step_pp": float(e - prev), "start_pp": prev, "end_pp": float(e), "level": 1,
                    "concept": concept_row.feature})
        prev = float(e)
    shared = float(concept_row.end_pp) - prev
    if abs(shared) >= MIN_SHARED_PP:
        out.append({"key": f"{concept_row.feature}/__shared__", "label": "shared with other concepts (group value - sum)",
                    "value_text": "", "step_pp": shared, "start_pp": prev, "end_pp": float(concept_row.end_pp),
                    "level": 1, "concept": concept_row.feature})
    return out
