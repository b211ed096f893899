"""The cohorts package surface other packages rely on (see docs/ARCHITECTURE.md)."""

import pytest

import risklens.cohorts as rc


def test_contract_names_exist():
    assert set(rc.BUILTIN_COHORTS) == {"ward", "readmission", "whas500"}
    for name in ("load_builtin", "read_table", "cohort_from_frame", "load_cohort_file", "Cohort", "CohortError"):
        assert hasattr(rc, name)


@pytest.mark.parametrize("name", ["ward", "readmission", "whas500"])
def test_every_builtin_loads_with_a_complete_dictionary(name):
    c = rc.load_builtin(name, n=500, seed=0)
    assert set(c.features) == set(c.dictionary) == set(rc.builtin_dictionary(name))
    assert c.source and c.outcome_name != "outcome" and 0 < c.event_rate < 1


def test_unknown_builtin_names_the_choices():
    with pytest.raises(rc.CohortError, match="ward, readmission, whas500"):
        rc.load_builtin("wards")


def test_ward_default_size():
    from risklens.cohorts.ward import DEFAULT_N

    assert DEFAULT_N == 20_000
