"""One check-suite over every registered explanation method (in the spirit of scikit-learn's
``parametrize_with_checks``), and a throw-away method that works everywhere through its registration alone.

Every (method, family) pair of the registry is checked for: the output space it states, additivity where its spec
claims it, seed determinism, batch independence where it claims it, the same numbers on a Dask cluster as in this
process (through the executor the protocol uses), and an exact round trip through the explanation store. A new
method is checked as soon as it is registered; the throw-away method below is registered in a fixture only and
shown working through the CLI, the ``--scheduler`` path, the protocol and the Patients page.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from risklens.explain import (Explanation, ExplanationStore, MethodSpec, Param, all_methods, cached_explain, explain,
                              method, prepare, registered)
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")

TRAINED = ("xgboost", "l1-logistic", "mlp")  # the families test_explain_fixtures builds


def rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(12 rows to explain, 60 other rows as the background)."""
    X, _ = cohort()
    return X.iloc[:12], X.iloc[200:260]


def call(spec: MethodSpec, family: str, X: pd.DataFrame, seed: int = 0):
    """The checked call of ``spec`` on a ``family`` model with the protocol's budget and a fixed background."""
    return prepare(model(family), X, spec, seed=seed, background=rows()[1], **spec.budget_for(family))


def model_output(m, X: pd.DataFrame, output: str) -> np.ndarray:
    return m.predict_margin(X) if output == "log-odds" else m.predict_proba(X)


# ---- the checks: each takes (spec, family, ctx) and fails with a sentence ----------------------------------------
def check_output_space_stated(spec, family, ctx):
    X = rows()[0]
    e = call(spec, family, X).run()
    assert isinstance(e, Explanation) and e.method == spec.name
    assert e.output == spec.output, f"{spec.name} states {spec.output} but returned {e.output}"
    assert e.shape == (len(X), len(model(family).feature_names)) and list(e.ids) == list(X.index)
    assert np.isfinite(e.values).all() and np.isfinite(e.base_values).all()


def check_additivity(spec, family, ctx):
    X = rows()[0]
    e = call(spec, family, X).run()
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, model_output(model(family), X, spec.output),
                               rtol=0, atol=1e-6, err_msg=f"{spec.name} claims additivity")


def check_seed_determinism(spec, family, ctx):
    X = rows()[0]
    a, b = call(spec, family, X, seed=3).run(), call(spec, family, X, seed=3).run()
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.base_values, b.base_values)
    other = call(spec, family, X, seed=4).run()
    if spec.deterministic_for(family):
        np.testing.assert_array_equal(a.values, other.values)
    else:  # the seed is really used: a stochastic method gives other numbers for another seed
        assert not np.array_equal(a.values, other.values), f"{spec.name} claims to be stochastic on {family}"


def check_batch_independence(spec, family, ctx):
    X = rows()[0]
    whole = call(spec, family, X, seed=1).run()
    parts = [call(spec, family, X.iloc[s], seed=1).run() for s in (slice(0, 5), slice(5, 12))]
    np.testing.assert_allclose(np.vstack([p.values for p in parts]), whole.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([p.base_values for p in parts]), whole.base_values, rtol=0, atol=1e-12)


def check_in_process_equals_dask(spec, family, ctx):
    from risklens.scale.protocol import DaskExecutor

    X = rows()[0]
    c = call(spec, family, X, seed=2)
    here = c.run()
    there = DaskExecutor(ctx["client"], min_rows=3).explain(c)
    assert here.metadata() == there.metadata() and list(here.ids) == list(there.ids)
    np.testing.assert_allclose(there.values, here.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(there.base_values, here.base_values, rtol=0, atol=1e-12)


def check_store_round_trip(spec, family, ctx):
    store = ExplanationStore(ctx["tmp"] / f"{spec.name}-{family}")
    X, bg = rows()
    kw = dict(seed=5, store=store, background=bg, **spec.budget_for(family))
    first = cached_explain(model(family), X, spec.name, **kw)
    again = cached_explain(model(family), X, spec.name, **kw)  # read back from disk
    assert len(store.entries()) == 1
    assert first.allclose(again) and again.metadata() == first.metadata()
    assert (first.stderr is None) == (again.stderr is None)
    if first.stderr is not None:
        np.testing.assert_array_equal(np.isnan(first.stderr), np.isnan(again.stderr))


def checks_for(spec: MethodSpec) -> list:
    """The checks that apply to ``spec``: additivity and batch independence only where its spec claims them."""
    out = [check_output_space_stated, check_seed_determinism, check_in_process_equals_dask, check_store_round_trip]
    if spec.additive:
        out.append(check_additivity)
    if spec.batch_independent:
        out.append(check_batch_independence)
    return out


def registered_checks():
    return [pytest.param(name, fam, chk, id=f"{name}-{fam}-{chk.__name__[6:]}")
            for name in all_methods() for fam in method(name).families if fam in TRAINED
            for chk in checks_for(method(name))]


@pytest.fixture(scope="module")
def client():
    from risklens.scale.cluster import connect

    with connect("local:1") as c:
        yield c


@pytest.fixture(scope="module")
def ctx(client, tmp_path_factory):
    return {"client": client, "tmp": tmp_path_factory.mktemp("checks")}


@pytest.mark.parametrize("name, family, check", registered_checks())
def test_registered_method(name, family, check, ctx):
    check(method(name), family, ctx)


def test_every_method_states_its_facts():
    """Nothing about a method is decided outside its spec: each one says all of it."""
    for name in all_methods():
        s = method(name)
        assert s.label and s.short and s.families and s.output in ("log-odds", "probability")
        assert s.patients in ("first", "second", "none") and s.cost in ("fast", "slow")
        for family in s.families:
            assert s.rows_for(family) is None if s.is_fast(family) else s.rows_for(family) >= 1
            s.check_params(s.budget_for(family))  # the protocol's budget is a valid call


def test_undeclared_or_bad_parameters_are_clear_errors():
    X, bg = rows()
    with pytest.raises(Exception, match=r"'lime' does not take the option\(s\) permutations; it takes: num_samples"):
        explain(model("xgboost"), X, "lime", background=bg, permutations=3)
    with pytest.raises(Exception, match="num_samples must be at least 2"):
        explain(model("xgboost"), X, "lime", background=bg, num_samples=1)
    with pytest.raises(Exception, match="implementation must be one of stratified, batched, shap"):
        explain(model("mlp"), X, "shap", background=bg, implementation="fast")
    with pytest.raises(Exception, match="must be a whole number"):
        explain(model("mlp"), X, "shap", background=bg, min_rounds=2.5)


def test_one_background_rule():
    """A method gets reference rows exactly where its spec says it needs them; exact ones never see them."""
    X, bg = rows()
    assert prepare(model("xgboost"), X, "shap", background=bg).background is None
    assert prepare(model("mlp"), X, "shap", background=bg).background is bg
    lazy = prepare(model("l1-logistic"), X, "coef", background=lambda: 1 / 0)  # never called: coef is exact
    assert lazy.background is None
    own = prepare(model("mlp"), cohort()[0].iloc[:30], "shap")  # no background given: the rows explained
    assert own.background is own.X
    with pytest.raises(Exception, match="background"):
        prepare(model("xgboost"), X.iloc[:3], "lime")


# ---- a throw-away method, registered for one test module only --------------------------------------------------
@pytest.fixture(scope="module")
def occlusion():
    """Occlusion against the background's per-feature medians (or means): a deterministic method that needs a
    background, defined here and registered for this module only (nothing else in the code base names it)."""
    from risklens.families import ALL_FAMILIES

    def explain_occlusion(m, X, *, seed=0, background=None, reference=None):
        from risklens.explain._common import array_hash, background_matrix, check_frame, model_fingerprint

        M, ids = check_frame(m, X)
        B = background_matrix(m, X, background)
        fill = np.nanmean(B, axis=0) if reference == "mean" else np.nanmedian(B, axis=0)
        margin = m.predict_margin(M)
        values = np.empty_like(M)
        for j in range(M.shape[1]):
            Mj = M.copy()
            Mj[:, j] = fill[j]
            values[:, j] = margin - m.predict_margin(Mj)
        return Explanation(values=values, base_values=margin - values.sum(1), data=M, feature_names=m.feature_names,
                           method="occlusion", model_id=model_fingerprint(m), output="log-odds", ids=ids,
                           params={"seed": int(seed), "reference": reference or "median",
                                   "background_hash": array_hash(B)})

    spec = MethodSpec("occlusion", "Occlusion (test)", ALL_FAMILIES, "log-odds", False, explain_occlusion,
                      "change of the margin when one feature is set to the background's median", short="OCC",
                      params=(Param("reference", str, "median", choices=("median", "mean")),), background=True,
                      additive=True, patients="first", patients_rank=1)
    with registered(spec):
        yield spec
    assert "occlusion" not in all_methods()


def test_throwaway_method_passes_the_checks(occlusion, ctx):
    for family in TRAINED:
        for check in checks_for(occlusion):
            check(occlusion, family, ctx)


def test_throwaway_method_through_the_cli_and_the_scheduler(occlusion, client, tmp_path, capsys):
    from risklens.cli import main
    from risklens.modeling import save_model
    from risklens.scale import dataset

    X, _ = cohort()
    save_model(model("xgboost"), tmp_path / "xgb")
    X.iloc[:300].reset_index().to_csv(tmp_path / "rows.csv", index=False)
    args = ["explain", "--model", str(tmp_path / "xgb"), "--data", str(tmp_path / "rows.csv"), "--method", "occlusion",
            "--rows", "40"]
    assert main([*args, "--out", str(tmp_path / "here.csv")]) == 0, capsys.readouterr().err
    here = pd.read_csv(tmp_path / "here.csv")
    ref = explain(model("xgboost"), X.iloc[:40], "occlusion", background=X.iloc[:300])  # the whole file
    assert list(here["id"]) == list(X.index[:40]) and (here["method"] == "occlusion").all()
    np.testing.assert_allclose(here[ref.feature_names].to_numpy(), ref.values, rtol=0, atol=1e-9)
    assert main([*args, "--partition-rows", "15", "--scheduler", client.scheduler.address,
                 "--out", str(tmp_path / "there")]) == 0, capsys.readouterr().err
    there = dataset.read_dataset(tmp_path / "there")
    assert len(dataset.part_paths(tmp_path / "there")) == 3
    np.testing.assert_allclose(there[ref.feature_names].to_numpy(), here[ref.feature_names].to_numpy(), rtol=0,
                               atol=1e-12)
    assert main([*args, "--samples", "50", "--out", str(tmp_path / "bad.csv")]) == 2
    assert "'occlusion' does not take the option(s) samples" in capsys.readouterr().err


def test_throwaway_method_through_the_protocol_in_process_and_on_dask(occlusion, client):
    from risklens.cohorts import load_builtin
    from risklens.explain.registry import _REGISTRY
    from risklens.scale.protocol import DaskExecutor
    from risklens.study import ProtocolSettings, run_protocol

    ward = load_builtin("ward", n=1500, seed=3)
    settings = ProtocolSettings(families=("xgboost",), methods=("occlusion", "xgboost/shap"), runs=2, seed=0,
                                max_patients=40, max_cohort=300, faithfulness_patients=20, background_rows=50)
    before, registry = settings.to_json(), dict(_REGISTRY)
    here = run_protocol(ward, settings).to_dict()
    there = run_protocol(ward, settings, executor=DaskExecutor(client, min_rows=20)).to_dict()
    assert settings.to_json() == before and _REGISTRY == registry  # nothing of the caller's, nothing global
    methods = {e["explainer"]["method"] for e in here["table1"]}
    assert methods == {"occlusion", "shap"}
    occ = next(r for r in here["explained"] if r["explainer"]["method"] == "occlusion")
    assert occ["deterministic"] is True and occ["capped"] is False
    for rep in (here, there):
        rep.pop("provenance")
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)


def test_throwaway_method_on_the_patients_page(occlusion, tmp_path_factory):
    """The Patients page shows the registered method first (its spec's role) beside LIME, without a code change."""
    from apptest_support import demo_home, open_page

    home = demo_home(tmp_path_factory, 1500)
    next(home)
    try:
        at = open_page("pages/patients.py")
        badges = [str(m.value) for m in at.markdown if " vs " in str(m.value)]
        assert any("Occlusion (test) vs LIME" in b for b in badges), badges
        table = at.dataframe[1].value if len(at.dataframe) > 1 else None
        assert table is not None and "rank by LIME" in table.columns
    finally:
        next(home, None)


def test_register_unregister_and_a_replaced_method_returns():
    from risklens.explain import register, unregister

    shap = method("shap")
    with registered(MethodSpec("shap", "SHAP (stand-in)", ("xgboost",), "log-odds", False, shap.explain)):
        assert method("shap").label == "SHAP (stand-in)" and "shap" not in method_names_for("mlp")
    assert method("shap") is shap
    spare = register(MethodSpec("spare", "Spare", ("xgboost",), "log-odds", False, shap.explain))
    assert unregister("spare") is spare and "spare" not in all_methods()
    with pytest.raises(Exception, match="unknown explanation method 'spare'"):
        unregister("spare")


def method_names_for(family: str) -> list[str]:
    from risklens.explain import methods_for

    return methods_for(family)
