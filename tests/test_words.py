"""Categories and yes/no in their own words, missing values visible, readable bins: on a real-shaped extract
(sex M/F, a yes/no column, a lab value missing for a sixth, a calendar year with ties, a 5-level text column)
read through the normal user-file path and a model trained on it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from real_shaped import CAUSES, ENCODED, real_shaped_cohort, real_shaped_frame

ENCODED_NAME = re.compile(r"\b(sex_[MF]|mgus_(yes|no)|cause_[a-z]+)\b")


@pytest.fixture(scope="module")
def trained():
    from risklens.modeling import train_model
    from risklens.modeling.encoded import words_dictionary

    cohort = real_shaped_cohort()
    model = train_model(cohort, "xgboost", seed=0, params={"n_estimators": 40})
    return cohort, model, words_dictionary(cohort.dictionary, model.contract)


@pytest.fixture(scope="module")
def held_out_view(trained):
    """Every held-out patient's view, as the Patients page builds it (SHAP, per original column)."""
    from risklens.explain import explain
    from risklens.modeling.split import split_cohort
    from risklens.patients.index import build_patient_index

    cohort, model, words = trained
    pos = split_cohort(cohort, 0.3, 0)[1]
    X = cohort.X.iloc[pos]
    expl = explain(model, X[model.feature_names], "shap")
    index = build_patient_index(cohort.ids[pos], model.predict_proba(X), cohort.y[pos], None, X, expl)
    return index, expl


def raw_of(pid: str) -> pd.Series:
    frame = real_shaped_frame()
    return frame.set_index("id").loc[pid]


def test_levels_are_decoded_from_the_model_matrix(trained):
    from risklens.modeling.encoded import column_levels

    cohort, model, _ = trained
    raw = real_shaped_frame().set_index("id").loc[cohort.ids]
    for col in ("sex", "mgus", "cause"):
        assert list(column_levels(model.contract, cohort.X, col)) == list(raw[col])


def test_summary_speaks_of_the_level_not_the_encoded_column(trained):
    from risklens.patients.summary import patient_summary

    _, _, words = trained
    text = patient_summary(0.42, 0.3, ["age", "sex", "mgus", "creatinine"], [71, 0.0, 0.0, np.nan],
                           [0.9, -0.5, -0.4, 0.01], words, top=3)
    assert "Sex = F" in text and "MGUS = no" in text and text.startswith("Risk is high (42%")
    assert "Lowering it: Sex = F and MGUS = no." in text
    assert not ENCODED_NAME.search(text) and " was 0" not in text


def test_patient_view_is_per_original_column_with_levels_in_words(trained, held_out_view):
    from risklens import plots
    from risklens.patients.index import patient_view
    from risklens.ui.patient_page import top_feature_table

    cohort, model, words = trained
    index, expl = held_out_view
    for pid in index.ids[:25]:
        v = patient_view(index, pid, 0.3, words, contract=model.contract)
        assert v.shown.feature_names == ["age", "sex", "mgus", "creatinine", "year", "cause"]
        np.testing.assert_allclose(v.shown.values.sum(), v.row.values.sum(), atol=1e-9)  # still additive
        raw = raw_of(pid)
        labels = list(plots.waterfall_figure(v.shown, words).data[0].y)
        assert f"Sex = {raw['sex']}" in labels and f"MGUS = {raw['mgus']}" in labels
        assert f"Cause = {raw['cause']}" in labels
        table = top_feature_table(v, words)
        assert not any(ENCODED_NAME.search(str(x)) for x in table.to_numpy().ravel())
        assert not ENCODED_NAME.search(v.summary) and not ENCODED_NAME.search(" ".join(labels))


def test_partial_dependence_of_a_category_is_one_point_per_level(trained):
    from risklens.patients.pdp import partial_dependence_curves

    cohort, model, words = trained
    c = partial_dependence_curves(model, cohort.X, "sex", n_rows=50, contract=model.contract)
    assert c["levels"] == ["F", "M", "not recorded"] and c["individual"].shape == (50, 3)
    rows = cohort.X[model.feature_names]
    sample = rows.iloc[np.sort(np.random.default_rng(0).choice(len(rows), size=50, replace=False))].copy()
    sample["sex_M"] = 1.0
    np.testing.assert_allclose(c["individual"][:, 1], model.predict_proba(sample), atol=1e-7)
    cause = partial_dependence_curves(model, cohort.X, "cause", n_rows=50, contract=model.contract)
    assert cause["levels"] == sorted(CAUSES) + ["not recorded"] and len(cause["average"]) == 6
    fig = __import__("risklens.plots", fromlist=["pdp_ice_figure"]).pdp_ice_figure(cause, words)
    assert not any(getattr(t, "mode", None) and "lines" in t.mode for t in fig.data)  # never a line between levels
    assert list(fig.data[0].x) == sorted(CAUSES) + ["not recorded"]
    assert "Cause" in fig.layout.title.text and "cause_" not in fig.to_json()


def test_what_if_offers_a_columns_levels_only(trained, held_out_view):
    from risklens.modeling.encoded import encode_level, text_specs
    from risklens.patients.index import patient_view
    from risklens.ui.patient_page import what_if_fields, what_if_row

    cohort, model, words = trained
    index, _ = held_out_view
    pid = str(index.ids[0])
    v = patient_view(index, pid, 0.3, words, contract=model.contract)
    fields = {f: (levels, cur) for f, levels, cur in what_if_fields(v, model.contract, top=6)}
    raw = raw_of(pid)
    assert fields["sex"] == (["F", "M", "not recorded"], raw["sex"])
    assert fields["mgus"] == (["no", "yes", "not recorded"], raw["mgus"])
    assert fields["cause"][0] == sorted(CAUSES) + ["not recorded"] and fields["age"][0] is None
    row = what_if_row(cohort, pid, {"sex": "M", "cause": "renal", "mgus": "not recorded", "age": 50}, model.contract)
    assert row["sex_M"].iloc[0] == 1.0 and row["age"].iloc[0] == 50 and np.isnan(row["mgus_yes"].iloc[0])
    assert [row[f"cause_{c}"].iloc[0] for c in sorted(CAUSES)] == [0, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="not a level"):
        encode_level(text_specs(model.contract)["sex"], "0.5")


def test_year_bins_read_as_years_with_counts_and_no_empty_bin(trained):
    from risklens.cohorts.subgroups import subgroup_split

    cohort, model, words = trained
    pos = np.arange(cohort.n)
    labels, order = subgroup_split(cohort, pos, "year", model.contract, words)
    assert order[0].startswith("Year of diagnosis 1990–1995 (n=")  # half the rows are 1995: ties merged
    assert all(re.fullmatch(r"Year of diagnosis \d{4}–\d{4} \(n=\d+\)", g) for g in order)
    counts = [int(re.search(r"n=(\d+)", g).group(1)) for g in order]
    assert all(c > 0 for c in counts) and sum(counts) == cohort.n and set(labels) == set(order)
    assert [int(g[18:22]) for g in order] == sorted(int(g[18:22]) for g in order)
    assert not any("e+" in g for g in order)
    creat, order = subgroup_split(cohort, pos, "creatinine", model.contract, words)
    missing = int(cohort.X["creatinine"].isna().sum())
    assert order[-1] == f"Creatinine not recorded (n={missing})" and missing == cohort.n // 6
    assert all("mg/dL" in g for g in order[:-1])
    sex, order = subgroup_split(cohort, pos, "sex", model.contract, words)
    n_f = int((real_shaped_frame()["sex"] == "F").sum())
    assert order == [f"Sex = F (n={n_f})", f"Sex = M (n={cohort.n - n_f})"]


def test_subgroup_options_are_original_columns(trained):
    from risklens.cohorts.subgroups import subgroup_options

    cohort, model, _ = trained
    opts = subgroup_options(cohort, model.contract)
    assert opts[:3] == ["age band", "sex", "outcome"] and {"mgus", "cause", "year"} <= set(opts)
    assert not set(ENCODED) & set(opts)


def test_dependence_and_beeswarm_show_missing_values_with_their_count(trained, held_out_view):
    from risklens import plots
    from risklens.modeling.encoded import group_onehot

    cohort, model, words = trained
    _, expl = held_out_view
    shown = group_onehot(expl, model.contract)
    k = int(np.isnan(shown.data[:, shown.feature_names.index("creatinine")]).sum())
    assert k > 0
    dep = plots.dependence_figure(shown, "creatinine", "age", words)
    names = [t.name for t in dep.data]
    assert f"Creatinine (mg/dL) not recorded (n={k})" in names
    strip = next(t for t in dep.data if t.name.endswith(f"not recorded (n={k})"))
    assert len(strip.y) == k and strip.xaxis == "x2"  # a strip of its own beside the values
    assert dep.layout.xaxis2.ticktext == (f"not recorded<br>(n={k})",)
    assert sum(len(t.y) for t in dep.data) == len(shown)  # nobody dropped
    bee = plots.beeswarm_figure(shown, words, top=6)
    total = int(np.isnan(shown.data).sum())
    assert bee.data[1].name == f"not recorded (n={total})" and len(bee.data[1].x) == total
    assert not np.isnan(np.asarray(bee.data[0].marker.color, dtype=float)).any()  # no missing drawn as a colour
    levels = next(t for t in bee.data if t.name.startswith("a category's level"))  # Cause: 5 levels, 5 colours
    assert len(levels.x) == len(shown) and len(set(levels.marker.color)) == 5
    assert {h.split(" = ")[1] for h in levels.customdata} == set(CAUSES)
    ticks = list(bee.layout.yaxis.ticktext)
    assert f"Creatinine ({k} not recorded)" in ticks and not ENCODED_NAME.search(json.dumps(ticks))
    cat = plots.dependence_figure(shown, "sex", None, words)
    assert [t for t in cat.layout.xaxis.ticktext][:2] == [
        f"F (n={int((shown.data[:, 1] == 0).sum())})", f"M (n={int((shown.data[:, 1] == 1).sum())})"]
    assert cat.layout.title.text == "Dependence: Sex"


def test_normal_range_note_agrees_with_the_table(trained, held_out_view):
    from risklens import plots
    from risklens.patients.index import patient_view
    from risklens.ui.patient_page import top_feature_table

    cohort, model, words = trained
    index, _ = held_out_view
    missing = [str(i) for i in index.ids if np.isnan(cohort.X.loc[str(i), "creatinine"])]
    v = patient_view(index, missing[0], 0.3, words, contract=model.contract)
    table = top_feature_table(v, words).set_index("feature")
    assert table.loc["Creatinine", "value"] == "not recorded" and table.loc["Creatinine", "normal range"] != "-"
    note = plots.vitals_note(v.shown, words)
    assert "Creatinine (normal 0.60-1.30 mg/dL)" in note and "Not recorded" in note
    assert "No top feature has a normal range" not in note
    recorded = next(str(i) for i in index.ids if not np.isnan(cohort.X.loc[str(i), "creatinine"]))
    v = patient_view(index, recorded, 0.3, words, contract=model.contract)
    assert plots.vitals_note(v.shown, words) == "" and plots.vitals_figure(v.shown, words) is not None


def test_patient_card_speaks_in_levels(trained, held_out_view):
    from risklens.patients.index import patient_view
    from risklens.ui.cache import patient_card_html

    cohort, model, words = trained
    index, expl = held_out_view
    pid = str(index.ids[0])
    v = patient_view(index, pid, 0.3, words, contract=model.contract)
    card = patient_card_html(v, model, cohort, 0.3, expl)
    raw = raw_of(pid)
    assert f"Sex = {raw['sex']}" in card and f"Cause = {raw['cause']}" in card
    assert not ENCODED_NAME.search(card)


def test_a_blank_that_is_its_own_level_is_chosen_like_any_level():
    from risklens.modeling.contract import ColumnSpec
    from risklens.modeling.encoded import code_text, encode_level, level_codes, present_levels

    spec = ColumnSpec("cause", "category", ("cardiac", "not recorded", "other", "renal"),
                      ("cause_cardiac", "cause_not_recorded", "cause_other", "cause_renal"))
    assert present_levels(spec) == ["cardiac", "not recorded", "other", "renal"]
    assert encode_level(spec, "not recorded") == {"cause_cardiac": 0.0, "cause_not_recorded": 1.0, "cause_other": 0.0,
                                                  "cause_renal": 0.0}
    codes = level_codes(spec, np.array([[0, 1, 0, 0], [0, 0, 0, 0], [np.nan] * 4, [0, 0, 0, 1]]))
    assert [code_text(spec, c) for c in codes] == ["not recorded", "other", "not recorded", "renal"]


def test_a_level_named_like_a_link_is_drawn_as_text():
    from risklens import plots
    from risklens.cohorts.dictionary import FeatureDictionary, LevelInfo
    from risklens.explain.base import Explanation

    evil = '<a href="https://evil.example">click</a>'
    d = FeatureDictionary([LevelInfo("ward", "Ward", texts=("medical", evil))])
    row = Explanation(values=[[0.7]], base_values=[-1.0], data=[[1.0]], feature_names=["ward"], method="shap",
                      model_id="m", output="log-odds")
    label = plots.waterfall_figure(row, d).data[0].y[0]
    assert label == 'Ward = &lt;a href="https://evil.example"&gt;click&lt;/a&gt;' and "<a" not in label
    curves = {"feature": "ward", "levels": ["medical", evil, "not recorded"], "grid": np.arange(3.0),
              "average": np.array([0.1, 0.2, 0.3]), "individual": np.array([[0.1, 0.2, 0.3]])}
    assert "<a" not in plots.pdp_ice_figure(curves, d).to_json().replace("\\u003c", "<").split('"layout"')[0]


def test_table1_is_per_original_column_with_dictionary_labels(trained, held_out_view):
    from risklens.study.agree import table1

    cohort, model, _ = trained
    _, expl = held_out_view
    rows = table1("key", expl, cohort.dictionary, 6, model.contract)
    assert {r.feature for r in rows} == {"age", "sex", "mgus", "creatinine", "year", "cause"}
    labels = {r.feature: r.label for r in rows}
    assert labels["mgus"] == "MGUS" and labels["sex"] == "Sex" and labels["creatinine"] == "Creatinine"
