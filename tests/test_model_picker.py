"""Model page (AppTest): the picker always names the model whose numbers are drawn; the threshold control
shows any model's threshold (no silent clamping) and the metrics describe the threshold shown.

A browser keeps a selectbox's value between reruns unless the server sends a new one (``set_value``);
``Browser`` below replays that rule so the test reads what a person would see, not only the server's state.
"""

from __future__ import annotations

import re

import pytest

from apptest_support import demo_home, open_page


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 600)


class Browser:
    """What the page shows in a selectbox: the server's value when it sends one, else the last one shown."""

    def __init__(self):
        self.shown: dict[str, str] = {}

    def read(self, at, key: str) -> str:
        box = at.selectbox(key=key)
        proto = box.proto
        if proto.set_value:
            self.shown[key] = proto.raw_value
        elif key not in self.shown:  # a new widget starts at its default
            self.shown[key] = proto.options[proto.default]
        return self.shown[key]

    def pick(self, at, key: str, value):
        """The person chooses ``value``: the browser shows it and sends it."""
        box = at.selectbox(key=key)
        self.shown[key] = box.format_func(value)
        return box.set_value(value).run()


def charted_auroc(at) -> float:
    """The AUROC printed in the ROC chart's legend."""
    roc = [c for c in at.get("plotly_chart") if "ROC curve" in c.proto.spec]
    assert len(roc) == 1
    return float(re.search(r"model \(AUROC ([0-9.]+)\)", roc[0].proto.spec).group(1))


def active_models(at):
    from risklens.ui import state

    models = at.session_state[state.K_MODELS][at.session_state[state.K_COHORT].hash]
    from risklens.modeling import load_model

    return [load_model(p) for p in models]


def train(at, family: str, seed: int):
    at.selectbox(key="train_family").set_value(family)
    at.number_input(key="train_seed").set_value(seed)
    return [b for b in at.button if b.label == "Train"][0].click().run()


def test_picker_follows_each_trained_family_and_switches_back():
    from risklens.ui.widgets import model_label

    browser = Browser()
    at = open_page("pages/model.py")
    assert browser.read(at, "model_pick").startswith("XGBoost · seed 0")
    labels, ids = {}, {}
    for family, label in [("xgboost", "XGBoost · seed 7"), ("l1-logistic", "L1 logistic regression · seed 7"),
                          ("mlp", "ReLU neural network · seed 7")]:
        at = train(at, family, 7)
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert browser.read(at, "model_pick") == label  # what the person reads
        models = active_models(at)
        by_label = {model_label(m, models): m for m in models}
        ids[label] = by_label[label].model_id
        # what is drawn is that model's: its held-out AUROC, as stored on its card when it was trained
        assert charted_auroc(at) == pytest.approx(by_label[label].metrics["auroc"], abs=1e-3)
        labels[label] = charted_auroc(at)
    assert len(set(labels.values())) == 3, labels  # three different models, three different curves
    at = browser.pick(at, "model_pick", ids["XGBoost · seed 7"])  # the person picks the first one again
    assert browser.read(at, "model_pick") == "XGBoost · seed 7"
    assert charted_auroc(at) == pytest.approx(labels["XGBoost · seed 7"], abs=1e-3)
    # a reload (a new session with the URL) shows the same model, though the demo lists only its own three
    url = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert url == {"model": ids["XGBoost · seed 7"]}
    again = open_page("pages/model.py", query=url)
    assert not again.error, [e.value for e in again.error]
    assert Browser().read(again, "model_pick") == "XGBoost · seed 7"
    assert charted_auroc(again) == pytest.approx(labels["XGBoost · seed 7"], abs=1e-3)


def test_a_tiny_card_threshold_is_shown_and_used_as_it_is():
    """A card threshold of 0.035% reads 0.035% (not 0.00 on a slider starting at 0.1), and every number
    below it is computed at 0.035%; typing or sliding moves both controls and the numbers."""
    from risklens.modeling import classification_metrics
    from risklens.ui import state

    at = open_page("pages/model.py")
    model_id = at.selectbox(key="model_pick").value
    at = open_page("pages/model.py", session={state.K_THRESHOLD: {model_id: 0.00035}})
    assert at.number_input(key=f"thr_in_{model_id}").value == pytest.approx(0.035)
    assert at.select_slider(key=f"thr_sl_{model_id}").value == pytest.approx(0.00035)
    assert any("At threshold 0.035%" in str(m.value) for m in at.markdown)

    from risklens.modeling import load_model

    cohort = at.session_state[state.K_COHORT]
    model = next(m for m in map(load_model, at.session_state[state.K_MODELS][cohort.hash]) if m.model_id == model_id)

    def shown_metrics(at):
        return {m.label: m.value for m in at.metric}

    def expected(thr):
        y, p = held_out_outcomes_plain(model, cohort)
        m = classification_metrics(y, p, thr)
        return {"Sensitivity": f"{100 * m['sensitivity']:.1f}%", "Specificity": f"{100 * m['specificity']:.1f}%",
                "Alerts per 100 patients": f"{m['alerts_per_100']:.1f}"}

    got = shown_metrics(at)
    assert {k: got[k] for k in expected(0.00035)} == expected(0.00035)
    at = at.number_input(key=f"thr_in_{model_id}").set_value(12.5).run()  # typed
    assert at.select_slider(key=f"thr_sl_{model_id}").value == pytest.approx(0.125)
    assert any("At threshold 12.5%" in str(m.value) for m in at.markdown)
    got = shown_metrics(at)
    assert {k: got[k] for k in expected(0.125)} == expected(0.125)
    at = at.select_slider(key=f"thr_sl_{model_id}").set_value(0.3).run()  # slid
    assert at.number_input(key=f"thr_in_{model_id}").value == pytest.approx(30.0)
    got = shown_metrics(at)
    assert {k: got[k] for k in expected(0.3)} == expected(0.3)
    # the Patients page counts alerts at the same threshold, written the same way
    at.switch_page("pages/patients.py").run()
    assert any("alerts at threshold 30%" in str(c.value) for c in at.caption)


def held_out_outcomes_plain(model, cohort):
    """(y, p) of the model's held-out rows, computed without the dashboard's caches."""
    from risklens.modeling import split_cohort

    split = model.card.get("split") if isinstance(model.card.get("split"), dict) else model.card
    test = split_cohort(cohort, test_size=float(split.get("test_size", 0.3)), seed=int(split.get("split_seed", 0)))[1]
    return cohort.y[test], model.predict_proba(cohort.X.iloc[test])
