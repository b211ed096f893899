"""The Model page's conformal section: coverage per class for both variants, an error rate kept for the session."""

from __future__ import annotations

import pytest
from apptest_support import demo_home, open_page


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 3000)


def _table(at):
    frames = [d.value for d in at.dataframe if "variant" in getattr(d.value, "columns", [])]
    assert len(frames) == 1
    return frames[0].set_index("variant")


def _pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_model_page_shows_coverage_per_class_and_keeps_the_error_rate():
    at = open_page("pages/model.py")
    assert not at.error
    table = _table(at)
    assert list(table.index) == ["per class (Mondrian)", "standard"]
    mondrian = table.loc["per class (Mondrian)"]
    # the per-class variant keeps the event class near 1 - alpha; the uncertain share is a real share
    assert _pct(mondrian["coverage (event)"]) >= 0.7
    assert 0.0 <= _pct(mondrian["uncertain"]) <= 1.0
    at = at.select_slider(key="model_conformal_alpha").set_value(0.3).run()
    assert not at.exception
    loose = _table(at).loc["per class (Mondrian)"]
    assert _pct(loose["uncertain"]) <= _pct(mondrian["uncertain"])  # a larger error rate: fewer uncertain sets
    assert at.session_state["rl_conformal_alpha"] == 0.3


def _worklist(at):
    return next(d.value for d in at.dataframe if "model sure?" in getattr(d.value, "columns", []))


def test_patients_page_filters_uncertain_patients_and_says_how_sure():
    from risklens.demo import demo_cohort, demo_paths
    from risklens.modeling import load_model
    from risklens.modeling.conformal import conformal_for_cohort
    from risklens.modeling.split import held_out_positions
    from risklens.study.seeds import SeedPlan

    at = open_page("pages/patients.py")
    assert not at.error
    table = _worklist(at)
    assert set(table["model sure?"]) <= {"sure: event", "sure: no event", "uncertain"}
    assert any("How sure (conformal prediction" in str(x.value) for x in list(at.caption) + list(at.warning))
    at = at.checkbox(key="wl_uncertain").check().run()
    assert not at.exception
    table = _worklist(at)
    assert len(table) and set(table["model sure?"]) == {"uncertain"}
    # the count on the page equals the library's: Mondrian sets at the default error rate, held-out patients
    cohort = demo_cohort()
    model = next(m for m in map(load_model, demo_paths()) if ui_model_picked(at, m))
    cp, _ = conformal_for_cohort(model, cohort, SeedPlan(0).conformal, alpha=0.1, mondrian=True)
    held = held_out_positions(model, cohort)
    expected = int((cp.labels(cohort.X.iloc[held]) == "uncertain").sum())
    assert any(f"{expected:,} of " in c.value for c in at.caption), [c.value for c in at.caption]


def ui_model_picked(at, model) -> bool:
    return at.selectbox(key="pt_model").value == model.model_id


def test_patient_card_says_how_sure():
    from risklens.demo import demo_cohort, demo_paths
    from risklens.explain import explain
    from risklens.modeling import load_model
    from risklens.study.card import CERTAINTY_WORDS, patient_card_html

    cohort = demo_cohort()
    model = load_model(demo_paths()[0])
    expl = explain(model, cohort.X.iloc[:3], "shap")
    rid = str(cohort.X.index[1])
    card = patient_card_html(expl, rid, dictionary=cohort.dictionary, model=model, certainty="uncertain", alpha=0.1)
    assert "How sure (conformal prediction set at error rate 10%): <b>uncertain</b>" in card
    assert CERTAINTY_WORDS["uncertain"] in card
    assert "How sure" not in patient_card_html(expl, rid, dictionary=cohort.dictionary, model=model)
