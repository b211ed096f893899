"""App start: make sure the demo models exist (trained once, with progress), and the deep link."""

from __future__ import annotations

import streamlit as st

from risklens.demo import ensure_demo, missing_demo
from risklens.settings import demo_n
from risklens.ui.guard import guarded


def bootstrap() -> None:
    """Train the missing demo models with a progress bar; later starts find them in the store."""
    with guarded():
        missing = missing_demo()
        if not missing:
            return
        box = st.status(
            f"Preparing the demo: simulating {demo_n():,} ward admissions and training "
            f"{', '.join(missing)} with seed 0. This happens once; later starts reuse the saved models.",
            expanded=True,
        )
        bar = box.progress(0.0, text="starting ...")
        ensure_demo(lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0), text=m))
        box.update(label="Demo ready: ward cohort and three models (XGBoost, L1 logistic, neural network).",
                   state="complete", expanded=False)
