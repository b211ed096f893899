"""Nothing lost on reload (AppTest, as a person): upload an extract, train two families, then open a new
session with only the URL the browser shows, and find the same cohort and model. Hostile names and link
values are shown as text and never become paths; one user's uploads are invisible to another."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apptest_support import demo_home, open_page, shown

HOSTILE = "../../etc/passwd <b>x</b>.csv"


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 600)


def extract(n: int = 700, seed: int = 0) -> pd.DataFrame:
    """A small real-shaped extract: id, age, sex (M/F), a lab value missing for a sixth of the rows,
    a yes/no column, a calendar year, and a 0/1 outcome that depends on age, the lab and the yes/no."""
    rng = np.random.default_rng(seed)
    age = rng.integers(30, 95, n)
    sex = rng.choice(["F", "M"], n)
    lab = np.round(rng.lognormal(0.0, 0.4, n), 2)
    lab_shown = np.where(rng.random(n) < 1 / 6, np.nan, lab)
    mgus = rng.choice(["no", "yes"], n, p=[0.85, 0.15])
    year = rng.integers(1995, 2004, n)
    logit = -2.5 + 0.05 * (age - 60) + 1.2 * np.log(lab) + 1.0 * (mgus == "yes")
    died = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"idnum": [f"P{i:05d}" for i in range(n)], "age": age, "sex": sex, "flc": lab_shown,
                         "mgus": mgus, "sample_yr": year, "death": died})


def upload_and_use(at, frame: pd.DataFrame, filename: str):
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value((filename, frame.to_csv(index=False).encode(), "text/csv")).run()
    at.selectbox(key="map_outcome").set_value("death")
    at.selectbox(key="map_id").set_value("idnum")
    at.selectbox(key="map_group").set_value("(none)")
    return at.button(key="data_use_upload").click().run()


def train(at, family: str, seed: int = 0):
    at.selectbox(key="train_family").set_value(family)
    at.number_input(key="train_seed").set_value(seed)
    return [b for b in at.button if b.label == "Train"][0].click().run()


def picker_label(at) -> str:
    box = at.selectbox(key="model_pick")
    return box.format_func(box.value)


def test_upload_train_reload_finds_the_same_cohort_and_model(small_home):
    from risklens.ui import state

    at = open_page("pages/data.py")
    at = upload_and_use(at, extract(), HOSTILE)
    assert not at.exception and not at.error, [e.value for e in at.error]
    cohort = at.session_state[state.K_COHORT]
    assert cohort.n == 700
    # the cohort is named after the file name's last path component ("b>" here), shown escaped, never as HTML
    heads = [h.value for h in at.subheader if str(h.value).startswith("Active cohort")]
    assert shown(heads[0]) == "Active cohort: b>" and heads[0].endswith("b\\>")
    # kept in the home under an id, never under the file name
    kept = list((small_home / "data" / "uploads").glob("*/*"))
    assert [p.name for p in kept] == [cohort.hash[:16]] and not (small_home / "etc").exists()
    assert {p.name for p in kept[0].iterdir()} == {"table.parquet", "dictionary.parquet", "upload.json"}
    assert at.query_params["cohort"] == [cohort.hash[:16]] or at.query_params["cohort"] == cohort.hash[:16]

    at.switch_page("pages/model.py").run()
    at = train(at, "xgboost")
    at = train(at, "l1-logistic")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert picker_label(at) == "L1 logistic regression · seed 0"
    model_id = at.selectbox(key="model_pick").value
    url = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert url == {"cohort": cohort.hash[:16], "model": model_id}

    # a reload: a new session with only the URL
    again = open_page("pages/model.py", query=url)
    assert not again.error, [e.value for e in again.error]
    assert again.session_state[state.K_COHORT].hash == cohort.hash
    assert picker_label(again) == "L1 logistic regression · seed 0"
    assert again.selectbox(key="model_pick").value == model_id
    # and the Data page stays on the upload, listing it to reopen or delete
    again.switch_page("pages/data.py").run()
    assert again.radio(key="data_source").value == "Upload a file"
    table = [d.value for d in again.dataframe if "file" in d.value.columns]
    assert list(table[0]["file"]) == [HOSTILE]


def test_hostile_or_unknown_link_values_are_text_and_change_nothing(small_home):
    from risklens.ui import state

    for bad in ["../../etc/passwd", "0123456789abcdef", "<b>x</b>"]:
        at = open_page(query={"cohort": bad, "model": "../models/x"})  # a reload of the home page
        assert not at.exception
        assert any("not kept for you" in e.value for e in at.error)
        assert any("model that is not trained or loaded" in e.value for e in at.error)
        assert bad in [t.value for t in at.text] and "../models/x" in [t.value for t in at.text]
        assert state.is_demo(at.session_state[state.K_COHORT])


def test_one_users_upload_is_invisible_to_another(tmp_path):
    from risklens.cohorts.stored import UploadNotFound, UploadStore
    from risklens.cohorts.upload import cohort_from_upload

    frame = extract(300, 1)
    cohort = cohort_from_upload(frame, "death", id_col="idnum", name="x")
    store = UploadStore(tmp_path)
    entry = store.save(frame, HOSTILE, cohort, {"outcome": "death", "id_col": "idnum"}, "alice@example.org")
    back, _ = store.load(entry.id, "alice@example.org")
    assert back.hash == cohort.hash  # the same data, the same models apply
    assert [e.id for e in store.entries("bob@example.org")] == []
    with pytest.raises(UploadNotFound):
        store.load(entry.id, "bob@example.org")
    with pytest.raises(UploadNotFound):
        store.load("../" + entry.id, "alice@example.org")
    store.delete(entry.id, "alice@example.org")
    assert store.entries("alice@example.org") == []


def test_kept_upload_reopens_and_deletes_from_the_data_page_and_is_audited(small_home):
    import json

    from risklens.audit import open_log
    from risklens.ui import state

    at = open_page("pages/data.py")
    at = upload_and_use(at, extract(400, 7), "second.csv")
    uid = at.session_state[state.K_COHORT].hash[:16]
    at = open_page("pages/data.py")  # a new session on the demo: the upload is listed, reopened by a click
    at.radio(key="data_source").set_value("Upload a file").run()
    box = at.selectbox(key="kept_pick")
    assert "second (second.csv, 400 rows)" in box.options  # (options as shown)
    at = box.set_value(uid).run()
    at = at.button(key="kept_open").click().run()
    assert at.session_state[state.K_COHORT].hash[:16] == uid and at.query_params["cohort"] in (uid, [uid])
    at = at.button(key="kept_delete").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not list((small_home / "data" / "uploads").glob(f"*/{uid}"))
    assert "cohort" not in at.query_params  # a reload no longer names a deleted upload
    actions = [(r["action"], json.loads(r["details"]).get("upload")) for r in open_log().rows()]
    assert ("cohort opened", uid) in actions and ("cohort deleted", uid) in actions
