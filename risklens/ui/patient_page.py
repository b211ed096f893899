"""What the Patients page needs, behind cheap cached lookups (also used by the latency benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort
from risklens.metrics.consistency import top_k
from risklens.modeling.encoded import code_text, encode_level, group_onehot, present_levels, text_specs
from risklens.modeling.model import RiskModel
from risklens.patients.index import PatientIndex, PatientView, build_patient_index, patient_view
from risklens.patients.worklist import ScoredWorklist
from risklens.ui import cache

LIME_SEEDS = (0, 1, 2)


def primary_method(model: RiskModel) -> str:
    """The method the Patients page shows first for this model (the method registry's roles)."""
    from risklens.explain import patient_methods

    return patient_methods(model.family)[0]


def secondary_method(model: RiskModel) -> str | None:
    """The method shown beside it (the second opinion), None when only one method applies."""
    from risklens.explain import patient_methods

    return patient_methods(model.family)[1]


def index_method(model: RiskModel) -> str:
    return primary_method(model)


def index_for(model: RiskModel, cohort: Cohort, method: str | None = None) -> PatientIndex:
    method = method or index_method(model)
    return cache.patient_index(model.model_id, cohort.hash, method, model, cohort)


def other_rows(model: RiskModel, cohort: Cohort, patient_id: str, method: str, seeds=LIME_SEEDS, row=None,
               key: str | None = None):
    """The second method's attributions for one patient, one array per seed (cached per patient). ``row`` (the
    patient's feature row) and ``key`` (its source) for a patient outside the cohort, e.g. a scored worklist's."""
    row = cohort.X.loc[[str(patient_id)]] if row is None else row
    key = model.model_id + (cohort.hash[:12] if key is None else key)
    return [cache.row_explanation(key, str(patient_id), method, int(s), model, row, cohort) for s in seeds]


def primary_row(model: RiskModel, cohort: Cohort, patient_id: str):
    """The index method's explanation of one patient (per-patient methods such as SHAP on the MLP)."""
    return other_rows(model, cohort, patient_id, index_method(model), seeds=(0,))[0]


def view_for(model: RiskModel, cohort: Cohort, index: PatientIndex, patient_id: str, threshold: float,
             other_method: str | None, stability: bool = True) -> PatientView:
    """One patient, speaking of original columns (a category's 0/1 columns summed, its level in words)."""
    primary = None
    words = cache.words_for(model, cohort)
    if index.explanation is None:  # a slow method: explain this one patient (cached per patient)
        primary = primary_row(model, cohort, patient_id)
    if other_method is None:
        return patient_view(index, patient_id, threshold, words, primary=primary, contract=model.contract)
    from risklens.explain import method as method_spec

    seeds = LIME_SEEDS if (stability and not method_spec(other_method).deterministic_for(model.family)) else LIME_SEEDS[:1]
    rows = other_rows(model, cohort, patient_id, other_method, seeds)
    first = rows[0]
    return patient_view(index, patient_id, threshold, words, other_row=first,
                        other_seeds=[r.values[0] for r in rows] if len(rows) > 1 else None, primary=primary,
                        contract=model.contract)


def shown_row(expl, model: RiskModel):
    """An explanation as the page shows it: one column per original column (a category's 0/1 columns summed)."""
    return group_onehot(expl, model.contract)


def what_if_fields(view: PatientView, contract, top: int = 5) -> list[tuple[str, list[str] | None, object]]:
    """The what-if inputs: the ``top`` original columns by |attribution|, each as (column, levels, current):
    a text column offers its levels only (current = its level in words), a numeric one a number (levels None)."""
    shown = view.shown if view.shown is not None else view.row
    specs = text_specs(contract)
    out = []
    for j in top_k(shown.values[0], min(top, len(shown.feature_names))):
        name, value = shown.feature_names[j], float(shown.data[0, j])
        if name in specs:
            levels = present_levels(specs[name])
            current = code_text(specs[name], value)
            out.append((name, levels if current in levels else levels + [current], current))
        else:
            out.append((name, None, None if np.isnan(value) else value))
    return out


def models_holding_out(models: list[RiskModel], cohort: Cohort, patient_id: str) -> list[RiskModel]:
    """The models among ``models`` for which ``patient_id`` is a held-out patient (the Patients page shows
    only a model's held-out patients); [] when the cohort has no such row."""
    pos = cohort.X.index.get_indexer([str(patient_id)])[0]
    if pos < 0:
        return []
    return [m for m in models if bool(np.isin(pos, cache.held_out(m, cohort)))]


def trust_panel_lines(model: RiskModel, cohort: Cohort, view: PatientView) -> list:
    """The "can I trust this explanation?" lines of one patient (risklens.patients.trust), measured and cached."""
    from risklens.explain import deterministic_for
    from risklens.patients.trust import trust_lines
    from risklens.ui.widgets import method_name

    sanity = cache.model_sanity(model.model_id, cohort.hash, view.method, model, cohort)
    sens = cache.patient_sensitivity(model.model_id, cohort.hash, view.id, view.method, model, cohort)
    row = view.row
    stderr = row.stderr[0] if row is not None and row.stderr is not None else None
    other = method_name(view.other_method) if view.other_method else ""
    return trust_lines(method_name(view.method), other, view, stderr, deterministic_for(view.method, model.family),
                       sens, sanity)


def what_if_row(cohort: Cohort, patient_id: str, edits: dict, contract=None, row: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """The patient's model row (from the cohort, or ``row``) with ``edits`` ({original column: number, level word or
    None}) applied."""
    specs = text_specs(contract)
    row = (cohort.X.loc[[str(patient_id)]] if row is None else row).copy()
    for k, v in edits.items():
        if k in specs:
            for out, x in encode_level(specs[k], str(v)).items():
                row[out] = x
        else:
            row[k] = np.nan if v is None else float(v)
    return row


# ---- the worklist: filters, pages, selection ----------------------------------------------------
PAGE_SIZE = 100
#: Checkbox filters of the worklist: (label, session key, mask function(index, threshold, certainty) -> bool array).
#: ``certainty`` is each held-out patient's conformal prediction set in words (None when it cannot be calibrated);
#: a filter that needs it is offered only when it exists.
WORKLIST_FILTERS: list[tuple[str, str, object]] = [
    ("Only alerts (risk at or above the threshold)", "wl_above", lambda index, threshold, certainty: index.risk >= threshold),
    ("Only uncertain (the model cannot tell)", "wl_uncertain",
     lambda index, threshold, certainty: certainty == "uncertain"),
]


def available_filters(certainty) -> list[tuple[str, str, object]]:
    return [f for f in WORKLIST_FILTERS if certainty is not None or f[1] != "wl_uncertain"]


def certainty_for(model: RiskModel, cohort: Cohort, index: PatientIndex) -> np.ndarray | None:
    """Each held-out patient's conformal prediction set in words ("event", "no event", "uncertain"), in the
    index's order; None when the held-out split is too small to calibrate at the session's error rate."""
    from risklens.ui import certainty

    labels = certainty.labels(model, cohort)
    if labels.empty:
        return None
    return labels.reindex(pd.Index(index.ids.astype(str))).fillna("uncertain").to_numpy(dtype=object)


def trigger_options(index: PatientIndex) -> list[str]:
    """'any' and the recorded trigger groups of the held-out patients (shown with their labels)."""
    if index.trigger is None:
        return ["any"]
    return ["any"] + sorted(str(t) for t in set(index.trigger) if t)


def matching_positions(index: PatientIndex, threshold: float, checks: dict, outcome: str, trigger: str,
                       search: str, certainty: np.ndarray | None = None) -> np.ndarray:
    """Every matching held-out patient, highest risk first; ``checks`` = {filter key: ticked}."""
    extra = [fn(index, threshold, certainty) for _, key, fn in available_filters(certainty) if checks.get(key)]
    return index.matching(threshold, outcome=outcome, trigger=trigger, search=search, extra=extra)


def resolve_patient(index: PatientIndex, positions: np.ndarray, wanted: str | None) -> str | None:
    """The patient to show: the wanted one if the model has it (filters never drop a selection), else the
    first matching patient, else the highest-risk held-out patient."""
    if wanted is not None and str(wanted) in index.pos:
        return str(wanted)
    if len(positions):
        return str(index.ids[positions[0]])
    return str(index.ids[index.order[0]]) if len(index) else None


def lime_note(view: PatientView, model: RiskModel, cohort: Cohort) -> str:
    """Why LIME's top feature differs from the primary method's, in plain words ('' when they agree)."""
    from risklens.patients.lime_bins import disagreement_note

    from risklens.explain import method as method_spec

    if view.other is None or not method_spec(view.other_method).surrogate:
        return ""
    background = cache.background_rows(model.model_id, cohort.hash, model, cohort,
                                       method_spec(view.other_method).background_rows)
    return disagreement_note(view.row.feature_names, view.values, view.attributions, view.other, background,
                             cache.words_for(model, cohort))


def top_feature_table(view: PatientView, dictionary, top: int = 8) -> pd.DataFrame:
    """The top features of the primary method (per original column): label, value with unit or level in words,
    normal range, status, effect in risk points."""
    from risklens.patients.waterfall import risk_waterfall

    row = view.shown if view.shown is not None else view.row
    wf = risk_waterfall(row.base_values[0], row.values[0], row.data[0], row.feature_names, dictionary,
                        output=row.output, top=top)
    f = wf.frame[wf.frame["feature"] != ""]
    infos = [dictionary.get_info(n) for n in f["feature"]]
    vals = [float(row.data[0, row.feature_names.index(n)]) for n in f["feature"]]
    out = pd.DataFrame({
        "feature": list(f["label"]),
        "value": [i.format_value(v) for i, v in zip(infos, vals)],
        "normal range": [i.normal_range_text or "-" for i in infos],
        "status": [i.status(v) or "-" for i, v in zip(infos, vals)],
        "effect on risk (points)": np.round(f["step_pp"].to_numpy(), 2),
    })
    if view.other is not None:
        from risklens.patients.agreement import ranks
        from risklens.ui.widgets import method_name

        r = ranks(view.shown_other if view.shown_other is not None else view.other)
        out[f"rank by {method_name(view.other_method)}"] = [int(r[row.feature_names.index(n)]) for n in f["feature"]]
    return out


# ---- a scored cohort of any size (RISKLENS_WORKLIST): served from Parquet, one patient's row loaded ----------
def scored_worklist(model: RiskModel) -> tuple[ScoredWorklist | None, str]:
    """(the scored worklist when one is configured and ``model`` scored it, else None; a note for the page)."""
    from risklens.scale.dataset import MANIFEST, LEGACY_MANIFEST
    from risklens.settings import worklist_dir

    path = worklist_dir()
    if path is None:
        return None, ""
    from risklens.errors import RiskLensError

    stamp = max([(path / m).stat().st_mtime for m in (MANIFEST, LEGACY_MANIFEST) if (path / m).is_file()] or [0.0])
    try:
        wl = cache.scored_worklist(str(path), stamp)
    except RiskLensError as exc:  # a wrong setting never takes the page down: say so, show the held-out patients
        return None, f"RISKLENS_WORKLIST cannot be used: {exc}. Showing this model's held-out patients."
    if wl.model_id != model.model_id:
        return None, (f"The scored worklist ({wl.n:,} patients, RISKLENS_WORKLIST) was scored by the model with id "
                      f"{wl.model_id}; choose that model to page through it. Showing this model's held-out patients.")
    return wl, ""


def scored_page(wl: ScoredWorklist, threshold: float, checks: dict, outcome: str, trigger: str, search: str,
                page: int) -> tuple[int, pd.DataFrame]:
    """(matching patients, one worklist page) of the scored cohort, by the same filters as the held-out worklist."""
    filters = (bool(checks.get("wl_above")), outcome, trigger, search or "")
    return cache.worklist_page(wl.key, float(threshold), filters, int(page), PAGE_SIZE, wl)


def scored_view(model: RiskModel, cohort: Cohort, wl: ScoredWorklist, patient_id: str, threshold: float,
                other_method: str | None, stability: bool = True) -> tuple[PatientView, pd.DataFrame]:
    """One patient of the scored cohort: only their row is read and explained (cached per patient); the
    percentile is against the whole scored cohort. Returns the view and the patient's feature row."""
    raw = cache.worklist_row(wl.key, str(patient_id), wl)
    X = model.prepare(raw)
    X.index = pd.Index([str(patient_id)])
    method = index_method(model)
    primary = other_rows(model, cohort, patient_id, method, seeds=(0,), row=X, key=wl.key)[0]
    trigger = raw["trigger"].to_numpy(dtype=object) if "trigger" in raw.columns else None
    index = build_patient_index([str(patient_id)], raw["risk"].to_numpy(dtype=np.float64),
                                raw["outcome"].to_numpy(), trigger, X, primary)
    percentile = wl.percentile(float(raw["risk"].iloc[0]))
    if other_method is None:
        return patient_view(index, patient_id, threshold, cohort.dictionary, percentile=percentile), X
    from risklens.explain import method as method_spec

    seeds = LIME_SEEDS if (stability and method_spec(other_method).stochastic) else LIME_SEEDS[:1]
    rows = other_rows(model, cohort, patient_id, other_method, seeds, row=X, key=wl.key)
    view = patient_view(index, patient_id, threshold, cohort.dictionary, other_row=rows[0],
                        other_seeds=[r.values[0] for r in rows] if len(rows) > 1 else None, percentile=percentile)
    return view, X


def row_certainty(model: RiskModel, cohort: Cohort, X: pd.DataFrame) -> str | None:
    """One patient's conformal prediction set in words (calibrated on the model's held-out patients), or None."""
    from risklens.ui import certainty

    res = certainty.calibrated(model, cohort)
    return None if res is None else str(res[0].labels(X)[0])
