"""Plot builders return figures whose data and labels are what the inputs say."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from risklens import plots
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

D = FeatureDictionary([
    FeatureInfo("rr_max", "Respiratory rate (max)", unit="/min", normal_low=12, normal_high=20, kind="vital sign"),
    FeatureInfo("spo2_min", "SpO2 (min)", unit="%", normal_low=94, normal_high=100, kind="vital sign"),
    FeatureInfo("age", "Age", unit="years", kind="demographic"),
])
NAMES = ["rr_max", "spo2_min", "age"]


def _title(fig):
    return fig.layout.title.text


def test_confusion_counts_match_the_threshold():
    y = np.array([1, 1, 0, 0, 0, 1])
    p = np.array([0.9, 0.2, 0.8, 0.1, 0.05, 0.6])
    fig = plots.confusion_figure(y, p, 0.5)
    assert [list(r) for r in fig.data[0].z] == [[2, 1], [1, 2]]  # [[TP, FN], [FP, TN]]
    assert "threshold 50%" in _title(fig)  # written with its significant digits (0.035% stays 0.035%)


def test_roc_legend_reports_auroc_and_axes_are_labelled():
    y = np.array([0, 0, 1, 1])
    fig = plots.roc_figure(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert "AUROC 1.000" in fig.data[1].name
    assert "false positive rate" in fig.layout.xaxis.title.text
    assert "sensitivity" in fig.layout.yaxis.title.text


def test_calibration_of_a_perfect_model_lies_on_the_diagonal():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    y = (rng.uniform(0, 1, 20000) < p).astype(int)
    fig = plots.calibration_figure(y, p, bins=5)
    assert np.allclose(fig.data[1].x, fig.data[1].y, atol=3.0)  # percent points
    assert fig.layout.xaxis.title.text == "mean predicted risk (%)"


def _expl(values, data, base=0.0, output="log-odds"):
    from risklens.explain.base import Explanation

    values = np.atleast_2d(np.asarray(values, dtype=float))
    return Explanation(values=values, base_values=np.full(len(values), base), data=np.atleast_2d(data),
                       feature_names=NAMES, method="shap", model_id="m", output=output)


def test_importance_bar_uses_dictionary_labels_and_output_space():
    fig = plots.importance_bar(_expl([[0.1, 0.5, -0.3], [-0.1, -0.5, 0.3]], np.zeros((2, 3))), D, top=2)
    assert list(fig.data[0].y) == ["Age", "SpO2 (min)"]  # largest at the top (last in plotly order)
    assert np.allclose(fig.data[0].x, [0.3, 0.5])
    assert "log-odds" in fig.layout.xaxis.title.text


def test_patient_bar_colours_by_sign_and_shows_values():
    fig = plots.patient_bar(_expl([0.4, -0.2, 0.05], [30, 97, 70], output="probability"), D, top=3)
    labels = list(fig.data[0].y)
    assert labels[-1] == "Respiratory rate (max) = 30 /min"
    assert list(fig.data[0].marker.color)[-1] == plots.RAISE
    assert list(fig.data[0].marker.color)[-2] == plots.LOWER
    assert "probability" in fig.layout.xaxis.title.text


def test_waterfall_bars_add_up_to_risk_minus_base_risk():
    from risklens.patients.waterfall import sigmoid

    rng = np.random.default_rng(3)
    names = [f"f{i}" for i in range(30)]
    from risklens.explain.base import Explanation

    row = Explanation(values=rng.normal(0, 0.6, (1, 30)), base_values=[-2.2], data=rng.normal(size=(1, 30)),
                      feature_names=names, method="shap", model_id="m", output="log-odds")
    fig = plots.waterfall_figure(row, None, top=8)
    bars = np.asarray(fig.data[0].x)
    risk, base = sigmoid(-2.2 + row.values.sum()), sigmoid(-2.2)
    assert len(bars) == 9  # 8 features + "22 other features"
    assert abs(bars.sum() - 100 * (risk - base)) < 1e-9
    assert abs(fig.data[0].base[0] + bars[0] - 100 * risk) < 1e-9  # the last bar (drawn first) ends at the risk
    assert fig.layout.xaxis.title.text == "risk (%)"


def test_vitals_are_drawn_in_real_units_against_the_normal_range():
    fig = plots.vitals_figure(_expl([0.4, -0.2, 0.05], [16, 88, 70]), D)
    assert [tr.x[0] for tr in fig.data] == [16, 88]  # real values, not positions; Age has no range
    names = [(a.text, a.y) for a in fig.layout.annotations]  # each panel named above its band, top down
    assert [n for n, _ in names] == ["Respiratory rate (max) (/min)", "SpO2 (min) (%)"]
    assert names[0][1] == fig.layout.yaxis.domain[1] and names[1][1] == fig.layout.yaxis2.domain[1]
    band = fig.layout.shapes[1]
    assert (band.x0, band.x1, band.xref) == (94, 100, "x2")
    assert plots.vitals_figure(_expl([0.0, 0.0, 1.0], [np.nan, np.nan, 70]), D) is None  # nothing to draw


def test_rank_comparison_marks_sign_disagreement():
    fig = plots.rank_comparison_figure(_expl([0.3, -0.2, 0.1], [0, 0, 0]), _expl([0.3, 0.2, 0.0], [0, 0, 0]),
                                       "SHAP", "LIME", D, top=3)
    colours = {tr.text[0]: tr.line.color for tr in fig.data}
    assert colours["Respiratory rate (max)"] == plots.ACCENT
    assert colours["SpO2 (min)"] == plots.RAISE
    assert list(fig.data[0].y) == [1, 1]


def test_beeswarm_and_dependence_shapes():
    rng = np.random.default_rng(1)
    vals, data = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    expl = _expl(vals, data)
    fig = plots.beeswarm_figure(expl, D, top=2, max_points=20)
    assert len(fig.data[0].x) == 40
    dep = plots.dependence_figure(expl, "rr_max", "age", D)
    assert dep.layout.xaxis.title.text == "Respiratory rate (max) (/min)"
    assert np.allclose(dep.data[0].y, vals[:, 0])


def test_pdp_ice_figure_draws_the_average_over_the_individual_curves():
    curves = {"feature": "rr_max", "grid": np.array([10.0, 20.0, 30.0]),
              "individual": np.array([[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]]), "average": np.array([0.2, 0.3, 0.4])}
    fig = plots.pdp_ice_figure(curves, D)
    assert np.allclose(fig.data[1].y, [20, 30, 40])  # percent
    assert np.isnan(fig.data[0].y[3])  # one line per patient, separated by gaps
    assert fig.layout.yaxis.title.text == "predicted risk (%)"


def test_every_builder_returns_a_figure():
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.7, 0.3, 0.6, 0.9, 0.2])
    m = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=["a", "b"], columns=["a", "b"])
    long = pd.DataFrame({"x": [0, 1, 0, 1], "y": [1, 0.5, 1, 0.7], "s": ["a", "a", "b", "b"]})
    figs = [
        plots.risk_histogram(p, 0.5, marker=0.7), plots.pr_figure(y, p), plots.threshold_figure(y, p, 0.5),
        plots.subgroup_importance_figure(pd.DataFrame({"g1": [1, 2, 3], "g2": [3, 2, 1]}, index=NAMES), D, "log-odds"),
        plots.agreement_heatmap(m, "FA"), plots.curves_figure(long, "x", "y", "s", "t", "x", "y"),
        plots.spread_figure(long, "s", "y", "t", "x", "y"), plots.missingness_figure(pd.Series([0.1, 0.0], index=NAMES[:2]), D),
        plots.count_bar({"a": 3, "b": 1}, "t", "x"),
    ]
    for f in figs:
        assert isinstance(f, go.Figure) and _title(f)


def test_patient_page_figures_follow_plotly_schema():
    """The Patients page's builders skip plotly's Python-side checks (page_figure): their output must still be a
    figure plotly accepts, property by property (an unknown or mistyped property raises here)."""
    from risklens.explain.base import Explanation
    from risklens.patients.stay import stay_timeline
    from risklens.plots.stay import change_figure, stay_figure

    row = _expl([0.4, -0.2, 0.05], [16, 88, 70], base=-2.0)
    other = _expl([0.1, 0.3, -0.05], [16, 88, 70])
    ids = ["w0", "w1", "w2"]
    concepts = Explanation(values=np.array([[0.2, -0.1, 0.0], [0.5, -0.3, 0.1], [0.9, 0.2, -0.1]]),
                           base_values=np.full(3, -2.0), data=np.zeros((3, 3)), feature_names=NAMES, method="shap",
                           model_id="m", output="log-odds", ids=np.array(ids))
    tl = stay_timeline("S1", ids, [0.0, 4.0, 8.0], [0.1, 0.2, 0.4], np.array([0, 0, 1]), concepts, threshold=0.3,
                       event_hour=9.0, labels={"rr_max": "Breathing"})
    figures = [plots.waterfall_figure(row, D), plots.vitals_figure(row, D), plots.patient_bar(row, D),
               plots.rank_comparison_figure(row, other, "SHAP", "LIME", D), stay_figure(tl, "w1"),
               change_figure(tl, "w2"), change_figure(tl, "w0")]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # validated: raises ValueError on anything plotly does not know
        assert checked.layout.title.text == fig.layout.title.text
        axes = [v for k, v in fig.to_dict()["layout"].items() if k[1:5] == "axis" and v.get("visible", True)]
        assert axes and all(ax["ticklabeloverflow"] == "allow" for ax in axes)  # every drawn axis, no label hidden
    assert stay_figure(tl, "w1").data[1].x[0] == 4.0  # the shown window ringed at its hour
