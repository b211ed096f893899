"""The model store seen from one cohort: where its models go and which saved models fit it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risklens.cohorts.base import Cohort

STORE_COLUMNS = ["name", "family", "seed", "AUROC", "same data", "created", "path"]


def model_dir_for(root: Path, cohort: Cohort, family: str, seed: int) -> Path:
    """The store directory of a model of ``family`` trained with ``seed`` on ``cohort``.

    The cohort's name comes from a file name a user chose: it is reduced to a safe slug, and the
    final path is checked to stay under ``root`` (an upload named ``../../x.csv`` trains into ``root``).
    """
    from risklens.safety import inside, safe_slug

    slug = safe_slug(f"{cohort.name}-{cohort.hash[:8]}-{family}-s{seed}", default="model", max_len=120)
    return inside(root, slug)


def store_table(root: Path, cohort: Cohort) -> pd.DataFrame:
    """Saved models whose features match the cohort; ``same data`` tells if they were trained on it."""
    from risklens.modeling import list_models
    from risklens.modeling.store import read_card

    rows = []
    for row in list_models(root):
        if row.get("family") == "invalid":
            continue
        try:
            card = read_card(Path(row["path"]))
        except (OSError, ValueError):
            continue
        if not set(card.get("features", [])) <= set(cohort.features):
            continue
        rows.append({"name": row["name"], "family": row["family"], "seed": row.get("seed"),
                     "AUROC": row.get("auroc"), "same data": card.get("data_hash") == cohort.hash,
                     "created": row.get("created", ""), "path": row["path"]})
    return pd.DataFrame(rows, columns=STORE_COLUMNS)
