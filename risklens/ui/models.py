"""Training and loading models for the active cohort (with progress), and the store listing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from risklens.cohorts.base import Cohort
from risklens.modeling.model import RiskModel
from risklens.ui import state
from risklens.ui.settings import models_root


def model_dir_for(cohort: Cohort, family: str, seed: int) -> Path:
    return models_root() / f"{cohort.name}-{cohort.hash[:8]}-{family}-s{seed}"


def train_and_save(cohort: Cohort, family: str, runs: int, seed: int,
                   progress: Callable[[float, str], None] | None = None) -> list[Path]:
    """Train ``runs`` models (seeds seed..seed+runs-1), save each in the store, add them to the session."""
    from risklens.modeling import save_model, train_runs

    models = train_runs(cohort, family, runs=runs, seed=seed, progress=progress)
    paths = []
    for m in models:
        p = save_model(m, model_dir_for(cohort, family, m.seed))
        state.add_model_path(cohort, p)
        paths.append(p)
    return paths


def store_table(cohort: Cohort) -> pd.DataFrame:
    """Saved models whose features match the cohort; ``same data`` tells if they were trained on it."""
    from risklens.modeling import list_models

    rows = []
    for row in list_models(models_root()):
        if row.get("family") == "invalid":
            continue
        try:
            card = json.loads((Path(row["path"]) / "card.json").read_text())
        except (OSError, ValueError):
            continue
        if not set(card.get("features", [])) <= set(cohort.features):
            continue
        rows.append({"name": row["name"], "family": row["family"], "seed": row.get("seed"),
                     "AUROC": row.get("auroc"), "same data": card.get("data_hash") == cohort.hash,
                     "created": row.get("created", ""), "path": row["path"]})
    return pd.DataFrame(rows, columns=["name", "family", "seed", "AUROC", "same data", "created", "path"])


def held_out_outcomes(model: RiskModel, cohort: Cohort):
    """(y, p) of the held-out rows the model did not train on."""
    from risklens.ui.cache import held_out, predictions

    pos = held_out(model, cohort)
    p = predictions(model.model_id, cohort.hash, model, cohort)[pos]
    return cohort.y[pos], p
