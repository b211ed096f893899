"""Shared widgets: the sidebar context line, the model and method pickers, a metric row."""

from __future__ import annotations

import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.families import FAMILY_LABELS
from risklens.modeling.model import RiskModel
from risklens.safety import md_escape
from risklens.ui import state

def model_name(model: RiskModel) -> str:
    return f"{FAMILY_LABELS.get(model.family, model.family)} · seed {model.seed} · {model.model_id[:8]}"


def method_name(method: str) -> str:
    """The method's label from the method registry."""
    from risklens.explain.registry import label

    return label(method)


def sidebar_context(cohort: Cohort, models: list[RiskModel]) -> None:
    with st.sidebar:
        st.caption(
            f"**Cohort:** {md_escape(cohort.name)} · {cohort.n:,} rows · {cohort.n_events:,} events "
            f"({100 * cohort.event_rate:.1f}%) · hash {cohort.hash[:10]}"
        )
        st.caption(f"**Models:** {len(models)} ready" if models else "**Models:** none yet (see Model page)")


def model_label(model: RiskModel, models: list[RiskModel] | None = None) -> str:
    """'XGBoost · seed 0' for clinician-facing places (the hash stays in cards); models that would read the
    same get their training run number ('#2') so the label still picks one model."""
    base = f"{FAMILY_LABELS.get(model.family, model.family)} · seed {model.seed}"
    same = [m for m in (models or []) if m.family == model.family and m.seed == model.seed]
    if len(same) > 1:
        base += f" · #{[m.model_id for m in same].index(model.model_id) + 1}"
    return base


def pick_model(models: list[RiskModel], key: str, label: str = "Model") -> RiskModel:
    """A model picker shared across pages; labels without hashes.

    The session's choice (``state.K_CHOICE``: set by this picker on any page, by training, importing,
    loading or a link) is the one truth. The widget's value is written from it before the widget is drawn,
    so the browser is told the new value (a bare default index would leave it showing the old model), and
    a person's pick goes back into it through ``on_change`` before the page runs."""
    ids = [m.model_id for m in models]
    by_id = {m.model_id: m for m in models}
    choice = st.session_state.get(state.K_CHOICE)
    if choice not in ids:
        choice = ids[0]
    if st.session_state.get(key) != choice:
        st.session_state[key] = choice

    def keep() -> None:
        st.session_state[state.K_CHOICE] = st.session_state[key]

    choice = st.selectbox(label, ids, key=key, on_change=keep, format_func=lambda i: model_label(by_id[i], models))
    state.choose_model(choice)
    state.write_url(choice)  # a reload or a copied link shows this model
    return by_id[choice]


def pick_method(methods: list[str], key: str, label: str = "Explanation method", default: str | None = None) -> str:
    """A method picker; ``default`` (None: the method the registry shows first for these methods) preselected."""
    if default is None:
        from risklens.explain.registry import shown_first

        default = shown_first(methods)
    index = methods.index(default) if default in methods else 0
    return st.selectbox(label, methods, index=index, key=key, format_func=method_name)


def need_models(models: list[RiskModel]) -> bool:
    """Show a hint and return False when no model is ready for the active cohort."""
    if models:
        return True
    st.info("No model is trained for this cohort yet. Train or load one on the **Model** page.")
    st.page_link("pages/model.py", label="Go to the Model page", icon=":material/model_training:")
    return False


def threshold_control(model: RiskModel) -> float:
    """The alert threshold of ``model``: a number field (percent, any precision) beside a log-scale slider.

    Both show the session's threshold exactly (the card's 0.035% stays 0.035%, never clamped to a slider's
    floor); moving either moves the other. Returns the threshold as a fraction."""
    import math

    from risklens.modeling.performance import threshold_grid, threshold_text
    from risklens.ui import state

    current = state.threshold(model)
    k_in, k_sl = f"thr_in_{model.model_id}", f"thr_sl_{model.model_id}"
    options = sorted(set(float(v) for v in threshold_grid()) | {current})
    if st.session_state.get(k_sl) != current:
        st.session_state[k_sl] = current
    shown = st.session_state.get(k_in)
    if shown is None or not math.isclose(float(shown), 100.0 * current, rel_tol=1e-9, abs_tol=0.0):
        st.session_state[k_in] = 100.0 * current

    def typed() -> None:
        state.set_threshold(model, float(st.session_state[k_in]) / 100.0)

    def slid() -> None:
        state.set_threshold(model, float(st.session_state[k_sl]))

    left, right = st.columns([1, 3])
    left.number_input("Alert threshold (predicted risk, %)", min_value=0.0, max_value=100.0, step=0.01,
                      format="%.4g", key=k_in, on_change=typed,
                      help="Any value from 0 to 100%, to the precision you type (the model card's default: "
                           f"{threshold_text(float((model.metrics or {}).get('threshold', current)))}).")
    right.select_slider("or slide (log scale)", options=options, key=k_sl, on_change=slid, format_func=threshold_text)
    return state.threshold(model)


def row_noun(cohort: Cohort) -> str:
    """What a row of the cohort is, for counts: 'Admissions' in the simulated ward demo, 'Patients' when each
    patient has one row, else 'Rows'."""
    from risklens.ui.state import is_demo

    if is_demo(cohort):
        return "Admissions"
    return "Patients" if len(set(map(str, cohort.groups))) == cohort.n else "Rows"


def pct(x: float) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:.1f}%"


def page_context(title: str, require_models: bool = True) -> tuple[Cohort, list[RiskModel]] | None:
    """Draw a page's title and sidebar context; the active cohort and its models, or None (with a hint)
    when the page needs models and none is ready."""
    from risklens.ui import state

    st.title(title)
    cohort = state.active_cohort()
    models = state.active_models(cohort)
    sidebar_context(cohort, models)
    if require_models and not need_models(models):
        return None
    return cohort, models
