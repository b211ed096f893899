"""An uploaded table of stays (AppTest, as a person): the Data page's time column makes the rows windows of stays,
so the Patients page shows the stay and the Model page the lead time over each stay; a reload keeps it. A time
column that is not hours or date-times is refused with its name shown as text, the previous cohort staying."""

from __future__ import annotations

import pandas as pd
import pytest

from apptest_support import demo_home, open_page, shown

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

HOSTILE = "**when** <b>x</b>"


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 600)


def stays_table() -> pd.DataFrame:
    """A user's extract of stays: row id, stay id, hours since admission, the features, outcome and trigger."""
    from risklens.cohorts.stays import stays_frame
    from risklens.cohorts.ward import simulate_ward

    return stays_frame(simulate_ward(250, seed=3, stays=True)).drop(columns=["event_hour", "patient_id"])


def upload(at, frame: pd.DataFrame, filename: str):
    at.radio(key="data_source").set_value("Upload a file").run()
    return at.file_uploader(key="data_upload").set_value((filename, frame.to_csv(index=False).encode(),
                                                          "text/csv")).run()


def titles(at) -> list[str]:
    import plotly.io as pio

    return [str(pio.from_json(c.proto.spec).layout.title.text) for c in at.get("plotly_chart")]


def test_uploaded_stays_get_the_stay_view_and_lead_time_and_survive_a_reload():
    from risklens.cohorts.stays import has_stays, windows_of
    from risklens.ui import state

    table = stays_table()
    at = upload(open_page("pages/data.py"), table, "ward_stays.csv")
    assert not at.exception
    assert at.selectbox(key="map_time").value == "(none)" and "hour" in at.selectbox(key="map_time").options
    at.selectbox(key="map_group").set_value("stay").run()
    at.selectbox(key="map_time").set_value("hour").run()
    assert at.selectbox(key="map_outcome").value == "outcome" and at.selectbox(key="map_id").value == "id"
    checked = [d.value for d in at.dataframe if "check" in getattr(d.value, "columns", [])]
    assert not checked or "hour" not in set(checked[0]["column"])  # the time column is not a feature
    at = at.button(key="data_use_upload").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    cohort = at.session_state[state.K_COHORT]
    assert has_stays(cohort) and "hour" not in cohort.features and cohort.n == len(table)
    w = windows_of(cohort)
    assert w.basis == "stays" and w.hours_per_window == 4 and len(set(w.stay)) == 250
    pd.testing.assert_series_equal(pd.Series(w.hour), table["hour"].astype(float), check_names=False)

    at.switch_page("pages/model.py").run()
    at.selectbox(key="train_family").set_value("l1-logistic")
    at = [b for b in at.button if b.label == "Train"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Each admission is a stay of consecutive windows" in "\n".join(str(c.value) for c in at.caption)
    url = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}

    at.switch_page("pages/patients.py").run()
    assert not at.exception and not at.error
    assert any(t.startswith("Risk through the stay") for t in titles(at))
    shown_id = [str(h.value)[len("Patient "):] for h in at.subheader if str(h.value).startswith("Patient ")][0]
    windows = [o.rsplit("(", 1)[1].rstrip(")") for o in at.selectbox(key="stay_window").options]
    stay = table.set_index("id").loc[shown_id, "stay"]
    assert windows == list(table.loc[table["stay"] == stay, "id"])  # the stay's windows, in time order

    # a reload with only the URL: the kept upload comes back as stays
    again = open_page("pages/patients.py", query=url)
    assert not again.error, [e.value for e in again.error]
    assert has_stays(again.session_state[state.K_COHORT])
    assert any(t.startswith("Risk through the stay") for t in titles(again))


def test_a_time_column_that_is_not_hours_is_refused_by_name_as_text():
    from risklens.ui import state

    at = open_page("pages/data.py")
    before = at.session_state[state.K_COHORT].hash
    table = stays_table()
    table[HOSTILE] = ["soon"] * len(table)
    at = upload(at, table, "stays.csv")
    at.selectbox(key="map_group").set_value("stay").run()
    at.selectbox(key="map_time").set_value(HOSTILE).run()
    at = at.button(key="data_use_upload").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and at.session_state[state.K_COHORT].hash == before
    assert (f"the time column '{HOSTILE}' is read as date-times, but {len(table)} row(s) are missing or not a "
            "date-time") in shown(errors[0]) and "previously loaded cohort stays active" in errors[0]
    assert "<b>" not in errors[0] and "\\*\\*when" in errors[0]  # markdown escaped: shown as text
    # without the patient (group) column the time column is refused too
    at.selectbox(key="map_group").set_value("(none)").run()
    at.selectbox(key="map_time").set_value("hour").run()
    at = at.button(key="data_use_upload").click().run()
    assert "needs the patient (stay) id column" in shown(at.error[0].value)
    assert at.session_state[state.K_COHORT].hash == before
