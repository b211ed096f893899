"""Training models for the active cohort (with progress) into the store and the session."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from risklens.cohorts.base import Cohort
from risklens.modeling.catalog import model_dir_for, store_table
from risklens.modeling.model import RiskModel
from risklens.settings import models_root
from risklens.ui import state


def train_and_save(cohort: Cohort, family: str, runs: int, seed: int,
                   progress: Callable[[float, str], None] | None = None) -> list[Path]:
    """Train ``runs`` models (seeds seed..seed+runs-1), save each in the store, add them to the session."""
    from risklens.modeling import save_model, train_runs

    models = train_runs(cohort, family, runs=runs, seed=seed, progress=progress)
    paths = []
    for m in models:
        p = save_model(m, model_dir_for(models_root(), cohort, family, m.seed))
        state.add_model_path(cohort, p)
        paths.append(p)
    return paths


def saved_models(cohort: Cohort):
    """The store's models that fit the cohort (see :func:`risklens.modeling.catalog.store_table`)."""
    return store_table(models_root(), cohort)


def held_out_outcomes(model: RiskModel, cohort: Cohort):
    """(y, p) of the held-out rows the model did not train on."""
    from risklens.ui.cache import held_out, predictions

    pos = held_out(model, cohort)
    p = predictions(model.model_id, cohort.hash, model, cohort)[pos]
    return cohort.y[pos], p
