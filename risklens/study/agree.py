"""Stage 4, agreement: Table 1, run-to-run and cross-model consistency, sign agreement across runs,
top-contributor agreement, agreement matrices between methods (every k of ``settings.ks``) and the
patients on whom two methods of one model disagree most.

Patient-level comparisons between two explainers use the ids both explained: the patients both compared models
flag (each explainer's patients are its own model's, :mod:`risklens.study.rows`), so a pair's numbers do not depend on
a third family; cohort-level ones use the shared held-out cohort rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from risklens.explain.registry import method
from risklens.metrics import consistency as C
from risklens.study.explain import Explained
from risklens.study.types import (
    CrossModel, DisagreementRow, PairAgreement, RunConsistency, SignAgreement, Table1Entry, TopContributor,
)



@dataclass
class Agreement:
    table1: list = field(default_factory=list)
    run_consistency: list = field(default_factory=list)
    cross_model: list = field(default_factory=list)
    sign_agreement: list = field(default_factory=list)
    top_contributor: list = field(default_factory=list)
    method_agreement: list = field(default_factory=list)
    disagreement: list = field(default_factory=list)


def table1(key, expl, dictionary, k: int = 5, contract=None) -> list[Table1Entry]:
    """Top-k cohort features (mean |attribution|) of one explanation, with dictionary label, group, kind.

    With the input ``contract`` of a file whose text columns became one-hot columns, a category's columns are
    summed back into their original column first (its attributions add up), as the dashboard shows them."""
    labels, first = {}, {}
    if contract is not None and contract.has_encoded_columns:
        from risklens.modeling.encoded import group_onehot, raw_label

        expl = group_onehot(expl, contract)
        labels = {n: raw_label(dictionary, contract, n) for n in expl.feature_names}
        first = {c.name: c.outputs[0] for c in contract.columns if c.outputs}
    imp = expl.cohort_importance().head(k)
    out = []
    for r, (name, v) in enumerate(imp.items(), start=1):
        info = dictionary.get_info(first.get(name, name))
        out.append(Table1Entry(key, r, name, labels.get(name, info.label), info.group, info.kind, float(v)))
    return out


def _common(a, b) -> list:
    ids_b = set(b.ids)
    return [i for i in a.ids if i in ids_b]


def cross_model(keys, exp: Explained, k: int) -> list[CrossModel]:
    """The same method on two families, cohort level, every run pair (the study: SHAP on XGBoost vs the NN)."""
    out = []
    for ka, kb in combinations(keys, 2):
        if ka.method != kb.method or ka.family == kb.family:
            continue
        a, b = exp.cohort[ka], exp.cohort[kb]
        common = _common(a[0], b[0])
        if not common:
            continue
        ia = [C.cohort_importance(e.rows_for_ids(common)) for e in a]
        ib = [C.cohort_importance(e.rows_for_ids(common)) for e in b]
        out.append(CrossModel(ka, kb, C.mean_over_cross(ia, ib, lambda x, y: C.feature_agreement(x, y, k)),
                              C.mean_over_cross(ia, ib, C.rank_correlation), len(ia) * len(ib), len(common)))
    return out


def pair_agreement(ka, kb, exp: Explained, ks) -> list[PairAgreement]:
    """Every metric between two explainers (run 1) on their common rows, patient and cohort level, per k."""
    pa, pb = exp.patients[ka][0], exp.patients[kb][0]
    common = _common(pa, pb)
    if not common:
        return []
    ea, eb = pa.rows_for_ids(common), pb.rows_for_ids(common)
    common_c = _common(exp.cohort[ka][0], exp.cohort[kb][0])
    ca, cb = exp.cohort[ka][0].rows_for_ids(common_c), exp.cohort[kb][0].rows_for_ids(common_c)
    out = []
    for k in ks:
        for level, (x, y) in (("patient", (ea, eb)), ("cohort", (ca, cb))):
            v = C.agreement(x, y, k, level)
            out.append(PairAgreement(ka, kb, level, int(k), *(v[m] for m in C.METRICS), len(common)))
    return out


def disagreement(keys, exp: Explained, k: int) -> list[DisagreementRow]:
    """Per patient FA / CR / SA of the first model's first two methods, lowest agreement first."""
    for ka, kb in combinations(keys, 2):
        if ka.family != kb.family:
            continue
        pa, pb = exp.patients[ka][0], exp.patients[kb][0]
        common = _common(pa, pb)
        if not common:
            continue
        dist = C.agreement_distribution(pa.rows_for_ids(common), pb.rows_for_ids(common), k)
        order = np.lexsort((np.nan_to_num(dist["CR"].to_numpy(), nan=2.0), dist["FA"].to_numpy()))
        return [DisagreementRow(ka, kb, str(common[i]), float(dist["FA"].iloc[i]), float(dist["CR"].iloc[i]),
                                float(dist["SA"].iloc[i])) for i in order]
    return []


def agree_stage(cohort, keys, exp: Explained, settings) -> Agreement:
    k = settings.k
    out = Agreement()
    for key in keys:
        out.table1 += table1(key, exp.cohort[key][0], cohort.dictionary, 5, cohort.contract)
        rc = C.run_consistency(exp.cohort[key], k=k)
        out.run_consistency.append(RunConsistency(key, rc["FA"], rc["CR"], rc["pairs"]))
        if method(key.method).signed and len(exp.patients[key]) > 1:
            s = C.sign_agreement_runs(exp.patients[key])
            out.sign_agreement.append(SignAgreement(key, s["leading"], s["top5"], s["all"]))
    out.cross_model = cross_model(keys, exp, k)
    groups = cohort.dictionary.groups(cohort.features)
    for ka, kb in combinations(keys, 2):
        common = _common(exp.patients[ka][0], exp.patients[kb][0])
        if not common:
            continue
        tc = C.top_contributor_agreement(exp.patients[ka][0].rows_for_ids(common),
                                         exp.patients[kb][0].rows_for_ids(common), groups)
        out.top_contributor.append(TopContributor(ka, kb, tc["exact"], tc.get("group"), tc.get("top2_set"),
                                                  tc.get("top3_set"), tc["n"]))
        out.method_agreement += pair_agreement(ka, kb, exp, settings.ks)
    out.disagreement = disagreement(keys, exp, k)
    return out
