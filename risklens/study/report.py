"""Export an :class:`~risklens.study.protocol.EvaluationReport` as one self-contained HTML page or Markdown,
and a patient card as HTML. No network: inline CSS, HTML tables and inline SVG only.

Every section is built once as a :class:`Section` (title, columns, rows, caption) and rendered
by :func:`to_html` or :func:`to_markdown`, so both exports always carry the same numbers. Where the
study published a number, it sits in a "study" column beside ours.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from risklens.study import paper

CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;
line-height:1.4}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dde5}
table{border-collapse:collapse;margin:.5rem 0;font-size:.88rem}th,td{border:1px solid #d6dde5;padding:.25rem .5rem;
text-align:left}th{background:#eef2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}.cap{color:#56616e;
font-size:.85rem}.study{color:#7a4b00}.card{border:1px solid #c8d1da;border-radius:8px;padding:1rem;max-width:640px}
.prov{font-size:.8rem;color:#56616e}code{font-size:.85em}"""


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list]
    caption: str = ""
    svg: str = ""  # optional inline figure (HTML only)
    extra: list[str] = field(default_factory=list)


def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        return f"{v:.3f}" if 0 < abs(v) < 0.1 else f"{v:.{digits}f}"
    return str(v)


def _g(d: dict | None, *path, default=None):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return default
        d = d[p]
    return d


# ---- sections ------------------------------------------------------------------------------------
def sections(rep) -> list[Section]:
    """The report's sections in reading order (only those with data)."""
    pub = rep.published or {}
    out = [_overview(rep), _models(rep)]
    t1 = _table1(rep, pub)
    if t1:
        out.append(t1)
    if rep.concordance:
        out.append(_concordance(rep, pub))
    out.append(_consistency(rep, pub))
    if rep.cross_model:
        out.append(Section("Consistency across models (SHAP on XGBoost vs SHAP on the MLP, cohort level)",
                           ["comparison", "FA top-5", "CR all", "study FA", "study CR", "run pairs"],
                           [[k, v.get("FA"), v.get("CR"), _g(pub, "cross_model", "FA"), _g(pub, "cross_model", "CR"),
                             v.get("pairs")] for k, v in rep.cross_model.items()]))
    if rep.sign_agreement:
        sp = pub.get("sign_agreement", {})
        out.append(Section("Sign agreement across runs (patient level, shared top-k features with the same sign)",
                           ["model/method", "leading", "top 5", "all", "study (SHAP) leading / top 5 / all"],
                           [[k, v.get("leading"), v.get("top5"), v.get("all"),
                             " / ".join(_fmt(sp.get(x)) for x in ("leading", "top5", "all")) if sp else "–"]
                            for k, v in rep.sign_agreement.items()]))
    if rep.top_contributor:
        tp = pub.get("top_contributor", {})
        rows = [[k, v.get("exact"), v.get("group"), v.get("top2_set"), v.get("top3_set"), v.get("n")]
                for k, v in rep.top_contributor.items()]
        if tp:
            rows.append(["study (between methods)", tp.get("exact"), None, tp.get("top2_set"), "< 0.03", None])
        out.append(Section("Top contributor agreement between methods (run 1, patient level)",
                           ["pair", "exact feature", "same group", "top-2 set", "top-3 set", "patients"], rows,
                           "Shares of patients; top-2 / top-3 sets are unordered."))
    if rep.method_agreement:
        out.append(Section("Agreement metrics between methods (k = 5; Krishna et al. 2022)",
                           ["pair", "level", "FA", "RA", "SA", "SA shared", "SRA", "CR", "PRA"],
                           [[k, lvl] + [v[lvl].get(m) for m in ("FA", "RA", "SA", "SA_shared", "SRA", "CR", "PRA")]
                            for k, v in rep.method_agreement.items() for lvl in ("patient", "cohort")],
                           "SA = same-sign shared features / k (Krishna); SA shared = / number shared (the study). "
                           "PRA over pairs among the union of both top-5 sets."))
    if rep.lime_stability:
        rule = next(iter(rep.lime_stability.values())).get("rule", "")
        out.append(Section("LIME stability (same patients, repeated seeds, run-1 model)",
                           ["model", "top-5 Jaccard", "VSI", "CSI", "coef CV", "unstable share", "patients", "repeats"],
                           [[k, v.get("jaccard"), v.get("VSI"), v.get("CSI"), v.get("coef_cv"), v.get("unstable_share"),
                             v.get("n"), v.get("repeats")] for k, v in rep.lime_stability.items()], rule))
    if rep.faithfulness:
        out.append(_faithfulness(rep))
    if rep.rashomon:
        out.append(_rashomon(rep))
    out.append(_timings(rep))
    return out


def _overview(rep) -> Section:
    c, s, p = rep.cohort, rep.settings, rep.provenance
    rows = [["cohort", f"{c.get('name')} ({c.get('rows')} rows, {c.get('events')} events)"],
            ["cohort hash", f"{str(c.get('hash'))[:16]}…"], ["outcome", c.get("outcome", "")],
            ["families", ", ".join(s.get("families", []))], ["methods", ", ".join(s.get("methods", []))],
            ["runs / seed", f"{s.get('runs')} / {s.get('seed')}"],
            ["correctly predicted positives", s.get("n_patients")],
            ["capped methods", f"{', '.join(s.get('capped', [])) or 'none'} (max {s.get('max_patients')} patients)"],
            ["created", p.get("created", "")], ["total time", f"{_fmt(p.get('total_seconds'), 1)} s"],
            ["study", paper.CITATION if rep.published else "no published numbers for this cohort"]]
    return Section("Overview", ["", ""], rows, extra=[f"Note: {n}" for n in rep.notes])


def _models(rep) -> Section:
    return Section("Models (held-out split)", ["family", "run", "seed", "model id", "AUROC", "AUPRC", "threshold"],
                   [[m["family"], m["run"], m["seed"], m["model_id"], m.get("auroc"), m.get("auprc"), m.get("threshold")]
                    for m in rep.models])


def _table1(rep, pub) -> Section | None:
    if not rep.table1:
        return None
    study = pub.get("table1", {})
    cols, data = [], []
    for key, top in rep.table1.items():
        cols.append(key)
        data.append([f"{t['label']}" for t in top])
        if key in study:
            cols.append(f"study {key}")
            data.append(study[key])
    n = max(len(d) for d in data)
    rows = [[r + 1] + [d[r] if r < len(d) else "" for d in data] for r in range(n)]
    return Section("Table 1 – top-5 cohort features (run 1, mean |attribution|)", ["rank"] + cols, rows,
                   "Study columns are the published VS (ward) results." if study else "")


def _concordance(rep, pub) -> Section:
    st = pub.get("concordance", {})
    rows = []
    for k, v in rep.concordance.items():
        s = st.get(k, {})
        rows.append([k, v.get("dropped"), s.get("dropped"), v.get("kept"), s.get("kept"), v.get("non_clinical_share"),
                     s.get("non_clinical_share")] + [_g(v, "topk_hit", str(i)) for i in (1, 3, 5)]
                    + [v.get("mean_trigger_rank"), v.get("n")])
    return Section("Concordance with the recorded trigger (correctly predicted positives, mean over runs)",
                   ["model/method", "dropped (A)", "study", "kept (B)", "study", "non-clinical top", "study",
                    "top-1 hit", "top-3 hit", "top-5 hit", "mean trigger rank", "patients"], rows,
                   "A: patients whose top feature is administrative / care process are dropped; B: kept as misses.")


def _consistency(rep, pub) -> Section:
    st = pub.get("run_consistency", {})
    rows = [[k, v.get("FA"), _g(st, k, "FA"), v.get("CR"), _g(st, k, "CR"), v.get("pairs")]
            for k, v in rep.run_consistency.items()]
    return Section("Run-to-run consistency (cohort level, mean over run pairs)",
                   ["model/method", "FA top-5", "study", "CR all features", "study", "run pairs"], rows)


def _faithfulness(rep) -> Section:
    rows, curves = [], {}
    for k, v in rep.faithfulness.items():
        rows.append([k, v.get("deletion_auc"), v.get("deletion_auc_random"), v.get("insertion_auc"),
                     v.get("insertion_auc_random"), v.get("PGI"), v.get("PGU"), v.get("compacity_mean"),
                     v.get("lipschitz_mean"), v.get("n")])
        curves[k] = (v.get("mean_curve_deletion") or [], v.get("mean_curve_deletion_random") or [])
    return Section("Faithfulness and robustness (run 1, probability, baseline = training mean)",
                   ["model/method", "deletion AUC", "random", "insertion AUC", "random", "PGI", "PGU",
                    "compacity (90%)", "local Lipschitz", "patients"], rows,
                   "Deletion: lower than random = faithful; insertion: higher than random. PGI should exceed PGU.",
                   svg=_curves_svg(curves))


def _rashomon(rep) -> Section:
    r = rep.rashomon
    kept = sum(1 for x in r.get("records", []) if x.get("kept"))
    rows = [[s["feature"], s["min"], s["median"], s["max"], s["rank_min"], s["rank_max"]] for s in r.get("spread", [])[:15]]
    return Section(f"Rashomon spread ({kept} of {len(r.get('records', []))} models within AUROC {r.get('margin')} of the best)",
                   ["feature", "min share", "median", "max", "best rank", "worst rank"], rows,
                   "Importance = mean |SHAP| normalised to sum 1 per model.")


def _timings(rep) -> Section:
    t = rep.provenance.get("timings", {})
    total = sum(t.values()) or 1.0
    rows = [[k, v, v / total] for k, v in sorted(t.items(), key=lambda kv: -kv[1])]
    return Section("Where the time goes", ["stage", "seconds", "share"], rows,
                   svg=_bars_svg([(k, v / total) for k, v, _ in rows]))


# ---- inline SVG ----------------------------------------------------------------------------------
def _bars_svg(items: Sequence[tuple[str, float]], width: int = 420) -> str:
    h = 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 230}" height="{h * len(items) + 4}">']
    for i, (label, v) in enumerate(items):
        w = max(0.0, min(1.0, float(v or 0))) * width
        parts.append(f'<text x="0" y="{i * h + 13}" font-size="11">{html.escape(str(label))[:34]}</text>'
                     f'<rect x="220" y="{i * h + 3}" width="{w:.1f}" height="{h - 6}" fill="#3a78b5"/>')
    parts.append("</svg>")
    return "".join(parts)


def _curves_svg(curves: dict[str, tuple[list, list]], w: int = 320, h: int = 160) -> str:
    colors = ["#3a78b5", "#c0504d", "#4f9a55", "#8064a2", "#d08a2b", "#2aa1a6", "#777"]
    out = []
    for i, (key, (c, r)) in enumerate(curves.items()):
        if len(c) < 2:
            continue
        top = max(max(c), max(r) if r else 0) or 1.0

        def line(ys, color, dash=""):
            pts = " ".join(f"{30 + j / (len(ys) - 1) * (w - 40):.1f},{h - 20 - y / top * (h - 30):.1f}" for j, y in enumerate(ys))
            return f'<polyline fill="none" stroke="{color}" stroke-width="2" {dash} points="{pts}"/>'
        out.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"><text x="30" y="12" font-size="11">'
                   f'{html.escape(key)}: deletion (solid) vs random (dashed)</text>'
                   f'<line x1="30" y1="{h - 20}" x2="{w - 10}" y2="{h - 20}" stroke="#999"/>'
                   + line(c, colors[i % len(colors)]) + (line(r, "#999", 'stroke-dasharray="4 3"') if r else "") + "</svg>")
    return "".join(out)


# ---- rendering -----------------------------------------------------------------------------------
def _cell(v) -> str:
    cls = ' class="num"' if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) else ""
    return f"<td{cls}>{html.escape(_fmt(v))}</td>"


def section_html(s: Section) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in s.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in s.rows)
    cap = f'<p class="cap">{html.escape(s.caption)}</p>' if s.caption else ""
    extra = "".join(f'<p class="cap">{html.escape(e)}</p>' for e in s.extra)
    return f"<h2>{html.escape(s.title)}</h2><table><tr>{head}</tr>{body}</table>{cap}{extra}{s.svg}"


def to_html(rep, title: str | None = None) -> str:
    """One self-contained HTML page (no scripts, no external resources)."""
    title = title or f"RiskLens evaluation – {rep.cohort.get('name', '')}"
    body = "".join(section_html(s) for s in sections(rep))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def to_markdown(rep, title: str | None = None) -> str:
    """The same sections as Markdown tables."""
    lines = [f"# {title or 'RiskLens evaluation – ' + str(rep.cohort.get('name', ''))}", ""]
    for s in sections(rep):
        lines += [f"## {s.title}", "", "| " + " | ".join(s.columns) + " |", "|" + "---|" * len(s.columns)]
        lines += ["| " + " | ".join(_fmt(v).replace("|", "/") for v in row) + " |" for row in s.rows]
        lines += ([""] + [s.caption] if s.caption else []) + [e for e in s.extra] + [""]
    return "\n".join(lines)


def write_report(rep, out_dir) -> dict[str, Path]:
    """report.json, report.html and report.md in ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "html": out / "report.html", "md": out / "report.md"}
    paths["json"].write_text(rep.to_json(), encoding="utf-8")
    paths["html"].write_text(to_html(rep), encoding="utf-8")
    paths["md"].write_text(to_markdown(rep), encoding="utf-8")
    return paths


# ---- patient card --------------------------------------------------------------------------------
def patient_card_html(expl, row_id, *, dictionary=None, model=None, data_hash: str = "", risk: float | None = None,
                      threshold: float | None = None, top: int = 8) -> str:
    """A self-contained HTML card for one patient: risk, top contributions (inline SVG) and provenance
    (model hash, data hash, method, seed, output space, explanation parameters)."""
    e = expl.rows_for_ids([row_id])
    vals, data, names = e.values[0], e.data[0], e.feature_names
    order = np.argsort(-np.abs(vals), kind="stable")[:top]
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
        color = "#c0504d" if vals[j] >= 0 else "#3a78b5"
        value = dictionary.get_info(names[j]).format_value(data[j]) if dictionary is not None else _fmt(data[j])
        svg.append(f'<text x="0" y="{i * bar_h + 14}" font-size="11">{html.escape(label(names[j]))[:30]} = '
                   f'{html.escape(value)}</text><rect x="{x:.1f}" y="{i * bar_h + 4}" width="{w:.1f}" '
                   f'height="{bar_h - 8}" fill="{color}"/>')
    svg.append(f'<line x1="{250 + half}" y1="0" x2="{250 + half}" y2="{bar_h * len(order) + 6}" stroke="#888"/></svg>')
    risk_txt = "" if risk is None else (f"<p><b>Predicted risk: {risk:.1%}</b>"
                                        + ("" if threshold is None else f" (alert threshold {threshold:.1%}: "
                                           f"{'alert' if risk >= threshold else 'no alert'})") + "</p>")
    seed = e.params.get("seed", "")
    prov = [("model hash", model_hash), ("data hash", data_hash or "–"), ("method", e.method), ("seed", seed),
            ("output space", e.output), ("row id", row_id)]
    prov_html = "".join(f"<tr><th>{k}</th><td><code>{html.escape(str(v))}</code></td></tr>" for k, v in prov)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Patient {html.escape(str(row_id))}</title>'
            f'<style>{CSS}</style></head><body><div class="card"><h1>Patient {html.escape(str(row_id))}</h1>{risk_txt}'
            f"<p>Top {len(order)} contributions ({html.escape(e.method)}, {html.escape(e.output)}; orange raises risk, "
            f"blue lowers it)</p>{''.join(svg)}<table class=\"prov\">{prov_html}</table></div></body></html>")
