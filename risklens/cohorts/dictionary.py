"""The feature dictionary: what each column means in clinical terms.

Every feature of a cohort has one :class:`FeatureInfo`: its display label, unit, normal range
(where one exists), its *group* (the vital sign or concept it derives from -- ``spo2_min``,
``spo2_max`` and ``spo2_slope`` all belong to group ``spo2``; trigger concordance matches on the
group) and its *kind* (vital sign, lab, demographic, administrative, care process, ...).

Built-in cohorts ship complete dictionaries. User cohorts get inferred entries
(:func:`infer_dictionary`) that can be corrected in the dashboard or replaced by a CSV with the
columns of :data:`DICTIONARY_COLUMNS`.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError

KINDS = (
    "vital sign",
    "lab",
    "demographic",
    "administrative",
    "care process",
    "medication",
    "diagnosis",
    "other",
)
#: Kinds that describe the care process or administration rather than the patient's physiology.
#: A top attribution on one of these cannot match a recorded trigger (the study's "admin" features).
NON_CLINICAL_KINDS = frozenset({"administrative", "care process"})

DICTIONARY_COLUMNS = ("name", "label", "unit", "normal_low", "normal_high", "group", "kind", "description")


class DictionaryError(RiskLensError):
    """A feature dictionary (or a CSV meant to be one) is not valid."""


@dataclass(frozen=True)
class FeatureInfo:
    name: str
    label: str
    unit: str = ""
    normal_low: float | None = None
    normal_high: float | None = None
    group: str = ""
    kind: str = "other"
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DictionaryError(f"feature {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.group:
            object.__setattr__(self, "group", self.name)

    @property
    def is_clinical(self) -> bool:
        return self.kind not in NON_CLINICAL_KINDS

    @property
    def normal_range_text(self) -> str:
        lo, hi = self.normal_low, self.normal_high
        unit = f" {self.unit}" if self.unit else ""
        if lo is not None and hi is not None:
            return f"{_fmt(lo)}-{_fmt(hi)}{unit}"
        if lo is not None:
            return f">= {_fmt(lo)}{unit}"
        if hi is not None:
            return f"<= {_fmt(hi)}{unit}"
        return ""

    def status(self, value: float) -> str:
        """'low', 'high', 'normal' or '' (no range, or missing value)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if self.normal_low is None and self.normal_high is None:
            return ""
        if self.normal_low is not None and value < self.normal_low:
            return "low"
        if self.normal_high is not None and value > self.normal_high:
            return "high"
        return "normal"

    def format_value(self, value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not recorded"
        unit = f" {self.unit}" if self.unit and self.unit not in ("0/1", "category") else ""
        return f"{_fmt(value)}{unit}"


NOT_RECORDED = "not recorded"
OTHER_LEVEL = "other"


@dataclass(frozen=True)
class LevelInfo(FeatureInfo):
    """A text column (or one of its 0/1 columns) whose values are codes read as words.

    ``texts[i]`` is the word of code ``i`` (a yes/no or two-valued column: code = its 0/1 value; a category:
    code = position of its level); a missing value reads "not recorded", any other code "other". Built by
    :func:`risklens.modeling.encoded.words_dictionary`; it has no normal range and no low/high status."""

    texts: tuple[str, ...] = ()

    def format_value(self, value: float) -> str:
        if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
            return NOT_RECORDED
        code = int(value) if float(value) == int(value) else -1
        return self.texts[code] if 0 <= code < len(self.texts) else OTHER_LEVEL

    def status(self, value: float) -> str:
        return ""

    def describe(self, value: float) -> str:
        """'Sex = F', 'MGUS = not recorded'."""
        return f"{self.label} = {self.format_value(value)}"


def _fmt(x: float) -> str:
    x = float(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


class FeatureDictionary(Mapping[str, FeatureInfo]):
    """An ordered, immutable mapping from feature name to :class:`FeatureInfo`."""

    def __init__(self, entries: Iterable[FeatureInfo]):
        self._entries: dict[str, FeatureInfo] = {}
        self._hash: str | None = None
        for e in entries:
            if e.name in self._entries:
                raise DictionaryError(f"feature {e.name!r} appears twice in the dictionary")
            self._entries[e.name] = e

    def __getitem__(self, name: str) -> FeatureInfo:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"FeatureDictionary({len(self)} features)"

    @property
    def hash(self) -> str:
        """SHA-256 of the entries: results that read labels, groups or kinds depend on it (computed once: the
        dictionary never changes; pages look it up on every rerun)."""
        if getattr(self, "_hash", None) is None:
            self._hash = hashlib.sha256(self.to_csv().encode()).hexdigest()
        return self._hash

    def get_info(self, name: str) -> FeatureInfo:
        """The entry for ``name``, or a neutral inferred one if the dictionary does not know it."""
        return self._entries.get(name) or FeatureInfo(name=name, label=_humanise(name))

    def label(self, name: str) -> str:
        return self.get_info(name).label

    def labels(self, names: Iterable[str]) -> list[str]:
        return [self.label(n) for n in names]

    def group(self, name: str) -> str:
        return self.get_info(name).group

    def groups(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self.group(n) for n in names], dtype=object)

    def group_label(self, group: str) -> str:
        """Readable name of a group ('resp_rate' -> 'Respiratory rate'): the label of the feature named like the
        group, else what the labels of its features share once the statistic is removed ('Min respiratory
        rate', 'Slope of respiratory rate' -> 'Respiratory rate'), else the humanised group name."""
        group = str(group)
        if group in self._entries:
            return self._entries[group].label
        cores = {_label_core(e.label) for e in self._entries.values() if e.group == group}
        if len(cores) == 1:
            core = cores.pop()
            if core:
                return core[:1].upper() + core[1:]
        return _humanise(group)

    def is_clinical(self, name: str) -> bool:
        return self.get_info(name).is_clinical

    def subset(self, names: Iterable[str]) -> "FeatureDictionary":
        return FeatureDictionary(self.get_info(n) for n in names)

    def with_entry(self, info: FeatureInfo) -> "FeatureDictionary":
        entries = dict(self._entries)
        entries[info.name] = info
        return FeatureDictionary(entries.values())

    def updated(self, other: "FeatureDictionary") -> "FeatureDictionary":
        """This dictionary with every entry that ``other`` also has replaced by ``other``'s."""
        return FeatureDictionary(other._entries.get(n, e) for n, e in self._entries.items())

    # ---- tabular form -------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per feature; a missing normal bound is NaN (a number column, shown empty, never "None")."""
        out = pd.DataFrame([asdict(e) for e in self._entries.values()], columns=list(DICTIONARY_COLUMNS))
        for col in ("normal_low", "normal_high"):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
        return out

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "FeatureDictionary":
        missing = [c for c in ("name", "label") if c not in frame.columns]
        if missing:
            raise DictionaryError(
                f"the dictionary needs the columns {', '.join(DICTIONARY_COLUMNS)}; missing: {', '.join(missing)}"
            )
        entries = []
        for i, row in enumerate(frame.to_dict("records"), start=1):
            name = _clean_str(row.get("name"))
            if not name:
                raise DictionaryError(f"dictionary row {i}: the name is empty")
            kind = _clean_str(row.get("kind")) or "other"
            if kind not in KINDS:
                raise DictionaryError(f"dictionary row {i} ({name}): kind {kind!r} is not one of {', '.join(KINDS)}")
            lo, hi = _clean_num(row.get("normal_low"), i, name), _clean_num(row.get("normal_high"), i, name)
            if lo is not None and hi is not None and lo > hi:
                raise DictionaryError(f"dictionary row {i} ({name}): normal_low {lo} is above normal_high {hi}")
            entries.append(
                FeatureInfo(
                    name=name,
                    label=_clean_str(row.get("label")) or _humanise(name),
                    unit=_clean_str(row.get("unit")),
                    normal_low=lo,
                    normal_high=hi,
                    group=_clean_str(row.get("group")) or name,
                    kind=kind,
                    description=_clean_str(row.get("description")),
                )
            )
        return cls(entries)

    def to_csv(self) -> str:
        return self.to_frame().to_csv(index=False)

    @classmethod
    def from_csv(cls, source: str | bytes | io.IOBase) -> "FeatureDictionary":
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        elif isinstance(source, str) and "\n" in source:  # CSV text (as written by to_csv), not a path
            source = io.StringIO(source)
        try:
            frame = pd.read_csv(source)
        except Exception as exc:  # pandas raises many types for unreadable text
            raise DictionaryError(f"could not read the dictionary CSV: {exc}") from None
        return cls.from_frame(frame)

    def to_records(self) -> list[dict]:
        return [asdict(e) for e in self._entries.values()]

    @classmethod
    def from_records(cls, records: Iterable[Mapping]) -> "FeatureDictionary":
        return cls.from_frame(pd.DataFrame(list(records)))


def _clean_str(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _clean_num(v, row: int, name: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise DictionaryError(f"dictionary row {row} ({name}): {v!r} is not a number") from None
    return None if math.isnan(f) else f


def _humanise(name: str) -> str:
    text = re.sub(r"[_\-.]+", " ", str(name)).strip()
    return text[:1].upper() + text[1:] if text else str(name)


_ADMIN_PATTERN = re.compile(r"(^|_)(los|length_of_stay|n_obs|num_|count|visits?|admissions?|stays?)(_|$)", re.I)
_DEMOGRAPHIC_PATTERN = re.compile(r"(^|_)(age|sex|gender|race|ethnicity|bmi)(_|$)", re.I)


def infer_dictionary(frame: pd.DataFrame, features: Iterable[str] | None = None) -> FeatureDictionary:
    """Neutral entries for a user's columns: a readable label, kind guessed from the name.

    Nothing clinical is invented: no units and no normal ranges (the user adds them).
    """
    names = list(features) if features is not None else list(frame.columns)
    entries = []
    for n in names:
        if _DEMOGRAPHIC_PATTERN.search(n):
            kind = "demographic"
        elif _ADMIN_PATTERN.search(n):
            kind = "administrative"
        else:
            kind = "other"
        entries.append(FeatureInfo(name=n, label=_humanise(n), kind=kind, group=_base_group(n)))
    return FeatureDictionary(entries)


_STAT_WORDS = re.compile(r"^(min|max|mean|average|median|sd of|std of|number of|slope of|trend of)\s+", re.I)


def _label_core(label: str) -> str:
    """'Min respiratory rate' -> 'respiratory rate'; 'Number of SpO2 readings' -> 'SpO2'."""
    core = _STAT_WORDS.sub("", str(label).strip())
    core = re.sub(r"\s+readings$", "", core)
    core = re.sub(r"\s*\((min|max|mean|sd|slope|count)\)$", "", core, flags=re.I)
    return core


_STAT_SUFFIX = re.compile(r"_(min|max|mean|median|std|sd|count|slope|first|last|range)$", re.I)


def _base_group(name: str) -> str:
    """``spo2_min`` -> ``spo2``: derived statistics share their source's group."""
    return _STAT_SUFFIX.sub("", name) or name


def replace_entry(info: FeatureInfo, **changes) -> FeatureInfo:
    return replace(info, **changes)
