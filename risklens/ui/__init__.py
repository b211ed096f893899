"""The dashboard's bridge to risklens: the only library package that imports streamlit.

Pages call these functions; they cache, keep session state and turn errors into messages.
Everything here is Streamlit glue; the pure work it wraps lives in the library
(``risklens.patients``, ``risklens.cohorts.upload``, ``risklens.modeling.catalog``, ``risklens.study``).
"""

from risklens.demo import demo_cohort, demo_paths, ensure_demo, missing_demo
from risklens.settings import demo_n, home, models_root, store_root
from risklens.ui import audit, auth, cache, certainty, state
from risklens.ui.guard import guarded, run_page, show_error
from risklens.ui.widgets import (
    method_name,
    model_label,
    model_name,
    need_models,
    page_context,
    pct,
    pick_method,
    pick_model,
    row_noun,
    sidebar_context,
    threshold_control,
)

__all__ = [
    "audit", "auth", "cache", "certainty", "state", "demo_cohort", "demo_paths", "ensure_demo", "missing_demo", "guarded",
    "run_page", "show_error", "demo_n", "home", "models_root", "store_root", "method_name", "model_label", "model_name",
    "need_models", "page_context",
    "pct", "pick_method", "pick_model", "row_noun", "sidebar_context", "threshold_control",
]
