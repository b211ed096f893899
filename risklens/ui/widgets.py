"""Shared widgets: the sidebar context line, the model and method pickers, a metric row."""

from __future__ import annotations

import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.modeling.model import FAMILY_LABELS, RiskModel
from risklens.safety import md_escape

METHOD_LABELS = {
    "shap": "SHAP", "lime": "LIME", "lime-ref": "LIME (reference package)",
    "lime-local": "LIME (continuous, around the patient)", "coef": "Coefficients",
    "dtd": "Deep Taylor decomposition",
}


def model_name(model: RiskModel) -> str:
    return f"{FAMILY_LABELS.get(model.family, model.family)} · seed {model.seed} · {model.model_id[:8]}"


def method_name(method: str) -> str:
    return METHOD_LABELS.get(method, method)


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
    """A model picker shared across pages (the last choice is kept); labels without hashes."""
    ids = [m.model_id for m in models]
    shared = "rl_model_choice"
    default = st.session_state.get(shared)
    index = ids.index(default) if default in ids else 0
    by_id = {m.model_id: m for m in models}
    choice = st.selectbox(label, ids, index=index, key=key, format_func=lambda i: model_label(by_id[i], models))
    st.session_state[shared] = choice
    return by_id[choice]


def pick_method(methods: list[str], key: str, label: str = "Explanation method", default: str = "shap") -> str:
    index = methods.index(default) if default in methods else 0
    return st.selectbox(label, methods, index=index, key=key, format_func=method_name)


def need_models(models: list[RiskModel]) -> bool:
    """Show a hint and return False when no model is ready for the active cohort."""
    if models:
        return True
    st.info("No model is trained for this cohort yet. Train or load one on the **Model** page.")
    st.page_link("pages/model.py", label="Go to the Model page", icon=":material/model_training:")
    return False


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
