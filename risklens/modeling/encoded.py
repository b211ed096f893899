"""Encoded columns back to their original column: the one home of that mapping.

A user file's text columns enter a model as 0/1 columns (:class:`~risklens.modeling.contract.InputContract`):
a two-valued column as one ``<col>_<level>`` column, a category as one per level. Everything a person reads
speaks of the original column and its level ("Sex = F", "Stage = III", "not recorded"):

- :func:`group_onehot`: attributions summed per original column (Table 1, the Cohort explanations page, the
  Patients page, score exports); a text column's ``data`` holds its *level code*;
- :func:`level_codes` / :func:`level_words`: for encoded rows, the original column's level as a code / as text;
- :func:`column_levels`: the level text of every row of the model matrix (subgroups);
- :func:`encode_level`: the 0/1 values of one level (what-if, partial dependence per level);
- :func:`words_dictionary`: the feature dictionary extended so that every label and value reads as words.

Codes: a two-valued column's code is its 0/1 value (0 = the other level, 1 = the level it is named after); a
category's code is the position of its level in ``ColumnSpec.levels``; no level set ("other", a category unseen
in training) is :data:`OTHER_CODE`; a missing value is NaN ("not recorded").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import NOT_RECORDED, OTHER_LEVEL, FeatureDictionary, LevelInfo
from risklens.modeling.contract import FALSE_WORDS, ColumnSpec, InputContract, _yes_no, level_slug

__all__ = ["OTHER_CODE", "text_specs", "level_words", "level_codes", "column_levels", "encode_level",
           "code_text", "present_levels", "grouping", "group_values", "group_onehot", "raw_label", "words_dictionary"]

OTHER_CODE = -1.0


def text_specs(contract: InputContract | None) -> dict[str, ColumnSpec]:
    """The text columns (two-valued and categories) of a contract, by original column name."""
    if contract is None:
        return {}
    return {c.name: c for c in contract.columns if c.kind != "numeric" and c.outputs}


def _positive(spec: ColumnSpec) -> str:
    return next((v for v in spec.levels if f"{spec.name}_{level_slug(v)}" == spec.outputs[0]), spec.levels[-1])


def level_words(spec: ColumnSpec) -> list[str]:
    """The words of a text column's codes, in code order (a yes/no column: ``["no", "yes"]``)."""
    if spec.kind != "binary":
        return list(spec.levels)
    pos = _positive(spec)
    if _yes_no(list(spec.levels)):
        neg = next((v for v in spec.levels if v.lower() in FALSE_WORDS), "no")
        if len(spec.levels) > 2:  # several spellings (yes, Yes, y ...): the plain words
            return ["no", "yes"]
        return [neg, pos]
    neg = next((v for v in spec.levels if v != pos), OTHER_LEVEL)
    return [neg, pos]


def level_codes(spec: ColumnSpec, block: np.ndarray) -> np.ndarray:
    """The level code of each row of a text column's 0/1 columns ``block`` (n, len(outputs))."""
    block = np.asarray(block, dtype=np.float64).reshape(-1, len(spec.outputs))
    if spec.kind == "binary":
        return block[:, 0].copy()
    missing = np.isnan(block).any(axis=1)
    filled = np.nan_to_num(block)
    codes = np.where(filled.sum(axis=1) > 0, np.argmax(filled, axis=1).astype(np.float64), OTHER_CODE)
    codes[missing] = np.nan
    return codes


def code_text(spec: ColumnSpec, code: float) -> str:
    """The word of one code ("F", "not recorded", "other")."""
    if code is None or np.isnan(code):
        return NOT_RECORDED
    words = level_words(spec)
    return words[int(code)] if 0 <= code < len(words) and code == int(code) else OTHER_LEVEL


def column_levels(contract: InputContract, X: pd.DataFrame, column: str) -> np.ndarray:
    """The level (text) of original column ``column`` in every row of the model matrix ``X``."""
    spec = text_specs(contract)[column]
    codes = level_codes(spec, X[list(spec.outputs)].to_numpy(dtype=np.float64))
    return np.array([code_text(spec, c) for c in codes], dtype=object)


def present_levels(spec: ColumnSpec) -> list[str]:
    """The levels a person can choose for a text column: its words, then "not recorded" (unless a blank is already
    one of its levels)."""
    words = level_words(spec)
    return words + ([] if NOT_RECORDED in words else [NOT_RECORDED])


def encode_level(spec: ColumnSpec, level: str) -> dict[str, float]:
    """The model's 0/1 values for one level of a text column ("not recorded": all missing; "other": all 0)."""
    words = level_words(spec)
    if level == NOT_RECORDED and level not in words:  # a blank that is not a level of its own: missing
        return {o: np.nan for o in spec.outputs}
    if spec.kind == "binary":
        if level not in words:
            raise ValueError(f"{level!r} is not a level of {spec.name!r} ({', '.join(words)})")
        return {spec.outputs[0]: float(words.index(level))}
    if level == OTHER_LEVEL and level not in words:
        return {o: 0.0 for o in spec.outputs}
    if level not in words:
        raise ValueError(f"{level!r} is not a level of {spec.name!r} ({', '.join(words)})")
    return {o: float(i == words.index(level)) for i, o in enumerate(spec.outputs)}


# ---- one bar per original column ------------------------------------------------------------------
def grouping(contract: InputContract | None, feature_names) -> tuple[list[str], np.ndarray]:
    """Original column names (in order of first appearance) and the 0/1 matrix (f, g) that sums a model's
    columns into them; a column the contract does not know stays as it is."""
    sources = contract.sources() if contract is not None else {}
    names = list(feature_names)
    raw = list(dict.fromkeys(sources.get(n, n) for n in names))
    pos = {r: i for i, r in enumerate(raw)}
    M = np.zeros((len(names), len(raw)))
    for j, n in enumerate(names):
        M[j, pos[sources.get(n, n)]] = 1.0
    return raw, M


def group_values(values, feature_names, contract: InputContract | None) -> tuple[list[str], np.ndarray]:
    """Attributions (n, f) or (f,) summed per original column (they add up: the row sums are unchanged)."""
    raw, M = grouping(contract, feature_names)
    return raw, np.asarray(values, dtype=np.float64) @ M


def group_onehot(explanation, contract: InputContract, dictionary=None):
    """Attributions summed per original column (the sum of a category's 0/1 columns), labelled from the
    dictionary when one is given (else named by the original column).

    Returns an Explanation over the original columns; ``data`` of a text column is its level code (see the module
    docstring). Additivity is kept: the row sums are unchanged; a standard error is combined as the root of the
    summed squares.
    """
    from risklens.explain import Explanation

    names = list(explanation.feature_names)
    raw, M = grouping(contract, names)
    specs = text_specs(contract)
    data = np.full((len(explanation), len(raw)), np.nan)
    for g, r in enumerate(raw):
        if r in specs and all(o in names for o in specs[r].outputs):
            data[:, g] = level_codes(specs[r], explanation.data[:, [names.index(o) for o in specs[r].outputs]])
        elif r in names:
            data[:, g] = explanation.data[:, names.index(r)]
    stderr = None if explanation.stderr is None else np.sqrt(np.square(explanation.stderr) @ M)
    labels = raw if dictionary is None else [raw_label(dictionary, contract, r) for r in raw]
    params = dict(explanation.params, grouped="one-hot columns summed per raw column")
    return Explanation(values=explanation.values @ M, base_values=explanation.base_values, data=data,
                       feature_names=labels, method=explanation.method, model_id=explanation.model_id,
                       output=explanation.output, ids=explanation.ids, params=params, stderr=stderr)


def raw_label(dictionary: FeatureDictionary, contract: InputContract | None, raw_name: str) -> str:
    """The dictionary's label of an original column; for a text column, its first 0/1 column's label without
    the level ("Sex: M" -> "Sex")."""
    spec = text_specs(contract).get(raw_name)
    if raw_name in dictionary or spec is None or spec.outputs[0] == raw_name:
        return str(dictionary.label(raw_name))
    label = str(dictionary.label(spec.outputs[0]))
    return label.rsplit(": ", 1)[0] if ": " in label else str(dictionary.label(raw_name))


def words_dictionary(dictionary: FeatureDictionary, contract: InputContract | None) -> FeatureDictionary:
    """``dictionary`` with entries that read text columns as words: the original column of every text column
    (its value a level code: ``format_value`` gives "F", "not recorded"), and each 0/1 column (a two-valued
    column's reads its own levels, "F"/"M"; a category's one reads "yes"/"no"). Numeric entries are unchanged."""
    specs = text_specs(contract)
    if not specs:
        return dictionary
    entries = {n: dictionary[n] for n in dictionary}
    for name, spec in specs.items():
        first = dictionary.get_info(spec.outputs[0])
        label = raw_label(dictionary, contract, name)
        common = {"group": first.group, "kind": first.kind, "description": first.description}
        entries[name] = LevelInfo(name=name, label=label, texts=tuple(level_words(spec)), **common)
        for out in spec.outputs:
            info = dictionary.get_info(out)
            if spec.kind == "binary":
                entries[out] = LevelInfo(name=out, label=label, texts=tuple(level_words(spec)), **common)
            else:
                entries[out] = LevelInfo(name=out, label=info.label, texts=("no", "yes"), group=info.group,
                                         kind=info.kind, description=info.description)
    return FeatureDictionary(entries.values())

