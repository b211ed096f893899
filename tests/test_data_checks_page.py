"""The Data page's checks panel, column exclusion and mapping (AppTest), and the Model page's warnings before training."""

from __future__ import annotations

import pytest

from apptest_support import demo_home, open_page, shown
from extract_fixture import extract_frame


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 600)


def checks_table(at):
    """The findings table on the page (a dataframe with a 'check' column), or None."""
    frames = [d.value for d in at.dataframe if "check" in getattr(d.value, "columns", [])]
    return frames[0] if frames else None


def test_upload_shows_leaks_and_leaving_them_out_removes_them():
    csv = extract_frame(n=600, seed=1, cause_unknown=0.1).to_csv(index=False).encode()
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("extract.csv", csv, "text/csv")).run()
    assert not at.exception
    # mapping: the id-like column is the row id, not the patient column (its values do not repeat)
    assert at.selectbox(key="map_outcome").value == "died"
    assert at.selectbox(key="map_id").value == "patient_id" and at.selectbox(key="map_group").value == "(none)"
    table = checks_table(at)
    assert table is not None
    found = {(r["check"], r["column"]) for _, r in table.iterrows()}
    assert found == {("leak", "futime"), ("missing-leak", "cause")}
    assert table.set_index("column").loc["futime", "measured"] == 1.0

    # choosing the id column as the patient column moves it there (no "given for two roles")
    at.selectbox(key="map_group").set_value("patient_id").run()
    assert at.selectbox(key="map_group").value == "patient_id" and at.selectbox(key="map_id").value == "(none)"
    at.selectbox(key="map_id").set_value("patient_id").run()
    assert at.selectbox(key="map_id").value == "patient_id" and at.selectbox(key="map_group").value == "(none)"

    # train as it is: the active cohort carries the 16-level column encoded, and its checks panel shows the leaks
    at.button(key="data_use_upload").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "cause: the 10 most frequent values in training kept, 6 other value(s) grouped as 'other'" in captions
    assert "cause: a blank is its own level, 'not recorded'" in captions

    # the Model page lists the findings above the Train button
    at.switch_page("pages/model.py").run()
    assert not at.exception
    warn = " ".join(shown(w.value) for w in at.warning)
    assert "Data checks: 2 finding(s)" in warn and "futime" in warn and "cause" in warn

    # leave both out: the panel has no finding, the cohort has neither column, the card will record them
    at.switch_page("pages/data.py").run()
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("extract.csv", csv, "text/csv")).run()
    at.multiselect(key="map_drop").set_value(["futime", "cause"]).run()
    # the upload's panel says "No finding"; the only findings table left is the (still leaky) active cohort's
    assert any("No finding" in s.value for s in at.success)
    assert len([d for d in at.dataframe if "check" in getattr(d.value, "columns", [])]) == 1
    at.button(key="data_use_upload").click().run()
    assert not at.exception and not at.error
    assert checks_table(at) is None  # the new active cohort has no finding either
    cohort = at.session_state["rl_cohort"]
    assert not any(f.startswith(("futime", "cause")) for f in cohort.features)
    assert cohort.contract.dropped == ("futime", "cause")
    assert "left out by the user: futime, cause" in " ".join(shown(c.value) for c in at.caption)


def test_user_column_names_are_shown_as_text():
    hostile = "**bold** <b>x</b> [l](javascript:1)"
    frame = extract_frame(n=300, leak=False, cause=False).rename(columns={"admit_year": hostile})
    frame[hostile] = 7  # constant: a finding naming the column
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("h.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    assert not at.exception
    table = checks_table(at)
    assert hostile in set(table["column"])  # a dataframe cell: plain text, never markdown
