"""The stay on the Patients page (AppTest, a small demo of stays): risk through the stay, what changed since the
previous window, the window picker, and the deep link ?patient=STAY&t=H."""

from __future__ import annotations

import os

import pytest

from apptest_support import demo_home, open_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module", autouse=True)
def stays_home(tmp_path_factory):
    old = os.environ.get("RISKLENS_DEMO_STAYS")
    os.environ["RISKLENS_DEMO_STAYS"] = "1"
    yield from demo_home(tmp_path_factory, 2400)  # 400 stays, about 2,500 windows
    if old is None:
        os.environ.pop("RISKLENS_DEMO_STAYS", None)
    else:
        os.environ["RISKLENS_DEMO_STAYS"] = old


def shown_patient(at) -> str:
    heads = [h.value for h in at.subheader if str(h.value).startswith("Patient ")]
    assert len(heads) == 1, heads
    return heads[0][len("Patient "):]


def window_ids(at) -> list[str]:
    """The window picker's ids (its options read "+H h (ID)")."""
    return [o.rsplit("(", 1)[1].rstrip(")") for o in at.selectbox(key="stay_window").options]


def titles(at) -> list[str]:
    import plotly.io as pio

    return [str(pio.from_json(c.proto.spec).layout.title.text) for c in at.get("plotly_chart")]


def test_stay_view_and_its_deep_link():
    at = open_page("pages/patients.py")
    assert not at.exception and not at.error
    assert any(t.startswith("Risk through the stay") for t in titles(at))
    assert any(t.startswith("What changed since the previous window") for t in titles(at))
    windows = window_ids(at)
    assert len(windows) >= 1 and shown_patient(at) in windows and at.selectbox(key="stay_window").value == shown_patient(at)
    # a later window of a held-out stay, opened by the stay's id and the hours since its first window
    ids = [i for i in at.selectbox(key="pt_select").options if not i.endswith("-h000")]
    target = ids[0]
    stay, hours = target.rsplit("-h", 1)
    at2 = open_page("pages/patients.py", query={"patient": stay, "t": str(int(hours))})
    assert shown_patient(at2) == target
    assert at2.query_params["t"] == [str(int(hours))] or at2.query_params["t"] == str(int(hours))
    # picking another window of the stay opens it
    others = [w for w in window_ids(at2) if w != target]
    at2.selectbox(key="stay_window").set_value(others[0]).run()
    assert not at2.exception and shown_patient(at2) == others[0]
    # an hour between windows opens the last window at or before it
    at3 = open_page("pages/patients.py", query={"patient": stay, "t": str(int(hours) + 1)})
    assert shown_patient(at3) == target


def test_model_page_lead_time_over_stays():
    at = open_page("pages/model.py")
    assert not at.exception and not at.error
    text = "\n".join(str(c.value) for c in at.caption)
    assert "Each admission is a stay of consecutive windows" in text
