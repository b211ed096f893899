"""The protocol in worker processes gives exactly the numbers it gives in one process, and the pieces that made it
faster (vectorised agreement metrics, the pipeline's arithmetic without input checks) change no number."""

from __future__ import annotations

import json

import numpy as np
import pytest

from risklens.cohorts import load_builtin
from risklens.safety import atomic_write_text
from risklens.study import ProtocolSettings, SeedPlan, run_protocol
from risklens.study.workers import MIN_WORK, LocalWorkers, choose_workers, map_units

SETTINGS = ProtocolSettings(runs=2, max_patients=12, max_cohort=60, stability_patients=4, stability_repeats=2,
                            noise_seeds=2, faithfulness_patients=10, trust_patients=4, background_rows=40,
                            budgets={"lime": {"num_samples": 200}, "lime-local": {"num_samples": 200}},
                            model_params={"xgboost": {"n_estimators": 20}, "mlp": {"max_iter": 5}})


def numbers(rep) -> str:
    """The report's JSON without the wall-clock fields (timings, creation time)."""
    d = rep.to_dict()
    for k in ("timings", "total_seconds", "created"):
        d["provenance"].pop(k)
    return json.dumps(d, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def ward():
    return load_builtin("ward", n=1500, seed=SeedPlan(0).simulator)


def test_two_workers_give_the_serial_report_byte_for_byte(ward):
    here = run_protocol(ward, SETTINGS, workers=0)
    there = run_protocol(ward, SETTINGS, workers=2)
    assert numbers(here) == numbers(there)
    assert here.concept_table1 and here.noise_floor and here.lime_stability  # the handed-out stages ran
    t = there.provenance.timings
    assert {"train", "explain", "explain mlp/lime", "concepts", "noise floor and stability"} <= set(t)


def test_choose_workers():
    assert choose_workers(0, 10**6, 5) == 0 and choose_workers(1, 10**6, 5) == 0 and choose_workers(3, 10, 1) == 3
    assert choose_workers("auto", MIN_WORK - 1, 1) == 0  # too little work to repay starting processes
    big = choose_workers("auto", MIN_WORK, 1)
    assert big == (2 if (__import__("os").cpu_count() or 1) >= 2 else 0)
    with pytest.raises(ValueError):
        choose_workers(-1, 10, 1)


def test_units_come_back_in_order_whoever_runs_them():
    with LocalWorkers(2) as pool:
        got = map_units(pool, divmod, [(i, 7) for i in range(40)])
    assert [r for r, _ in got] == [divmod(i, 7) for i in range(40)]
    assert [r for r, _ in map_units(None, divmod, [(9, 4)])] == [(2, 1)]


def test_workers_do_not_run_the_main_script_again(tmp_path, monkeypatch):
    """Streamlit runs app.py as __main__: a spawned worker must not run it (nor an unguarded script) again."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "main_script.py"
    atomic_write_text(script, f"open({str(marker)!r}, 'a').write('ran\\n')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    with LocalWorkers(2) as pool:
        got = map_units(pool, divmod, [(i, 3) for i in range(6)])
        assert sys.modules["__main__"] is fake  # put back once the workers started
    assert [r for r, _ in got] == [divmod(i, 3) for i in range(6)]
    assert not marker.exists()


def test_vectorised_agreement_metrics_match_the_set_definitions():
    from risklens.metrics import consistency as C

    rng = np.random.default_rng(3)
    A = np.round(rng.normal(size=(40, 9)), 1)
    B = A + np.round(rng.normal(size=A.shape), 1) * (rng.random(A.shape) > 0.5)
    for k in (1, 3, 5, 9):
        ta, tb = C.top_k(A, k), C.top_k(B, k)
        for i in range(len(A)):
            shared = np.intersect1d(ta[i], tb[i])
            assert C.feature_agreement(A[i], B[i], k) == len(shared) / k
            same = np.sum(np.sign(A[i, shared]) == np.sign(B[i, shared]))
            assert C.sign_agreement(A[i], B[i], k) == same / k
            feats = np.union1d(ta[i], tb[i])
            x, y = np.abs(A[i, feats]), np.abs(B[i, feats])
            iu = np.triu_indices(len(feats), 1)
            alike = np.sign(x[:, None] - x[None, :])[iu] == np.sign(y[:, None] - y[None, :])[iu]
            pra = C.pairwise_rank_agreement(A[i], B[i], k)
            assert (np.isnan(pra) and len(feats) < 2) or pra == float(np.mean(alike))
    assert np.isnan(C.sign_agreement_shared(np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), 1))


def test_pipeline_arithmetic_equals_the_fitted_steps(ward):
    from risklens.modeling import train_model

    X = ward.X.to_numpy()
    X = np.vstack([X, X * 1.5])
    assert np.isnan(X).any()  # the imputer has work to do
    for family in ("l1-logistic", "mlp"):
        model = train_model(ward, family, seed=1, params={"max_iter": 5} if family == "mlp" else None)
        steps = model.estimator.named_steps
        np.testing.assert_array_equal(model.preprocess(X), steps["scale"].transform(steps["impute"].transform(X)))
    xgb_model = train_model(ward, "xgboost", seed=1, params={"n_estimators": 10})
    import xgboost as xgb

    np.testing.assert_array_equal(
        xgb_model.predict_margin(X),
        xgb_model.booster.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).astype(np.float64))


def test_workers_start_with_one_thread_and_leave_this_environment_alone(monkeypatch):
    """Each worker process starts with one OpenMP / BLAS / numba thread (OMP_THREAD_LIMIT caps XGBoost's n_jobs);
    this process's environment is the same afterwards, a variable it had and one it had not."""
    import os

    from risklens.study.workers import WORKER_ENV

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    with LocalWorkers(2) as pool:  # submitted futures run in the workers (map_units may run some here)
        got = [pool.submit(os.getenv, name).result()[0] for name in WORKER_ENV for _ in range(3)]
    assert got == [WORKER_ENV[name] for name in WORKER_ENV for _ in range(3)]
    assert os.environ["OPENBLAS_NUM_THREADS"] == "7" and "OMP_THREAD_LIMIT" not in os.environ


def test_xgboost_trees_do_not_depend_on_the_thread_count(ward):
    """Why a worker may train XGBoost's n_jobs=2 model on one thread: the trees are the same bytes."""
    from risklens.modeling.split import split_cohort
    from risklens.modeling.train import _fit, build_estimator

    train, _ = split_cohort(ward, 0.3, 3)
    X, y = ward.X.to_numpy(dtype=np.float64)[train], np.asarray(ward.y)[train]
    trees = []
    for threads in (1, 2):
        est = build_estimator("xgboost", seed=5, params={"n_jobs": threads, "n_estimators": 40})
        _fit("xgboost", est, X, y)
        trees.append(bytes(est.get_booster().save_raw("ubj")))
    assert trees[0] == trees[1]
