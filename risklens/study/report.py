"""The :class:`~risklens.study.types.EvaluationReport` as one self-contained HTML page or Markdown.

Every section is built once as a :class:`~risklens.study.render.Section` and rendered by
:func:`to_html` or :func:`to_markdown`, so both exports carry the same numbers. Where the study
published a number, it sits in a "study" column beside ours. The patient card lives in
:mod:`risklens.study.card` (re-exported here).
"""

from __future__ import annotations

from pathlib import Path

from risklens.safety import atomic_write_text
from risklens.study import paper
from risklens.study.card import patient_card_html
from risklens.study.render import Section, bars_svg, curve_svg, fmt, page_html, page_markdown
from risklens.study.sections import (agreement_sections, conformal_sections, data_check_sections, noise_sections,
                                     study_sections)
from risklens.study.views import patient_counts
from risklens.study.trust_sections import trust_sections
from risklens.study.concept_sections import concept_sections, lead_time_section

__all__ = ["KEY", "patient_card_html", "sections", "to_html", "to_markdown", "write_report"]

#: Every abbreviation used in the report, explained once.
KEY = [
    ("FA", "feature agreement: share of the top-k features both sides name"),
    ("CR", "rank correlation (Spearman) of |attribution| over all features"),
    ("RA", "rank agreement: same feature at the same rank, / k"),
    ("SA", "sign agreement: shared top-k features with the same sign, / k (SA shared: / number shared)"),
    ("SRA", "signed rank agreement: same feature, rank and sign, / k"),
    ("PRA", "pairwise rank agreement: feature pairs ordered alike (among both top-k sets)"),
    ("VSI / CSI", "LIME variables / coefficients stability index across seeds"),
    ("PGI / PGU", "prediction gap when the important / unimportant features are perturbed"),
    ("AUC", "area under a deletion or insertion curve (fraction of features on x, risk on y)"),
    ("noise floor", "the same figure between explainer seeds on one model: what run-to-run agreement cannot beat"),
    ("conformal set", "the outcomes a model cannot rule out at the error rate; both = uncertain, none = empty"),
    ("Mondrian", "conformal sets calibrated per outcome class, so coverage holds within events and non-events"),
    ("sanity check", "the explanation of a randomised model (layers re-drawn or labels permuted) beside the real one"),
    ("chance", "the same number for a seeded random explainer on the same patients"),
    ("Gini", "sparseness of |attribution|: 0 = spread evenly, near 1 = one feature"),
    ("infidelity", "mean squared gap between the attributions' claim and the model's change when features are removed"),
    ("max-sensitivity", "largest relative change of the explanation under a small change of the inputs"),
]


def sections(rep) -> list[Section]:
    """The report's sections in reading order (only those with data)."""
    out = [_overview(rep), *data_check_sections(rep), _models(rep), _explained(rep)]
    out += study_sections(rep)
    out += concept_sections(rep) + lead_time_section(rep)
    out += noise_sections(rep)
    out += agreement_sections(rep)
    out += conformal_sections(rep)
    if rep.faithfulness:
        out.append(_faithfulness(rep))
    out += trust_sections(rep)
    if rep.rashomon:
        out.append(_rashomon(rep))
    out += [_provenance(rep), Section("Key", ["abbreviation", "meaning"], [list(k) for k in KEY])]
    return out


def _overview(rep) -> Section:
    c, s, p = rep.cohort, rep.settings, rep.provenance
    rows = [["cohort", f"{c.name} ({c.rows} rows, {c.events} events)"], ["cohort hash", f"{c.hash[:16]}…"],
            *([["simulator preset", c.preset]] if c.preset else []), ["source", c.source],
            ["outcome", c.outcome], ["families", ", ".join(s.families)],
            ["explainers", ", ".join(k.label for k in rep.explainers)],
            ["runs / seed / k", f"{s.runs} / {s.seed} / {s.k}"],
            *_patient_rows(rep),
            ["slow methods capped at", f"{s.max_patients} patients"],
            ["created", p.created if p else ""], ["total time", f"{fmt(p.total_seconds if p else None, 1)} s"],
            ["study", paper.CITATION if rep.published else "no published numbers for this cohort"]]
    return Section("Overview", ["", ""], rows, extra=[f"Note: {n}" for n in rep.notes])


def _patient_rows(rep) -> list[list]:
    """Overview rows: the per-model rule with each model's count, the comparison rule with its count."""
    c = patient_counts(rep)
    counts = "; ".join(f"{label} {n}" for label, n in c["per model"].items())
    return [["patients analysed (per model)", f"{counts}. {c['per-model rule']}"],
            ["patients compared (every model)", f"{c['every model']} flagged by every model. "
                                                f"{c['comparison rule'] or ''}".strip()]]


def _models(rep) -> Section:
    return Section("Models (held-out split)", ["family", "run", "seed", "model id", "AUROC", "AUPRC", "threshold"],
                   [[m.family, m.run, m.seed, m.model_id, m.auroc, m.auprc, m.threshold] for m in rep.models])


def _explained(rep) -> Section:
    rows = [[e.explainer.label, e.patients, e.cohort_rows, e.deterministic,
             ", ".join(f"{k}={v}" for k, v in e.params.items()) or "—"] for e in rep.explained]
    return Section("Explainers and rows explained", ["explainer", "patients", "cohort rows", "deterministic",
                                                     "budget"], rows)


def _faithfulness(rep) -> Section:
    rows, svgs = [], []
    for v in rep.faithfulness:
        rows.append([v.explainer.label, v.deletion_auc, v.deletion_auc_random, v.insertion_auc, v.insertion_auc_random,
                     v.PGI, v.PGU, v.compacity_mean, v.lipschitz_mean, v.n])
        svgs.append(curve_svg(v.explainer.label, [("deletion", v.curves.get("deletion", []), False),
                                                  ("random order", v.curves.get("deletion_random", []), True)]))
    return Section("Faithfulness and robustness (run 1, probability, baseline = training mean)",
                   ["explainer", "deletion AUC", "random", "insertion AUC", "random", "PGI", "PGU",
                    "compacity (90%)", "local Lipschitz", "patients"], rows,
                   "Deletion: lower than random = faithful; insertion: higher than random. PGI should exceed PGU. "
                   "Charts: mean deletion curve per explainer (risk on y, fraction of features removed on x).",
                   svg='<div style="display:flex;flex-wrap:wrap;gap:8px">' + "".join(svgs) + "</div>")


def _rashomon(rep) -> Section:
    r = rep.rashomon
    kept = sum(1 for x in r.records if x.get("kept"))
    rows = [[s["feature"], s["min"], s["median"], s["max"], s["rank_min"], s["rank_max"]] for s in r.spread[:15]]
    return Section(f"Rashomon spread ({kept} of {len(r.records)} models within AUROC {r.margin} of the best)",
                   ["feature", "min share", "median", "max", "best rank", "worst rank"], rows,
                   "Importance = mean |SHAP| normalised to sum 1 per model.")


def _provenance(rep) -> Section:
    p = rep.provenance
    t = p.timings if p else {}
    total = sum(t.values()) or 1.0
    rows = [[k, v, v / total] for k, v in sorted(t.items(), key=lambda kv: -kv[1])]
    seeds = ", ".join(f"{k} = {v}" for k, v in (p.seeds if p else {}).items())
    return Section("Where the time goes", ["stage", "seconds", "share"], rows,
                   f"Seed plan (every stream spawned from seed {rep.settings.seed}): {seeds}.",
                   svg=bars_svg([(k, v / total) for k, v, _ in rows]))


def to_html(rep, title: str | None = None) -> str:
    """One self-contained HTML page (no scripts, no external resources; every text escaped)."""
    return page_html(title or f"RiskLens evaluation – {rep.cohort.name}", sections(rep))


def to_markdown(rep, title: str | None = None) -> str:
    """The same sections as Markdown tables (every text escaped)."""
    return page_markdown(title or f"RiskLens evaluation – {rep.cohort.name}", sections(rep))


def write_report(rep, out_dir) -> dict[str, Path]:
    """report.json, report.html and report.md in ``out_dir`` (created; each written atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "html": out / "report.html", "md": out / "report.md"}
    atomic_write_text(paths["json"], rep.to_json())
    atomic_write_text(paths["html"], to_html(rep))
    atomic_write_text(paths["md"], to_markdown(rep))
    return paths
