"""FeatureDictionary: tabular round trips (frame, CSV, records), validation errors, merging, display helpers."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from risklens.cohorts.dictionary import (DICTIONARY_COLUMNS, KINDS, DictionaryError, FeatureDictionary, FeatureInfo,
                                 infer_dictionary)

D = FeatureDictionary([
    FeatureInfo("hr_max", "Max heart rate", unit="/min", normal_low=50, normal_high=100, group="heart_rate",
                kind="vital sign", description="highest, 24 h"),
    FeatureInfo("spo2_min", "Min SpO2", unit="%", normal_low=94, group="spo2", kind="vital sign"),
    FeatureInfo("los_days", "Length of stay", unit="days", kind="administrative"),
    FeatureInfo("crp", "C-reactive protein", unit="mg/L", normal_high=5.0, kind="lab"),
])


def test_csv_round_trip_is_exact(tmp_path):
    (tmp_path / "d.csv").write_text(D.to_csv())
    again = FeatureDictionary.from_csv(str(tmp_path / "d.csv"))  # a str is a path (pandas' convention)
    assert list(again) == list(D) and all(again[n] == D[n] for n in D)
    assert FeatureDictionary.from_csv(D.to_csv().encode()) == D  # bytes, as st.file_uploader gives
    assert FeatureDictionary.from_csv(io.StringIO(D.to_csv()))["crp"].normal_low is None
    assert D.to_csv().splitlines()[0] == ",".join(DICTIONARY_COLUMNS)


def test_frame_and_records_round_trips():
    assert list(D.to_frame().columns) == list(DICTIONARY_COLUMNS)
    assert FeatureDictionary.from_frame(D.to_frame()) == D
    assert FeatureDictionary.from_records(D.to_records()) == D


def test_builtin_dictionaries_round_trip_through_csv():
    from risklens.cohorts import builtin_dictionary

    for name in ("ward", "readmission"):
        d = builtin_dictionary(name)
        assert FeatureDictionary.from_csv(d.to_csv().encode()) == d, name


def test_defaults_for_empty_cells():
    d = FeatureDictionary.from_csv(b"name,label,unit,normal_low,normal_high,group,kind\n"
                                   b"rr_max,,,,,,\n  temp_min , Min temp ,C, 36 ,,,lab\n")
    rr, t = d["rr_max"], d["temp_min"]
    assert (rr.label, rr.unit, rr.normal_low, rr.normal_high, rr.group, rr.kind) == ("Rr max", "", None, None,
                                                                                      "rr_max", "other")
    assert (t.name, t.label, t.unit, t.normal_low, t.kind) == ("temp_min", "Min temp", "C", 36.0, "lab")


@pytest.mark.parametrize("csv, match", [
    (b"name,label,kind\nhr,H,vitals\n", r"row 1 \(hr\): kind 'vitals' is not one of vital sign, lab"),
    (b"name,label,normal_low,normal_high\nhr,H,100,50\n", r"row 1 \(hr\): normal_low 100.0 is above normal_high 50.0"),
    (b"name,label,normal_low\nhr,H,abc\n", r"row 1 \(hr\): 'abc' is not a number"),
    (b"label,unit\nA,b\n", r"needs the columns name, label.*missing: name$"),
    (b"name,label\nhr,H\nhr,J\n", r"'hr' appears twice"),
    (b"name,label\n,H\n", r"row 1: the name is empty"),
    (b"", r"could not read the dictionary CSV"),
])
def test_invalid_csvs_raise_dictionary_errors(csv, match):
    with pytest.raises(DictionaryError, match=match):
        FeatureDictionary.from_csv(csv)


def test_feature_info_validates_kind_and_defaults_group():
    with pytest.raises(DictionaryError, match="kind 'vitals'"):
        FeatureInfo("x", "X", kind="vitals")
    assert FeatureInfo("x", "X").group == "x" and set(KINDS) >= {"vital sign", "lab", "other"}


def test_updated_replaces_only_shared_entries():
    new = FeatureDictionary([FeatureInfo("crp", "CRP", unit="mg/dL", kind="lab"), FeatureInfo("zzz", "Z")])
    u = D.updated(new)
    assert list(u) == list(D)  # order and membership of the original; unknown names are dropped
    assert u["crp"].unit == "mg/dL" and u["hr_max"] == D["hr_max"]


def test_display_helpers():
    hr, spo2, crp = D["hr_max"], D["spo2_min"], D["crp"]
    assert hr.normal_range_text == "50-100 /min" and spo2.normal_range_text == ">= 94 %"
    assert crp.normal_range_text == "<= 5 mg/L" and D["los_days"].normal_range_text == ""
    assert [hr.status(v) for v in (40, 50, 100, 120, float("nan"))] == ["low", "normal", "normal", "high", ""]
    assert D["los_days"].status(3) == "" and hr.format_value(float("nan")) == "not recorded"
    assert hr.format_value(72) == "72 /min" and D.label("unknown_col") == "Unknown col"
    assert list(D.groups(["hr_max", "spo2_min"])) == ["heart_rate", "spo2"]
    assert D.is_clinical("hr_max") and not D.is_clinical("los_days")


def test_inferred_dictionary_invents_no_units_or_ranges():
    d = infer_dictionary(pd.DataFrame(columns=["age", "spo2_min", "los_days", "crp"]))
    assert [d[n].kind for n in d] == ["demographic", "other", "administrative", "other"]
    assert d["spo2_min"].group == "spo2" and all(d[n].unit == "" and d[n].normal_low is None for n in d)


def test_csv_text_round_trip_and_hash_tracks_edits():
    from risklens.cohorts import builtin_dictionary
    from risklens.cohorts.dictionary import FeatureDictionary, replace_entry

    d = builtin_dictionary("ward")
    again = FeatureDictionary.from_csv(d.to_csv())  # CSV text, not a path
    assert again.to_records() == d.to_records() and again.hash == d.hash
    edited = d.with_entry(replace_entry(d["los_days"], kind="demographic"))
    assert edited.hash != d.hash


def test_frame_shows_missing_ranges_as_empty_numbers_not_none():
    from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

    frame = FeatureDictionary([FeatureInfo("a", "A", normal_low=1.0, normal_high=2.0), FeatureInfo("b", "B")]).to_frame()
    assert frame["normal_low"].dtype == "float64" and frame["normal_high"].dtype == "float64"
    assert frame.loc[1, ["normal_low", "normal_high"]].isna().all()
    assert "None" not in frame.astype(str).to_string().replace("nan", "")


def test_hash_is_the_entries_sha256_and_follows_an_edit():
    """The hash (computed once per dictionary) is the SHA-256 of the CSV form; an edited copy has its own."""
    import hashlib

    d = FeatureDictionary([FeatureInfo(name="hr", label="Heart rate", unit="bpm")])
    assert d.hash == hashlib.sha256(d.to_csv().encode()).hexdigest()
    assert d.hash == d.hash
    edited = d.with_entry(FeatureInfo(name="hr", label="Pulse", unit="bpm"))
    assert edited.hash == hashlib.sha256(edited.to_csv().encode()).hexdigest() != d.hash
