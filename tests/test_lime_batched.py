"""The batched LIME follows the lime package: same statistics, same sampling distribution, same fit,
and agrees with the package at least as well as the package agrees with itself across seeds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import ks_2samp

from risklens.explain import explain
from risklens.explain.agreement import pairwise_agreement
from risklens.explain.lime_batched import QuartileStats, batched_ridge, patient_generator, sample_neighbourhood
from risklens.explain.lime_ref import reference_explainer
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def imputed_background():
    X, _ = cohort()
    B = X.to_numpy()
    return np.where(np.isnan(B), np.nanmedian(B, axis=0), B)


def test_quartile_statistics_equal_lime_discretizer():
    B = imputed_background()
    ours = QuartileStats.fit(B)
    ref = reference_explainer(B, [f"f{j}" for j in range(B.shape[1])], 1.0, 0)
    d = ref.discretizer
    for j in range(B.shape[1]):
        nb = len(ours.quartiles[j]) + 1
        np.testing.assert_allclose(ours.means[j, :nb], d.means[j])
        np.testing.assert_allclose(ours.stds[j, :nb], d.stds[j])
        np.testing.assert_allclose(ours.mins[j, :nb], d.mins[j])
        np.testing.assert_allclose(ours.maxs[j, :nb], d.maxs[j])
        freqs = np.diff(np.concatenate([[0.0], ours.cum_freq[j, :nb]]))
        present = freqs > 0
        np.testing.assert_array_equal(np.flatnonzero(present), np.asarray(ref.feature_values[j], dtype=int))
        np.testing.assert_allclose(freqs[present], ref.feature_frequencies[j])
    np.testing.assert_array_equal(ours.discretize(B[:50]), d.discretize(B[:50]))


def test_batched_ridge_equals_sklearn_weighted_ridge():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(1)
    Z = (rng.random((3, 400, 6)) < 0.6).astype(float)
    y = rng.random((3, 400))
    w = rng.random((3, 400))
    coef, intercept = batched_ridge(Z, y, w, alpha=1.0)
    for i in range(3):
        r = Ridge(alpha=1.0, fit_intercept=True).fit(Z[i], y[i], sample_weight=w[i])
        np.testing.assert_allclose(coef[i], r.coef_, atol=1e-10)
        np.testing.assert_allclose(intercept[i], r.intercept_, atol=1e-10)


def test_neighbourhood_has_lime_sampling_distribution():
    """Values and 'same bin' indicators per feature match lime's own __data_inverse (KS / proportions)."""
    B = imputed_background()
    rng = np.random.default_rng(0)  # plus a column whose lowest quartile bin holds one value (3): lime's quirk
    B = np.column_stack([B, np.where(rng.random(len(B)) < 0.4, 3.0, 3.0 + rng.gamma(2.0, 1.0, len(B)))])
    row = B[7]
    n = 4000
    ref = reference_explainer(B, [f"f{j}" for j in range(B.shape[1])], 1.0, 5)
    ref_binary, ref_values = ref._LimeTabularExplainer__data_inverse(row, n)
    stats = QuartileStats.fit(B)
    binary, values = sample_neighbourhood(stats, row[None], stats.discretize(row[None]), [patient_generator(5, "x")], n)
    assert binary[0, 0].all() and np.array_equal(values[0, 0], row)  # first sample is the patient
    np.testing.assert_array_equal(ref_values[0], row)
    for j in range(B.shape[1]):
        p_ours, p_ref = binary[0, 1:, j].mean(), ref_binary[1:, j].mean()
        assert abs(p_ours - p_ref) < 4 * np.sqrt(p_ref * (1 - p_ref) / n) + 1e-3, j
        assert ks_2samp(values[0, 1:, j], ref_values[1:, j]).pvalue > 1e-4, j
    ref_zero, our_zero = np.isclose(ref_values[1:, -1], 0).mean(), np.isclose(values[0, 1:, -1], 0).mean()
    assert ref_zero > 0.3  # samples in the single-valued bin come out as 0 in lime ...
    assert our_zero == pytest.approx(ref_zero, abs=0.04)  # ... and here


def test_same_seed_same_numbers_different_seed_different_and_batch_independent():
    X, _ = cohort()
    m = model("xgboost")
    rows = X.iloc[:8]
    a = explain(m, rows, "lime", seed=1, background=X, num_samples=300)
    b = explain(m, rows, "lime", seed=1, background=X, num_samples=300)
    c = explain(m, rows, "lime", seed=2, background=X, num_samples=300)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    alone = explain(m, rows.iloc[[5]], "lime", seed=1, background=X, num_samples=300)
    np.testing.assert_array_equal(alone.values[0], a.values[5])  # a patient's numbers ignore its batch mates
    assert a.output == "probability"
    assert a.params["num_samples"] == 300 and a.params["seed"] == 1 and "median" in a.params["nan_policy"]
    np.testing.assert_allclose(a.params["kernel_width"], 0.75 * np.sqrt(X.shape[1]))
    assert np.isnan(a.data).sum() == rows.isna().to_numpy().sum()  # the data keep their missing values


def _reference(m, rows, X, seed, variant):
    from risklens.explain.lime_ref import explain_lime_local_ref

    if variant == "lime-local":
        return explain_lime_local_ref(m, rows, seed=seed, background=X, num_samples=600).values
    return explain(m, rows, "lime-ref", seed=seed, background=X, num_samples=600).values


@pytest.mark.parametrize("variant", ["lime", "lime-local"])
@pytest.mark.parametrize("family", ["xgboost", "mlp", "l1-logistic"])
def test_batched_lime_agrees_with_lime_package_as_well_as_it_agrees_with_itself(family, variant):
    """Both variants: the quartile default and the continuous one sampled around the patient."""
    X, _ = cohort()
    m = model(family)
    rows = X.iloc[100:120]
    seeds = (0, 1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [explain(m, rows, variant, seed=s, background=X, num_samples=600).values for s in seeds]
        ref = [_reference(m, rows, X, s, variant) for s in seeds]
    cross = pairwise_agreement(ours, ref)
    self_ref = pairwise_agreement(ref)
    for key in ("spearman", "top5_overlap", "sign_agreement"):
        assert cross[key] >= self_ref[key] - 0.05, (key, cross, self_ref)
    assert cross["spearman"] > 0.5 and cross["top5_overlap"] > 0.6


def test_local_variant_samples_around_the_patient_with_the_background_spread():
    from risklens.explain.lime_batched import local_weights

    X, _ = cohort()
    m = model("l1-logistic")
    B = imputed_background()
    row = B[11:12]
    calls = []

    class Spy:
        def predict_proba(self, A):
            calls.append(A.copy())
            return m.predict_proba(A)

    local_weights(Spy(), row, np.array(["p"]), B, num_samples=3000, kernel_width=3.0, seed=0)
    S = calls[0]
    np.testing.assert_array_equal(S[0], row[0])  # the first sample is the patient
    assert (np.abs(S[1:].mean(0) - row[0]) < 4 * B.std(0) / np.sqrt(3000)).all()
    np.testing.assert_allclose(S[1:].std(0), B.std(0), rtol=0.06)


def test_fused_kernel_equals_numpy_path():
    from scipy.special import ndtri

    from risklens.explain._lime_kernel import fill, fill_numpy, ndtri_fast
    from risklens.explain.lime_batched import _sampling_tables

    B = imputed_background()
    stats = QuartileStats.fit(B)
    tables = _sampling_tables(stats)
    rng = np.random.default_rng(3)
    u_bin, u_val = rng.random((500, B.shape[1])), rng.random((500, B.shape[1]))
    inst = stats.discretize(B[:1])[0].astype(np.int64)
    out = [(np.empty(u_bin.shape, bool), np.empty(u_bin.shape)) for _ in range(2)]
    fill(u_bin, u_val, stats.cum_freq, *tables, inst, *out[0])
    fill_numpy(u_bin, u_val, stats.cum_freq, *tables, inst, *out[1])
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-8, atol=1e-9)
    p = np.concatenate([np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 199), 1 - np.logspace(-16, -2, 50)])
    np.testing.assert_allclose([ndtri_fast(x) for x in p], ndtri(p), rtol=2e-9, atol=1e-12)


def test_vectorised_kernel_equals_the_scalar_kernel_bit_for_bit():
    """The kernel the batched LIME runs (central branch vectorised, tails after) gives exactly the values of the
    plain per-element kernel: the same bins, the same floating point bits, tails and degenerate bins included."""
    from risklens.explain._lime_kernel import fill, fill_scalar
    from risklens.explain.lime_batched import _sampling_tables

    rng = np.random.default_rng(11)
    B = imputed_background()
    B[:, 0] = 1.0  # a constant feature: every bin degenerate
    B[:, 1] = np.round(B[:, 1])  # few distinct values: some bins with min == max
    stats = QuartileStats.fit(B)
    tables = _sampling_tables(stats)
    u_bin, u_val = rng.random((3000, B.shape[1])), rng.random((3000, B.shape[1]))
    u_val[:50] = np.logspace(-300, -1, 50)[:, None]  # deep in both tails of the inverse CDF
    u_val[50:100] = 1 - np.logspace(-16, -2, 50)[:, None]
    inst = stats.discretize(B[:1])[0].astype(np.int64)
    out = [(np.empty(u_bin.shape, bool), np.empty(u_bin.shape)) for _ in range(2)]
    fill(u_bin, u_val, stats.cum_freq, *tables, inst, *out[0])
    fill_scalar(u_bin, u_val, stats.cum_freq, *tables, inst, *out[1])
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert np.array_equal(out[0][1].view(np.int64), out[1][1].view(np.int64))
    tails = (u_val < 0.02425) | (u_val > 1 - 0.02425)
    assert tails.sum() > 1000 and (~tails).sum() > 1000  # both branches were exercised


def test_quartile_stats_reused_for_the_same_background_only():
    """QuartileStats.of fits a background once: the same values (even in another array) give the same fitted
    object with fit's numbers; other values give their own."""
    B = np.random.default_rng(3).normal(size=(400, 5))
    a = QuartileStats.of(B)
    fresh = QuartileStats.fit(B)
    for x, y in zip(a.quartiles, fresh.quartiles):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.cum_freq, fresh.cum_freq)
    np.testing.assert_array_equal(a.means, fresh.means)
    assert QuartileStats.of(B.copy()) is a
    other = B.copy()
    other[0, 0] += 1.0
    assert QuartileStats.of(other) is not a
