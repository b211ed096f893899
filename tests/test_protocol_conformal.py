"""The protocol's conformal stage: coverage inside the finite-sample band, Mondrian per-class coverage,
its seed stream, the record's JSON round trip and its report section."""

import json

import numpy as np
import pytest

from risklens.cohorts import load_builtin
from risklens.study import EvaluationReport, ProtocolSettings, SeedPlan
from risklens.modeling.conformal import calibration_split
from risklens.study.coverage import conformal_stage
from risklens.study.rows import train_stage
from risklens.study.types import CohortInfo, ConformalRecord

SETTINGS = ProtocolSettings(families=("l1-logistic", "xgboost"), runs=1, seed=2,
                            model_params={"xgboost": {"n_estimators": 40}})


@pytest.fixture(scope="module")
def ward():
    return load_builtin("ward", n=3000, seed=5)


@pytest.fixture(scope="module")
def trained(ward):
    return train_stage(ward, list(SETTINGS.families), SETTINGS, SeedPlan(SETTINGS.seed))


@pytest.fixture(scope="module")
def records(ward, trained):
    recs, notes = conformal_stage(ward, trained, SETTINGS, SeedPlan(SETTINGS.seed))
    assert notes == []
    return {(r.family, r.variant): r for r in recs}


def test_calibration_rows_split_the_held_out_patients(ward, trained):
    cal, ev = calibration_split(ward, trained.test_pos, SeedPlan(2).conformal)
    assert set(cal) | set(ev) == set(trained.test_pos) and not set(cal) & set(ev)
    assert not set(ward.groups[cal]) & set(ward.groups[ev])  # no patient on both sides
    assert ward.y[cal].sum() > 0 and ward.y[ev].sum() > 0  # stratified: events on both sides
    again, _ = calibration_split(ward, trained.test_pos, SeedPlan(2).conformal)
    other, _ = calibration_split(ward, trained.test_pos, SeedPlan(3).conformal)
    assert np.array_equal(cal, again) and not np.array_equal(cal, other)


def test_standard_coverage_inside_the_finite_sample_band(records, trained):
    assert set(records) == {(f, v) for f in SETTINGS.families for v in ("standard", "mondrian")}
    for fam in SETTINGS.families:
        r = records[(fam, "standard")]
        lo, hi = r.band
        assert lo < 0.9 < hi and lo <= r.coverage <= hi and r.in_band
        assert r.band_event == [] and r.band_no_event == []  # the standard variant promises nothing per class
        assert r.model_id == trained.models[fam][0].model_id
        assert r.n_calibration + r.n_evaluation == len(trained.test_pos)
        shares = r.sure_event + r.sure_no_event + r.uncertain + r.empty
        assert shares == pytest.approx(1.0)
        # set size 2 for uncertain, 1 for sure, 0 for empty
        assert r.mean_set_size == pytest.approx(2 * r.uncertain + r.sure_event + r.sure_no_event)


def test_mondrian_covers_each_class(records):
    for fam in SETTINGS.families:
        m, s = records[(fam, "mondrian")], records[(fam, "standard")]
        assert m.band_event and m.band_no_event and m.in_band
        assert m.band_event[0] <= m.coverage_event <= m.band_event[1]
        assert m.band_no_event[0] <= m.coverage_no_event <= m.band_no_event[1]
        # rare events: the marginal variant covers events less often than the class-conditional one
        assert s.coverage_event < m.coverage_event
        # overall coverage is the event-weighted mean of the per-class coverages
        w = m.n_evaluation_events / m.n_evaluation
        assert m.coverage == pytest.approx(w * m.coverage_event + (1 - w) * m.coverage_no_event)


def test_a_smaller_error_rate_gives_larger_sets(ward, trained):
    strict = ProtocolSettings.from_dict({**SETTINGS.to_dict(), "conformal_alpha": 0.05})
    recs, notes = conformal_stage(ward, trained, strict, SeedPlan(SETTINGS.seed))
    loose, _ = conformal_stage(ward, trained, SETTINGS, SeedPlan(SETTINGS.seed))
    assert notes == [] and [(r.family, r.variant) for r in recs] == [(r.family, r.variant) for r in loose]
    for a, b in zip(recs, loose):
        assert a.alpha == 0.05 and a.coverage >= b.coverage and a.mean_set_size >= b.mean_set_size


def test_too_few_events_is_a_note_not_a_crash(ward, trained):
    tiny = ProtocolSettings.from_dict({**SETTINGS.to_dict(), "conformal_alpha": 0.001})  # needs 999 rows per class
    recs, notes = conformal_stage(ward, trained, tiny, SeedPlan(SETTINGS.seed))
    assert recs == [] and len(notes) == 4  # ~450 calibration rows: neither variant can be calibrated
    assert all("conformal sets not computed" in n and "alpha=0.001" in n for n in notes)


def test_alpha_is_validated():
    from risklens.study import EvaluationError

    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(EvaluationError, match="conformal_alpha"):
            ProtocolSettings(conformal_alpha=bad)
    assert ProtocolSettings().conformal_alpha == 0.1
    assert "conformal" in SeedPlan(0).provenance(1, 0, 0)


def test_record_round_trips_and_renders(records):
    from risklens.study.report import to_html, to_markdown
    from risklens.study.views import conformal_frame

    info = CohortInfo("ward", 10, 10, 3, 1, 0.1, True, True, "h" * 64, "test", "red flag", "study")
    rep = EvaluationReport(info, SETTINGS, [], 0, "rule", conformal=list(records.values()))
    again = EvaluationReport.from_json(rep.to_json())
    assert again == rep and isinstance(again.conformal[0], ConformalRecord) and again.cohort.preset == "study"
    assert json.loads(rep.to_json())["conformal"][0]["variant"] in ("standard", "mondrian")
    html, md = to_html(rep), to_markdown(rep)
    for text in (html, md):
        assert "conformal prediction sets" in text and "clinical judgement" in text and "Mondrian" in text
    frame = conformal_frame(rep)
    assert len(frame) == 4 and {"coverage", "uncertain (both outcomes)"} <= set(frame.columns)
