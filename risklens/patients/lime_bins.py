"""Where a LIME ranking comes from, in plain words.

Tabular LIME does not weigh a patient's exact value: it asks whether each feature falls in the same
quarter (quartile bin) of the reference patients as this patient's value, and how much the risk
changes when that feature is swapped for a value drawn from another quarter. For a feature that is
the same for most patients (a zero slope, a count of 0) the patient's bin holds most of the cohort,
the alternative bins hold the unusual values, and LIME can rank the feature high although the
patient's own value is ordinary. :func:`lime_bin` describes the bin; :func:`disagreement_note`
writes the sentence the Patients page shows when LIME's top feature is not SHAP's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import FeatureDictionary, LevelInfo, _fmt
from risklens.explain._common import column_medians, impute
from risklens.explain.lime_batched import QuartileStats
from risklens.metrics.consistency import top_k

__all__ = ["LimeBin", "lime_bin", "disagreement_note", "METHODS_HELP"]

METHODS_HELP = (
    "SHAP splits the model's score for this patient exactly into one share per measurement, measured from the "
    "average patient; LIME fits a simple model to many made-up variations of this patient, asking only whether "
    "each measurement falls in the same quarter of the cohort as this patient's. Because LIME works with "
    "quarters and random variations, the two can rank measurements differently, most often for measurements "
    "that are the same in most patients."
)


@dataclass
class LimeBin:
    feature: str
    text: str  # "0 levels/h or less"
    share: float  # share of reference patients in the same bin (0..1)
    n_bins: int


def _unit(dictionary: FeatureDictionary, feature: str) -> str:
    u = dictionary.get_info(feature).unit
    return f" {u}" if u and u not in ("0/1", "category") else ""


def lime_bin(feature: str, value: float, background: pd.DataFrame, dictionary: FeatureDictionary) -> LimeBin:
    """The quartile bin LIME puts ``value`` of ``feature`` in, computed as LIME does from ``background``."""
    B = background[[feature]].to_numpy(dtype=np.float64)
    B = impute(B, column_medians(B))
    stats = QuartileStats.of(B)
    q = stats.quartiles[0]
    v = float(column_medians(B)[0]) if value is None or np.isnan(value) else float(value)
    b = int(stats.discretize(np.array([[v]]))[0, 0])
    u = _unit(dictionary, feature)
    if len(q) == 0:
        text = "any value"
    elif b == 0:
        text = f"{_fmt(q[0])}{u} or less"
    elif b == len(q):
        text = f"above {_fmt(q[-1])}{u}"
    else:
        text = f"between {_fmt(q[b - 1])} and {_fmt(q[b])}{u}"
    bins = stats.discretize(B)[:, 0]
    return LimeBin(feature=feature, text=text, share=float(np.mean(bins == b)), n_bins=len(q) + 1)


def disagreement_note(feature_names, values, shap_attr, lime_attr, background: pd.DataFrame,
                      dictionary: FeatureDictionary) -> str:
    """One plain paragraph on why LIME's top feature differs from SHAP's ('' when they agree)."""
    names = list(feature_names)
    a, b = np.asarray(shap_attr, dtype=np.float64), np.asarray(lime_attr, dtype=np.float64)
    if not len(a) or not len(b):
        return ""
    ja, jb = int(top_k(a, 1)[0]), int(top_k(b, 1)[0])
    if ja == jb:
        return ""
    fb = names[jb]
    info_a, info_b = dictionary.get_info(names[ja]), dictionary.get_info(fb)
    bin_ = lime_bin(fb, float(values[jb]), background, dictionary)
    direction = "raises" if b[jb] > 0 else "lowers"
    if isinstance(info_b, LevelInfo):  # a 0/1 column of a text column: its level, not a numeric range
        note = (f"LIME's top feature is {info_b.describe(float(values[jb]))}, shared by {bin_.share:.0%} of reference "
                f"patients; LIME says having that value {direction} the risk. ")
    else:
        note = (f"LIME's top feature is {info_b.label} being {bin_.text} (this patient: "
                f"{info_b.format_value(float(values[jb]))}), a range shared by {bin_.share:.0%} of reference patients; "
                f"LIME says being in that range {direction} the risk. ")
    if bin_.share >= 0.5:
        note += ("Because most patients share this range, LIME's comparison is with the few unusual values outside "
                 "it, not with a change a clinician would expect for this patient. ")
    note += (f"SHAP's top feature is {info_a.label} ({info_a.format_value(float(values[ja]))}), weighed by its "
             "actual value. Trust the features both methods rank high.")
    return note
