"""Every page runs without an exception under AppTest, on a small demo (RISKLENS_DEMO_N=2000, temp home)."""

from __future__ import annotations


import pytest

from apptest_support import TIMEOUT, demo_home, open_page, shown


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 2000)


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [i.value for i in at.info]
    parts += [h.value for h in at.title] + [h.value for h in at.subheader] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def test_home_shows_the_ready_demo():
    at = open_page()
    assert at.title[0].value == "RiskLens"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Models ready"] == "3"
    assert metrics["Admissions"] == "2,000"
    assert not at.error


def test_data_page_summary_and_dictionary():
    at = open_page("pages/data.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "2,000"
    assert "Feature dictionary" in texts(at)
    assert not at.error


def test_bad_upload_shows_a_message_and_keeps_the_cohort():
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("broken.parquet", b"this is not parquet", "application/octet-stream"))
    at.run()
    assert not at.exception
    assert at.error, "a bad file must produce an st.error"
    assert "broken.parquet" in shown(at.error[0].value)
    assert "previously loaded cohort stays active" in at.error[0].value
    assert {m.label: m.value for m in at.metric}["Rows"] == "2,000"


def test_good_upload_becomes_the_active_cohort():
    from risklens.cohorts import load_builtin

    frame = load_builtin("ward", n=400, seed=3).to_frame()
    constant = [c for c in frame.columns if frame[c].nunique() <= 1]
    csv = frame.drop(columns=constant).to_csv(index=False).encode()
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("my_ward.csv", csv, "text/csv")).run()
    assert at.selectbox(key="map_outcome").value == "outcome"
    assert at.selectbox(key="map_trigger").value == "trigger"
    at.button(key="data_use_upload").click().run()
    # trigger values name ward groups, which an inferred dictionary does not know: a clear message
    assert at.error and "do not name a feature group" in at.error[0].value
    at.selectbox(key="map_dictionary").set_value("built-in: ward").run()
    at.button(key="data_use_upload").click().run()
    assert not at.exception
    assert not at.error, at.error[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "400"
    assert any("Active cohort: my_ward" == shown(h.value) for h in at.subheader)


def test_upload_without_outcome_column_is_refused(small_home):
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("tiny.csv", b"a,b\n1,2\n3,4\n", "text/csv")).run()
    at.button(key="data_use_upload").click().run()
    assert not at.exception
    assert at.error and "tiny.csv cannot be used as a cohort" in shown(at.error[0].value)


def test_upload_error_injected_in_session_is_shown():
    from risklens.ui.state import K_UPLOAD_ERROR

    at = open_page("pages/data.py", session={K_UPLOAD_ERROR: "Could not read x.csv: not a table"})
    at.radio(key="data_source").set_value("Upload a file").run()
    assert "Could not read x.csv: not a table" in shown(at.error[0].value)


def test_model_page_threshold_drives_the_metrics():
    at = open_page("pages/model.py")
    assert not at.error
    field = next(n for n in at.number_input if str(n.key).startswith("thr_in_"))
    at = field.set_value(99.0).run()
    high = {m.label: m.value for m in at.metric}
    at = at.number_input(key=field.key).set_value(0.1).run()
    low = {m.label: m.value for m in at.metric}
    assert float(high["Alerts per 100 patients"]) < 5.0 < float(low["Alerts per 100 patients"])
    assert float(low["Sensitivity"].rstrip("%")) > float(high["Sensitivity"].rstrip("%"))


def test_explanations_page():
    at = open_page("pages/explanations.py")
    assert not at.error
    assert "held-out patients explained" in texts(at)


def shown_patient(at) -> str:
    heads = [h.value for h in at.subheader if str(h.value).startswith("Patient ")]
    assert len(heads) == 1, heads
    return heads[0][len("Patient "):]


def test_patients_page_and_deep_link():
    at = open_page("pages/patients.py")
    assert not at.error
    ids = at.selectbox(key="pt_select").options
    target = ids[3]
    at2 = open_page(query={"patient": target})  # bare ?patient=ID on the home URL
    assert shown_patient(at2) == target
    assert "Risk is" in texts(at2)
    at3 = open_page("pages/patients.py", query={"patient": target})
    assert shown_patient(at3) == target
    # what-if: doubling the first edited value changes the recomputed risk display
    box = at3.number_input[0]
    box.set_value((box.value or 1.0) * 2 + 5)
    submit = next(b for b in at3.button if b.label == "Recompute risk and explanation")
    submit.click().run()
    assert not at3.exception
    assert any(m.label == "Risk with these values" for m in at3.metric)


def test_consecutive_dropdown_switches_each_land_after_a_deep_link():
    """The page's own URL echo is never taken for a new link: every pick sticks (none snaps back)."""
    at = open_page("pages/patients.py")
    ids = at.selectbox(key="pt_select").options
    at = open_page("pages/patients.py", query={"patient": ids[0]})
    for pid in [ids[5], ids[2], ids[9], ids[1], ids[7], ids[4]]:
        at.selectbox(key="pt_select").set_value(pid).run()
        assert not at.exception
        assert shown_patient(at) == pid
        assert at.query_params["patient"] == [pid] or at.query_params["patient"] == pid


def test_selection_survives_filters_and_leaving_the_page():
    at = open_page("pages/patients.py")
    ids = at.selectbox(key="pt_select").options
    at.selectbox(key="pt_select").set_value(ids[6]).run()
    at.selectbox(key="wl_outcome").set_value("event").run()  # the patient may not match: still shown
    assert shown_patient(at) == ids[6]
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/patients.py").run()
    assert not at.exception
    assert shown_patient(at) == ids[6]


def _page_through(at, expected: int) -> list[str]:
    seen, pages = [], -(-expected // 100)
    for page in range(1, pages + 1):  # every page of the worklist, no cap
        if pages > 1:
            at.number_input(key="wl_page").set_value(page).run()
        table = next(df.value for df in at.dataframe if "risk %" in df.value.columns)
        seen += list(table["id"])
        assert len(at.selectbox(key="pt_select").options) >= len(table)  # the dropdown offers the page shown
    return seen


def _counts(at) -> tuple[int, int, int]:
    caption = next(c.value for c in at.caption if "held-out patients match" in c.value)
    n_match = int(caption.split(" of ")[0].replace(",", ""))
    total = int(caption.split(" of ")[1].split(" held-out")[0].replace(",", ""))
    alerts = int(caption.split("(")[1].split(" alerts")[0].replace(",", ""))
    return n_match, total, alerts


def test_worklist_counts_and_pages_reach_every_patient_and_alert():
    at = open_page("pages/patients.py")
    n_match, total, alerts = _counts(at)
    assert n_match == total > 100  # more than one page
    seen = _page_through(at, total)
    assert len(seen) == len(set(seen)) == total
    at.number_input(key="wl_page").set_value(1).run()
    at.checkbox(key="wl_above").check().run()
    n_match, _, alerts = _counts(at)
    assert n_match == alerts > 0
    seen = _page_through(at, alerts)
    assert len(seen) == len(set(seen)) == alerts


@pytest.mark.parametrize("bad", ["no-such-patient", "[x](https://evil.example)"])
def test_unknown_deep_link_is_plain_text_not_a_traceback(bad):
    at = open_page(query={"patient": bad})
    assert at.error and "not in the active cohort" in at.error[0].value
    assert bad not in at.error[0].value  # the value never goes into markdown ...
    assert bad in [t.value for t in at.text]  # ... it is shown as plain text
    assert "Patient " in texts(at)  # the page goes on with the first patient of the worklist


def test_patient_page_speaks_risk_not_log_odds():
    at = open_page("pages/patients.py")
    body = texts(at)
    assert "log-odds" not in " ".join(m.label + str(m.value) for m in at.metric)
    assert "add up exactly" in body  # the waterfall's mapping is stated
    frames = [df.value for df in at.dataframe]
    top = next(f for f in frames if "normal range" in f.columns)
    assert not top.astype(str).isin(["None", "nan"]).any().any()
    assert not any("·" in o and len(o.split("·")[-1].strip()) == 8 for o in at.selectbox(key="pt_model").options)


def _set_protocol(at, prefix, fams, include, runs=2, pats=10, reps=2, noise=2):
    at.multiselect(key=f"{prefix}_fams").set_value(fams)
    at.run()
    at.number_input(key=f"{prefix}_runs").set_value(runs)
    at.number_input(key=f"{prefix}_n").set_value(pats)
    at.number_input(key=f"{prefix}_reps").set_value(reps)
    at.number_input(key=f"{prefix}_noise").set_value(noise)
    at.multiselect(key=f"{prefix}_include").set_value(include)
    return at


def _page_report(at):
    from risklens.ui.state import K_EVAL

    reports = at.session_state[K_EVAL]
    assert len(reports) == 1
    return next(iter(reports.values()))


INCLUDE = ["l1-logistic/coef", "l1-logistic/lime", "mlp/dtd", "xgboost/shap", "xgboost/lime"]  # no slow MLP SHAP


@pytest.mark.slow
def test_consistency_page_and_cli_give_the_same_numbers(tmp_path):
    import json

    from risklens.cli import main
    from risklens.demo import DEMO_SEED

    at = open_page("pages/consistency.py")
    assert not at.error
    _set_protocol(at, "cons", ["xgboost", "l1-logistic", "mlp"], INCLUDE)
    at.button(key="cons_run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    rep = _page_report(at)
    frames = [df.value for df in at.dataframe]
    conc = next(f for f in frames if "dropped (A)" in f.columns)
    assert "None" not in conc.to_string() and "nan" not in conc.to_string()
    assert any("FA seed-to-seed" in f.columns for f in frames) and any("top-k Jaccard" in f.columns for f in frames)
    assert [p for p in at.get("page_link")], "the disagreement list links to patients"
    pats = next(f for f in frames if "patients of" in f.columns).set_index("patients of")["patients"]
    assert int(pats["XGBoost"]) == rep.patients_per_family["xgboost"] and int(pats["every model"]) == rep.n_patients
    assert any(c.value.startswith("Per model: the held-out patients") and ". Comparisons (method agreement" in c.value for c in at.caption)
    # the CLI with the same settings on the same cohort: every number identical
    settings = tmp_path / "settings.json"
    settings.write_text(rep.settings.to_json())
    out = tmp_path / "cli"
    assert main(["evaluate", "--cohort", "ward", "--n", "2000", "--simulator-seed", str(DEMO_SEED),
                 "--settings", str(settings), "--out", str(out)]) == 0
    cli = json.loads((out / "report.json").read_text())
    page = json.loads(rep.to_json())
    for d in (cli, page):
        for k in ("created", "timings", "total_seconds"):
            d["provenance"].pop(k)
    assert page["cohort"]["hash"] == cli["cohort"]["hash"]
    assert json.dumps(page) == json.dumps(cli)
    shown = conc.set_index("explainer")["kept (B)"]
    assert shown["XGBoost · SHAP"] == f"{rep.record('concordance', rep.explainers[3]).kept:.3f}"


def test_rashomon_spread_on_the_consistency_page():
    at = open_page("pages/consistency.py")
    _set_protocol(at, "cons", ["xgboost"], ["xgboost/shap"], runs=1, reps=0, noise=0)
    at.checkbox(key="cons_rashomon").check()
    at.button(key="cons_run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert any("candidate models kept" in m.value for m in at.markdown)


def test_report_page_offers_downloads():
    at = open_page("pages/report.py")
    assert not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("patient card" in lab for lab in labels)
    assert any("attributions (CSV" in lab for lab in labels)
    _set_protocol(at, "rep", ["xgboost", "l1-logistic"], ["xgboost/shap", "l1-logistic/coef"], reps=0, noise=0)
    at.button(key="rep_run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the report (HTML)" in labels and "Download the report data (JSON)" in labels
