"""The Model page's conformal section: coverage per class for both variants, an error rate kept for the session."""

from __future__ import annotations

import pytest

from apptest_support import demo_home, open_page


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 3000)


def _table(at):
    frames = [d.value for d in at.dataframe if "variant" in getattr(d.value, "columns", [])]
    assert len(frames) == 1
    return frames[0].set_index("variant")


def _pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_model_page_shows_coverage_per_class_and_keeps_the_error_rate():
    at = open_page("pages/model.py")
    assert not at.error
    table = _table(at)
    assert list(table.index) == ["per class (Mondrian)", "standard"]
    mondrian = table.loc["per class (Mondrian)"]
    # the per-class variant keeps the event class near 1 - alpha; the uncertain share is a real share
    assert _pct(mondrian["coverage, patients with the event"]) >= 0.7
    assert 0.0 <= _pct(mondrian["uncertain"]) <= 1.0
    at = at.select_slider(key="model_conformal_alpha").set_value(0.3).run()
    assert not at.exception
    loose = _table(at).loc["per class (Mondrian)"]
    assert _pct(loose["uncertain"]) <= _pct(mondrian["uncertain"])  # a larger error rate: fewer uncertain sets
    assert at.session_state["rl_conformal_alpha"] == 0.3
