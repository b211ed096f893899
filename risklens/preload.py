"""The modules the dashboard's first page needs, imported before the server listens (`python app.py`).

`streamlit run app.py` imports nothing until the first visitor's script run, so that visitor waits for several
seconds of imports (scikit-learn's estimator list that skops reads, XGBoost, SciPy, the explainers' numba
modules). `python app.py` -- what `make run` starts -- imports them first, the way an application server
preloads its application before it accepts connections (one tiny jitted call also sets up numba, which the
first explanation would otherwise pay for); the server then becomes healthy a few seconds later
and its first page is drawn as fast as any later session's. Only library modules are listed: none loads
streamlit, so no Streamlit cache is declared before the server's runtime exists.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

from risklens.modeling._standardise import standardise

#: Imported by ``python app.py`` before the server starts: every library module the Home and Patients pages
#: reach on a first visit (each pulls in its own third-party imports), plus the loaders imported on first use
#: (``risklens.modeling._standardise`` is imported above, for the jitted call).
PAGE_MODULES = (
    "risklens.access", "risklens.audit", "risklens.demo", "risklens.cohorts.upload", "risklens.cohorts.stored",
    "risklens.cohorts.ward", "risklens.study.protocol", "risklens.explain.registry", "risklens.explain.store",
    "risklens.explain._lime_kernel", "risklens.explain._treeshap_numba", "risklens.explain._mlp_numba",
    "risklens.modeling.store", "risklens.modeling.conformal", "risklens.metrics.lead_time", "risklens.patients.index",
    "risklens.patients.worklist", "risklens.patients.stay", "risklens.patients.concept_waterfall",
    "risklens.patients.summary", "risklens.patients.lime_bins", "risklens.plots.cohort", "risklens.plots.concepts",
    "risklens.plots.evaluation", "risklens.plots.model", "risklens.plots.patient", "risklens.plots.stay",
    "risklens.scale.dataset",
    "skops.io", "xgboost", "mapie.classification", "sqlalchemy.dialects.sqlite",
)


def preload(modules: tuple[str, ...] = PAGE_MODULES) -> float:
    """Import ``modules`` and make one jitted call; returns the seconds it took."""
    start = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    # the process's first call of any numba kernel sets up numba's CPU target (about 0.5 s), whichever kernel it is
    standardise(np.zeros((1, 1)), np.zeros(1), None, None)
    return time.perf_counter() - start
