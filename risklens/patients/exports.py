"""CSV downloads of the dashboard (pure): attributions with provenance, the feature dictionary.

Every cell that would start a spreadsheet formula is neutralised (:func:`risklens.safety.csv_safe`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from risklens.cohorts.base import Cohort
from risklens.cohorts.dictionary import FeatureDictionary
from risklens.explain.base import Explanation
from risklens.modeling.model import RiskModel
from risklens.safety import csv_safe


def provenance(model: RiskModel, cohort: Cohort, method: str, seed: int, output: str = "") -> dict:
    return {
        "model_id": model.model_id, "model_sha256": str(model.card.get("sha256", "")), "family": model.family,
        "model_seed": int(model.seed), "cohort": cohort.name, "data_hash": cohort.hash, "method": method,
        "explanation_seed": int(seed), "output": output,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def attributions_csv(expl: Explanation, model: RiskModel, cohort: Cohort) -> str:
    """One row per patient: provenance columns, id, base value and one column per feature's attribution."""
    frame = expl.to_frame()
    prov = provenance(model, cohort, expl.method, int(expl.params.get("seed", 0)), expl.output)
    for i, (k, v) in enumerate(prov.items()):
        frame.insert(i, k, v)
    return csv_safe(frame).to_csv(index=False)


def dictionary_csv(dictionary: FeatureDictionary) -> str:
    """The dictionary as a download (``FeatureDictionary.to_csv`` is the exact form its hash is taken of)."""
    return csv_safe(dictionary.to_frame()).to_csv(index=False)
