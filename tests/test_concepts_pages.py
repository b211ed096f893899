"""Concept-level views on the pages (AppTest, small demo): the Cohort explanations page's concept bars and the
Patients page's waterfall by concept, expanded to a concept's features."""

from __future__ import annotations

import numpy as np
import pytest

from apptest_support import demo_home, open_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 2000)


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def numbers(arr) -> np.ndarray:
    """A plotly array as numbers (the JSON may hold it as typed base64 'bdata')."""
    import base64

    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"])).astype(float)
    return np.asarray(arr, dtype=float)


def figure(at, index=0):
    import plotly.io as pio

    return pio.from_json(at.get("plotly_chart")[index].proto.spec)


def test_cohort_explanations_by_concept():
    at = open_page("pages/explanations.py")
    at.toggle(key="expl_concepts").set_value(True).run()
    assert not at.exception and not at.error
    text = captions(at)
    assert "Concept values:" in text and "group Shapley" in text
    bar = figure(at).data[0]
    assert "Respiratory rate" in bar.y and "SpO2" in bar.y
    assert not any(str(y).startswith(("rr_", "Min ", "Max ")) for y in bar.y)  # concepts, not features
    assert len(bar.y) <= 11
    at.toggle(key="expl_concepts").set_value(False).run()  # back to features: the feature labels return
    assert any("respiratory" in str(y).lower() and str(y) != "Respiratory rate" for y in figure(at).data[0].y)


def test_patient_waterfall_by_concept_expands_to_features():
    at = open_page("pages/patients.py")
    at.toggle(key="pt_concepts").set_value(True).run()
    assert not at.exception and not at.error
    charts = [figure(at, i) for i in range(len(at.get("plotly_chart")))]
    wf = next(c for c in charts if "by clinical concept" in c.layout.title.text)
    bars = wf.data[0]
    n_concepts = len(bars.y)
    steps = numbers(bars.x)
    title = wf.layout.title.text
    base = float(title.split("base risk ")[-1].split("%")[0])
    risk = float(title.split("this patient ")[-1].split("%")[0])
    assert abs(base + steps.sum() - risk) < 0.06  # the concept bars add up to the patient's risk
    expand = next(w for w in at.multiselect if w.key.startswith("pt_expand_"))
    first = expand.options[0]
    expand.set_value([first]).run()
    assert not at.exception
    charts = [figure(at, i) for i in range(len(at.get("plotly_chart")))]
    wf = next(c for c in charts if "by clinical concept" in c.layout.title.text)
    ys = wf.data[0].y
    sub = [y for y in ys if str(y).startswith("    · ")]
    assert len(ys) > n_concepts and len(sub) >= 2  # the concept's features appear below it


def test_model_page_shows_lead_time_at_the_threshold():
    at = open_page("pages/model.py")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert "Median lead time" in metrics and "Alerts per patient-day" in metrics
    alerted = metrics["Events alerted"]
    typed = next(n for n in at.number_input if n.key.startswith("thr_in_"))
    typed.set_value(99.0).run()  # the threshold in percent: almost nothing alerts at 99%
    metrics2 = {m.label: m.value for m in at.metric}
    assert int(metrics2["Events alerted"].split(" of ")[0].replace(",", "")) <= int(alerted.split(" of ")[0].replace(",", ""))
    assert float(metrics2["Alerts per patient-day"]) < float(metrics["Alerts per patient-day"])
    assert "independent" in captions(at)
