"""Plain-language summary of one patient's risk and its explanation.

Pure functions: numbers and the feature dictionary in, one English paragraph out. Example::

    Risk is high (34%, alert threshold 12%) mainly because Respiratory rate (max) was 32 /min
    (high; normal 12-20 /min) and SpO2 (min) was 88 % (low; normal 94-100 %). Age (78 years)
    lowers it.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from risklens.cohorts.dictionary import FeatureDictionary, LevelInfo

__all__ = ["risk_level", "format_percent", "describe_feature", "patient_summary"]


def format_percent(p: float) -> str:
    """0.342 -> '34%'; below 10% and above 99.5% one decimal ('0.8%', '2.2%', '99.6%')."""
    if p is None or not math.isfinite(float(p)):
        return "unknown"
    pct = 100.0 * float(p)
    if pct < 10.0 or pct >= 99.5:
        return f"{pct:.1f}%"
    return f"{pct:.0f}%"


def risk_level(risk: float, threshold: float) -> str:
    """'high' at or above the alert threshold, 'moderate' from half the threshold, else 'low'."""
    if risk >= threshold:
        return "high"
    if risk >= 0.5 * threshold:
        return "moderate"
    return "low"


def describe_feature(name: str, value: float, dictionary: FeatureDictionary) -> str:
    """'Respiratory rate (max) was 32 /min (high; normal 12-20 /min)'; a text column in its own words: 'Sex = F'."""
    info = dictionary.get_info(name)
    if isinstance(info, LevelInfo):
        return info.describe(value)
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return f"{info.label} was not recorded"
    unit = (info.unit or "").strip().lower()
    if unit and unit in info.label.lower().split():  # 'Pathology tests' in 'tests': '63 pathology tests'
        text = f"{info.label}: {_fmt_number(float(value))}"
    else:
        text = f"{info.label} was {info.format_value(float(value))}"
    status = info.status(float(value))
    rng = info.normal_range_text
    if status and rng:
        text += f" ({status}; normal {rng})" if status != "normal" else f" (within normal {rng})"
    return text


def _fmt_number(x: float) -> str:
    from risklens.cohorts.dictionary import _fmt

    return _fmt(x)


def mid_sentence(label: str) -> str:
    """'Respiratory rate' -> 'respiratory rate' inside a sentence; 'SpO2', 'AVPU score' stay as they are."""
    return label[:1].lower() + label[1:] if len(label) > 1 and label[1:2].islower() else label


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def patient_summary(
    risk: float,
    threshold: float,
    feature_names: Sequence[str],
    values: Sequence[float],
    attributions: Sequence[float],
    dictionary: FeatureDictionary,
    *,
    top: int = 3,
    method_label: str = "SHAP",
    trigger_label: str | None = None,
    stderr: Sequence[float] | None = None,
) -> str:
    """One paragraph: risk level against the threshold, the top risk-raising features with their
    values against normal ranges, the strongest risk-lowering feature, and the recorded trigger.

    ``attributions`` > 0 raise the risk. Features are ranked by |attribution|; only the ``top``
    largest are mentioned. With ``stderr`` (a sampling estimator's standard error per feature), a
    feature whose attribution is within two standard errors of zero is not called a driver.
    """
    names = list(feature_names)
    vals = np.asarray(values, dtype=np.float64)
    attr = np.asarray(attributions, dtype=np.float64)
    if not (len(names) == len(vals) == len(attr)):
        raise ValueError("feature_names, values and attributions must have the same length")
    level = risk_level(risk, threshold)
    head = f"Risk is {level} ({format_percent(risk)}, alert threshold {format_percent(threshold)})"
    order = np.argsort(-np.abs(attr), kind="stable")[: max(int(top), 0)]
    noise = np.zeros(len(attr), dtype=bool)
    if stderr is not None:
        se = np.asarray(stderr, dtype=np.float64)
        noise = np.isfinite(se) & (np.abs(attr) <= 2 * se)
    unsure = [i for i in order if noise[i]]
    order = [i for i in order if not noise[i]]
    raising = [i for i in order if attr[i] > 0]
    lowering = [i for i in order if attr[i] < 0]
    sentences = []
    if raising:
        why = _join([describe_feature(names[i], vals[i], dictionary) for i in raising])
        verb = "mainly because" if level != "low" else "; the features pushing it up most are:"
        if level != "low":
            sentences.append(f"{head} {verb} {why}.")
        else:
            sentences.append(f"{head}{verb} {why}.")
    else:
        sentences.append(f"{head}.")
    if lowering:
        low = _join([describe_feature(names[i], vals[i], dictionary) for i in lowering])
        sentences.append(f"Lowering it: {low}.")
    if not raising and not lowering:
        sentences.append(f"{method_label} attributes no feature a notable share of this risk.")
    if unsure:
        labels = _join([dictionary.label(names[i]) for i in unsure])
        sentences.append(f"{labels} {'is' if len(unsure) == 1 else 'are'} within the estimate's error of zero, "
                         "so not called a driver.")
    if trigger_label:
        sentences.append(f"The recorded alert trigger was {trigger_label}.")
    return " ".join(sentences)
