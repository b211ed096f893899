"""Words that fit the cohort and keys that match the marks: no trigger or admission words for a cohort
without them (AppTest on an uploaded extract), colour keys drawn in the bars' own colours, thresholds
written with enough significant digits."""

from __future__ import annotations

import re

import numpy as np
import pytest

from apptest_support import demo_home, open_page


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 600)


#: how Streamlit words a deprecation ("Please replace `st.x` with `st.y`. `st.x` will be removed after <date>.")
DEPRECATION = re.compile(r"deprecat|will be removed|Please replace", re.I)


def test_threshold_text_keeps_significant_digits():
    from risklens.modeling.performance import threshold_text

    assert [threshold_text(t) for t in (0.00035, 0.125, 0.5, 0.0123456, 1.0, 0.0)] == \
        ["0.035%", "12.5%", "50%", "1.23%", "100%", "0%"]


@pytest.mark.parametrize("figure", ["waterfall_figure", "patient_bar"])
def test_the_key_names_and_shows_the_colours_the_bars_use(figure):
    from risklens import plots
    from risklens.explain.base import Explanation
    from risklens.plots.style import COLOUR_NAMES

    row = Explanation(values=np.array([[0.8, -0.5, 0.3, -0.2]]), base_values=[-2.0], data=np.zeros((1, 4)),
                      feature_names=["a", "b", "c", "d"], method="shap", model_id="m", output="log-odds")
    fig = getattr(plots, figure)(row, None)
    colours = set(fig.data[0].marker.color)
    title = fig.layout.title.text
    assert len(colours) == 2  # some raise, some lower
    for colour in colours:  # every bar colour appears in the key, drawn in that colour, with its name
        assert f"<span style='color:{colour}'>■ {COLOUR_NAMES[colour]}</span>" in title
    assert "orange" not in title


def test_a_cohort_without_trigger_or_admissions_speaks_of_patients():
    from test_reload import extract, train, upload_and_use

    at = open_page("pages/data.py")
    at = upload_and_use(at, extract(500, 4), "extract.csv")
    assert not at.error, [e.value for e in at.error]
    at.switch_page("pages/model.py").run()
    at = train(at, "l1-logistic")  # so the Patients page shows a worklist and a patient
    words = re.compile(r"vital.sign|alarm|admission", re.I)
    for page in ("pages/home.py", "pages/data.py", "pages/patients.py", "pages/consistency.py"):
        at.switch_page(page).run()
        assert not at.exception
        shown = [str(e.value) for kind in ("markdown", "caption", "info", "subheader", "title") for e in at.get(kind)]
        shown += [m.label for m in at.metric] + [b.label for b in at.selectbox] + [n.label for n in at.number_input]
        assert not [t for t in shown if words.search(t)], (page, [t for t in shown if words.search(t)])
        if page == "pages/patients.py":
            assert [h.value for h in at.subheader if str(h.value).startswith("Patient ")]  # a patient is shown
            assert "wl_trigger" not in [b.key for b in at.selectbox]  # no recorded-trigger filter
        if page == "pages/home.py":
            assert {m.label: m.value for m in at.metric}["Patients"] == "500"  # one row per patient
        if page in ("pages/home.py", "pages/patients.py", "pages/consistency.py"):
            assert not [t for t in shown if re.search("trigger", t, re.I)], (page, [t for t in shown if "trigger" in t])


def test_no_page_calls_a_deprecated_streamlit_function(caplog):
    """Every page, the report preview included, runs without a Streamlit deprecation warning in the log."""
    import logging

    caplog.set_level(logging.WARNING)
    logging.getLogger("streamlit").propagate = True  # streamlit's own handler would keep the records from caplog
    at = open_page("pages/report.py")
    at.multiselect(key="rep_fams").set_value(["l1-logistic"])
    at.run()
    at.number_input(key="rep_runs").set_value(1)
    at.number_input(key="rep_reps").set_value(0)
    at.number_input(key="rep_noise").set_value(0)
    at.multiselect(key="rep_include").set_value(["l1-logistic/coef"])
    at.button(key="rep_run").click().run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("iframe"), "the report preview is drawn"
    for page in ("pages/home.py", "pages/data.py", "pages/model.py", "pages/explanations.py", "pages/patients.py",
                 "pages/consistency.py", "pages/audit.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    deprecations = [r.getMessage() for r in caplog.records if DEPRECATION.search(r.getMessage())]
    assert not deprecations, deprecations
