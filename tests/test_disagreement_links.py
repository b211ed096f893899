"""Consistency -> Disagreements (AppTest): every link opens its patient, with the model that was evaluated;
a link to a patient that the page's model trained on says which model holds them out."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from apptest_support import TIMEOUT, demo_home, open_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 1500)


def shown_patient(at) -> str:
    heads = [h.value for h in at.subheader if str(h.value).startswith("Patient ")]
    assert len(heads) == 1, heads
    return heads[0][len("Patient "):]


def test_every_disagreement_link_opens_its_patient_with_the_evaluated_model():
    from risklens.ui import state

    at = open_page("pages/consistency.py")
    at.multiselect(key="cons_fams").set_value(["xgboost"])
    at.run()
    at.number_input(key="cons_runs").set_value(1)
    at.number_input(key="cons_n").set_value(10)
    at.number_input(key="cons_reps").set_value(0)
    at.number_input(key="cons_noise").set_value(0)
    at.multiselect(key="cons_include").set_value(["xgboost/shap", "xgboost/lime"])
    at.button(key="cons_run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    links = [parse_qs(p.proto.query_string) for p in at.get("page_link") if p.proto.label.startswith("Patient ")]
    assert len(links) == 10
    rep = next(iter(at.session_state[state.K_EVAL].values()))
    evaluated = next(r.model_id for r in rep.models if r.family == "xgboost" and r.run == 1)
    assert {q["model"][0] for q in links} == {evaluated}
    cohort = at.session_state[state.K_COHORT]
    demo_held_out, missed_by_page_model = _held_out_ids(cohort), 0
    for q in links:
        pid = q["patient"][0]
        at.switch_page("pages/patients.py")
        for k, v in q.items():
            at.query_params[k] = v[0]
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert not any("training rows" in w.value for w in at.warning), [w.value for w in at.warning]
        assert shown_patient(at) == pid
        box = at.selectbox(key="pt_model")
        assert box.value == evaluated
        missed_by_page_model += pid not in demo_held_out
        at.switch_page("pages/consistency.py").run()
    # the links are needed: the demo's own XGBoost trained on some of these patients
    assert missed_by_page_model > 0


def _held_out_ids(cohort):
    """Held-out ids of the demo's XGBoost (the model the pages show before the evaluation)."""
    from risklens.demo import demo_paths
    from risklens.modeling import load_model, split_cohort

    m = next(m for m in map(load_model, demo_paths()) if m.family == "xgboost")
    split = m.card["split"] if isinstance(m.card.get("split"), dict) else m.card
    test = split_cohort(cohort, test_size=float(split.get("test_size", 0.3)), seed=int(split.get("split_seed", 0)))[1]
    return set(cohort.X.index[test])


def test_a_training_row_link_names_the_model_that_holds_the_patient_out():
    from risklens.demo import demo_paths
    from risklens.modeling import load_model
    from risklens.ui import state

    at = open_page("pages/patients.py")
    cohort = at.session_state[state.K_COHORT]
    xgb = next(m for m in map(load_model, demo_paths()) if m.family == "xgboost")
    trained_on = sorted(set(cohort.X.index) - _held_out_ids(cohort))[0]
    at = open_page(query={"patient": trained_on, "model": xgb.model_id})
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "was in the training rows of XGBoost · seed 0" in text
    assert "Held out by:" in text or "No model in use holds them out" in text
