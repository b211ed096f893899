"""Patients and Cohort explanations pages (AppTest) on a real-shaped extract: no encoded column name anywhere in
the rendered text or figures, levels in words, what-if offering levels, subgroups with readable bins."""

from __future__ import annotations

import json
import re

import pytest

from apptest_support import demo_home, open_page
from real_shaped import real_shaped_cohort, real_shaped_frame

pytestmark = pytest.mark.slow

ENCODED_NAME = re.compile(r"\b(sex_[MF]|mgus_(yes|no)|cause_[a-z]+)\b")
KINDS = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader", "metric")


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 1000)


@pytest.fixture(scope="module")
def session(small_home):
    from risklens.modeling import save_model, train_model
    from risklens.ui import state

    cohort = real_shaped_cohort()
    model = train_model(cohort, "xgboost", params={"n_estimators": 40})
    path = save_model(model, small_home / "models" / "extract-xgb")
    return {state.K_COHORT: cohort, state.K_MODELS: {cohort.hash: [str(path)]}}


def figure(at, title: str) -> dict:
    """The first drawn figure whose title contains ``title``, as plotly JSON."""
    for c in at.get("plotly_chart"):
        fig = json.loads(c.proto.spec)
        if title in fig["layout"].get("title", {}).get("text", ""):
            return fig
    raise AssertionError(f"no figure titled {title!r}")


def rendered(at) -> str:
    """Every text element, widget label and option, table cell and figure the page drew."""
    parts = [str(getattr(e, "value", "")) for k in KINDS for e in getattr(at, k, [])]
    parts += [str(getattr(e, "label", "")) for e in at.metric]
    for box in at.selectbox:
        parts += [box.label] + [str(o) for o in box.options]  # options as shown (formatted)
    parts += [w.label for w in list(at.number_input) + list(at.toggle) + list(at.checkbox)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")]
    return "\n".join(parts)


def test_patients_page_speaks_in_levels(session):
    at = open_page("pages/patients.py", session=session)
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = rendered(at)
    assert not ENCODED_NAME.search(text), ENCODED_NAME.search(text).group(0)
    pid = at.selectbox(key="pt_select").value
    raw = real_shaped_frame().set_index("id").loc[pid]
    assert f"Sex = {raw['sex']}" in text and f"MGUS = {raw['mgus']}" in text  # waterfall labels
    boxes = {b.label: b for b in at.selectbox}
    assert len({"Sex", "MGUS", "Cause"} & set(boxes)) >= 2  # 5 what-if inputs among 6 columns
    for label, col in (("Sex", "sex"), ("MGUS", "mgus"), ("Cause", "cause")):
        if label in boxes:  # among the what-if inputs: its levels only, the patient's own level chosen
            assert boxes[label].value == raw[col] and "not recorded" in boxes[label].options
    assert not [n for n in at.number_input if n.label.startswith(("Sex", "MGUS", "Cause"))]
    if "Sex" in boxes:
        other = "M" if raw["sex"] == "F" else "F"
        boxes["Sex"].set_value(other)
        at.button[-1].click().run()  # the form's submit: recompute with the other level
        assert not at.exception, [e.value for e in at.exception]
        assert f"Sex = {other}" in figure(at, "After the edits")["data"][0]["y"]


@pytest.mark.parametrize("view", ["Global importance", "Beeswarm", "Dependence", "Partial dependence (PD/ICE)",
                                  "Subgroups"])
def test_cohort_explanations_speak_in_levels(session, view):
    at = open_page("pages/explanations.py", session=dict(session, expl_view=view))
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = rendered(at)
    assert not ENCODED_NAME.search(text), ENCODED_NAME.search(text).group(0)
    if view == "Partial dependence (PD/ICE)":
        at.selectbox(key="pdp_feature").set_value("sex").run()
        fig = figure(at, "Predicted risk")
        assert fig["data"][0]["type"] == "bar" and fig["data"][0]["x"] == ["F", "M", "not recorded"]
        assert all("lines" not in t.get("mode", "") for t in fig["data"])
    if view == "Subgroups":
        at.selectbox(key="sub_column").set_value("year").run()
        fig = figure(at, "Importance by Year of diagnosis")
        groups = [t["name"] for t in fig["data"]]
        assert groups[0].startswith("Year of diagnosis 1990–1995 (n=") and not any("e+" in g for g in groups)
        assert "Cause" in fig["data"][0]["y"]  # one bar per original column
        at.toggle(key="expl_grouped").set_value(False).run()  # one bar per model column: the subgroups follow
        assert "Cause: cardiac" in figure(at, "Importance by")["data"][0]["y"]
        assert not ENCODED_NAME.search(rendered(at))  # the model's own columns, still named in words
    if view == "Dependence":
        at.selectbox(key="dep_feature").set_value("creatinine").run()
        names = [t.get("name", "") for t in figure(at, "Dependence")["data"]]
        assert any(re.fullmatch(r"Creatinine \(mg/dL\) not recorded \(n=\d+\)", n) for n in names), names
