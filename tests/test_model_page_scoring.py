"""Model page (AppTest): score an uploaded raw file with a model trained on a raw CSV; import a model file."""

from __future__ import annotations

import numpy as np
import pytest

from apptest_support import demo_home, open_page
from test_contract import raw_frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 1000)


@pytest.fixture(scope="module")
def trained(small_home):
    from risklens.cohorts import cohort_from_frame
    from risklens.modeling import save_model, train_model
    from risklens.ui import state

    cohort = cohort_from_frame(raw_frame(800, 0), "died", id_col="mrn", name="raw")
    model = train_model(cohort, "xgboost", params={"n_estimators": 30})
    path = save_model(model, small_home / "models" / "raw-xgb")
    session = {state.K_COHORT: cohort, state.K_MODELS: {cohort.hash: [str(path)]}}
    return cohort, model, session


def test_uploaded_extract_is_scored_as_a_worklist(trained):
    cohort, model, session = trained
    at = open_page("pages/model.py", session=session)
    extract = raw_frame(150, 1, unseen=True).drop(columns=["died"])
    at.file_uploader(key="score_upload").set_value(("extract.csv", extract.to_csv(index=False).encode(), "text/csv"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tables = [d.value for d in at.dataframe if "risk" in d.value.columns and "alert" in d.value.columns]
    assert len(tables) == 1
    table = tables[0].set_index("id")
    assert len(table) == 150 and table["risk"].is_monotonic_decreasing
    expected = model.predict_proba(model.prepare(extract))
    np.testing.assert_allclose(table.loc[[f"P1-{i:05d}" for i in range(150)], "risk"], expected, atol=1e-7)
    assert any("'ward': 7 row(s)" in str(w.value).replace("\\", "") for w in at.warning)


def test_uploaded_model_file_is_imported_and_selected(trained, tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer

    cohort, _, session = trained
    pipe = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=500)).fit(cohort.X, cohort.y)
    at = open_page("pages/model.py", session=session)
    at.file_uploader(key="import_upload").set_value(("outside.skops", sio.dumps(pipe), "application/zip"))
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    pick = at.selectbox(key="model_pick")
    assert pick.format_func(pick.value).startswith("scikit-learn model (imported)")  # the new model is selected
    assert any("Imported a scikit-learn model" in str(s.value) for s in at.success)


def test_cohort_explanations_show_one_bar_per_original_column(trained):
    cohort, model, session = trained
    at = open_page("pages/explanations.py", session=session)
    assert not at.exception and not at.error, [e.value for e in at.error]
    bars = [c for c in at.get("plotly_chart") if "Global importance" in c.proto.spec]
    assert bars and '"Ward"' in bars[0].proto.spec and "ward_medical" not in bars[0].proto.spec
    at = at.toggle(key="expl_grouped").set_value(False).run()
    bars = [c for c in at.get("plotly_chart") if "Global importance" in c.proto.spec]
    assert '"Ward"' not in bars[0].proto.spec  # one bar per category column again
