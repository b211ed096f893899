"""Training, importing and scoring with models for the active cohort: the store and the session."""

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
    if models:
        select_model(models[0])  # the newly trained model becomes the selected one
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


def select_model(model: RiskModel) -> None:
    """Make ``model`` the selected one on every page (see :func:`risklens.ui.widgets.pick_model`)."""
    state.choose_model(model.model_id)


def broken_models() -> list[str]:
    """One line per model directory in the store whose card cannot be used."""
    from risklens.modeling import list_models

    return [row["error"] for row in list_models(models_root()) if row.get("error")]


def score_upload(model: RiskModel, data: bytes, filename: str, dictionary=None):
    """An uploaded table scored with ``model`` (a :class:`risklens.modeling.scoring.Scored` worklist)."""
    from risklens.cohorts.upload import read_upload
    from risklens.modeling.scoring import score_table

    return score_table(model, read_upload(data, filename), dictionary=dictionary)


def import_upload(cohort: Cohort, data: bytes, filename: str) -> RiskModel:
    """Import an uploaded model file, measured on the active cohort; saved in the store and added to the session."""
    from risklens.modeling import load_model, save_model
    from risklens.modeling.imported import import_model
    from risklens.safety import inside, safe_slug

    model = import_model(data, filename, cohort, data_name=cohort.name)
    slug = safe_slug(f"{cohort.name}-{cohort.hash[:8]}-imported-{Path(filename).stem}", default="imported", max_len=120)
    path = save_model(model, inside(models_root(), slug))
    state.add_model_path(cohort, path)
    return load_model(path)
