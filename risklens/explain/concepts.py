"""Concept-level attributions: the players are clinical concepts, not columns.

A *concept* is a group of the feature dictionary (``FeatureInfo.group``): every summary of one vital sign
(min, max, mean, SD, count, slope of respiratory rate -> "Respiratory rate"), the 0/1 columns of one text
column, or one feature on its own (age, sex, length of stay, number of observation sets).
:func:`concepts_of` reads them from a dictionary; :func:`explain_concepts` gives an :class:`Explanation`
whose ``feature_names`` are the concept (group) names and whose ``params["concepts"]`` maps each concept to
its features.

**Group Shapley values.** For a Shapley method the concept is ONE player of the same game as the feature-level
method, so a concept's value counts its features' interactions with each other once, as a whole:

- SHAP on XGBoost: exact group TreeSHAP under TreeSHAP's own path-dependent (cover-weighted) value function
  (:func:`risklens.explain.treeshap.group_tree_shap`: the feature-level algorithm with the splits of one concept
  sharing one player); checked against enumeration of all coalitions of concepts.
- SHAP on the L1 logistic model: the interventional game of linear SHAP is additive, so the group Shapley value
  is exactly the sum of the concept's feature values (checked against enumeration).
- SHAP on the MLP (and imported models): the same interventional game over the same background, estimated by
  permutation sampling over concepts (each walk switches a concept's features together), with standard errors.
- Coefficients and Deep Taylor (LRP) are additive decompositions without a coalition game: a concept's value is
  the sum of its features' values (for coef this is also the exact group Shapley value).
- LIME fits a linear surrogate on per-feature switches; its concept value is the sum of the surrogate's weights
  over the concept's features (the surrogate's change when every feature of the concept is switched), not a
  Shapley value.

**How group Shapley differs from the sum of feature values.** Write the game as a sum of interaction terms
(Harsanyi dividends), one per set ``T`` of features. A feature's Shapley value takes an equal share ``1/|T|`` of
each term it is in, so the sum over a concept's ``k`` features takes ``k/|T|`` of a term -- a share in proportion to
its number of features -- while the group Shapley value gives every concept in ``T`` an equal share,
``1/(number of concepts in T)``. The two agree on every term in which each concept involved brings the same number
of features (terms inside one concept; pairwise interactions between two concepts; every term of an additive model),
and differ on the rest: the sum favours concepts with many features (blood pressure has 18, age one). So the sum is
exact for linear models and interaction-free models, and a fair stand-in where :func:`concept_gap` is small; the
group value is the one that treats "her breathing" as a single cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.explain._common import check_frame, model_fingerprint
from risklens.explain.base import Explanation, ExplainError
from risklens.explain.registry import method as method_spec
from risklens.explain.shap_adapter import _agnostic_shap, _mlp_shap, _no_params
from risklens.explain.store import ExplanationStore, cache_key
from risklens.explain.treeshap import group_tree_shap

#: How each method's concept value is computed, in words (shown on the pages and in the report).
CONCEPT_ALGORITHMS = {
    "group-tree-exact": "exact group TreeSHAP (path-dependent value function, each concept one player)",
    "group-linear-exact": "exact: the linear model's game is additive, so group Shapley = sum of feature values",
    "group-permutation": "group Shapley by permutation sampling over concepts (interventional, same background), "
                         "with standard errors",
    "sum": "sum of the concept's feature values (the method has no coalition game)",
}


@dataclass(frozen=True)
class Concepts:
    """Concept names (dictionary groups, in order of first feature), labels, and each feature's concept index."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    features: tuple[str, ...]
    index: tuple[int, ...]  # concept position of each feature

    @property
    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.names}
        for f, i in zip(self.features, self.index):
            out[self.names[i]].append(f)
        return out

    def matrix(self) -> np.ndarray:
        """(features, concepts) 0/1 matrix."""
        out = np.zeros((len(self.features), len(self.names)))
        out[np.arange(len(self.features)), list(self.index)] = 1.0
        return out

    def label(self, name: str) -> str:
        return self.labels[self.names.index(name)]


def concepts_of(feature_names, dictionary) -> Concepts:
    """The concepts of these features from the dictionary's groups (a feature it does not know is its own)."""
    names: list[str] = []
    index = []
    for f in feature_names:
        g = str(dictionary.group(f)) if dictionary is not None else str(f)
        if g not in names:
            names.append(g)
        index.append(names.index(g))
    labels = tuple(dictionary.group_label(g) if dictionary is not None else g for g in names)
    return Concepts(tuple(names), labels, tuple(map(str, feature_names)), tuple(index))


def concept_algorithm(method: str, family: str) -> str:
    """Key of :data:`CONCEPT_ALGORITHMS` used for ``method`` on a ``family`` model."""
    if method == "shap":
        return {"xgboost": "group-tree-exact", "l1-logistic": "group-linear-exact"}.get(family, "group-permutation")
    return "sum"


def sum_to_concepts(expl: Explanation, concepts: Concepts, algorithm: str = "sum") -> Explanation:
    """A feature-level explanation summed per concept (values, and stderr in quadrature as if independent)."""
    if list(expl.feature_names) != list(concepts.features):
        raise ExplainError("the explanation's features are not the concepts' features")
    P = concepts.matrix()
    stderr = None if expl.stderr is None else np.sqrt((expl.stderr ** 2) @ P)
    return _concept_explanation(expl.values @ P, expl.base_values, expl, concepts, algorithm, stderr)


def explain_concepts(model, X: pd.DataFrame, method: str, dictionary, *, seed: int = 0, **params) -> Explanation:
    """Concept attributions of the rows of ``X`` by ``method`` (see the module text for each method's value)."""
    from risklens.explain import explain  # the package's entry point (the registry is filled there)

    spec = method_spec(method)
    if model.family not in spec.families:
        return explain(model, X, method, seed=seed, **params)  # raises the registry's message
    concepts = concepts_of(model.feature_names, dictionary)
    algorithm = concept_algorithm(method, model.family)
    if algorithm in ("sum", "group-linear-exact"):
        return sum_to_concepts(explain(model, X, method, seed=seed, **params), concepts, algorithm)
    if algorithm == "group-tree-exact":
        return _tree_concepts(model, X, concepts, seed, params)
    return _sampled_concepts(model, X, concepts, seed, params)


def _tree_concepts(model, X, concepts, seed, params) -> Explanation:
    _no_params(params, "shap on xgboost")
    M, ids = check_frame(model, X)
    values, base = group_tree_shap(model.booster, M, concepts.index)
    proto = Explanation(values=np.zeros_like(M), base_values=base, data=M, feature_names=model.feature_names,
                        method="shap", model_id=model_fingerprint(model), output="log-odds", ids=ids,
                        params={"algorithm": "tree-exact", "seed": int(seed)})
    return _concept_explanation(values, proto.base_values, proto, concepts, "group-tree-exact", None)


def _sampled_concepts(model, X, concepts, seed, params) -> Explanation:
    M, ids = check_frame(model, X)
    players = list(concepts.index)
    if model.family == "mlp":
        values, base, used, stderr = _mlp_shap(model, X, M, int(seed), players=players, **params)
    else:
        values, base, used = _agnostic_shap(model, X, M, int(seed), players=players, **params)
        stderr = None
    proto = Explanation(values=np.zeros_like(M), base_values=base, data=M, feature_names=model.feature_names,
                        method="shap", model_id=model_fingerprint(model), output="log-odds", ids=ids, params=used)
    return _concept_explanation(values, proto.base_values, proto, concepts, "group-permutation", stderr)


def _concept_explanation(values, base, feature_expl: Explanation, concepts: Concepts, algorithm: str,
                         stderr) -> Explanation:
    params = dict(feature_expl.params, players="concepts", concept_algorithm=algorithm, concepts=concepts.members,
                  concept_labels=dict(zip(concepts.names, concepts.labels)))
    data = np.full(np.shape(values), np.nan)  # a concept of several features has no one value
    for i, name in enumerate(concepts.names):
        members = [j for j, c in enumerate(concepts.index) if c == i]
        if len(members) == 1:
            data[:, i] = feature_expl.data[:, members[0]]
    return Explanation(values=values, base_values=base, data=data,
                       feature_names=list(concepts.names), method=feature_expl.method, model_id=feature_expl.model_id,
                       output=feature_expl.output, ids=feature_expl.ids, params=params, stderr=stderr)


def is_concept_explanation(expl: Explanation) -> bool:
    return expl.params.get("players") == "concepts"


def concept_labels(expl: Explanation) -> list[str]:
    """Readable names of a concept explanation's players (the concept names if it carries none)."""
    labels = expl.params.get("concept_labels") or {}
    return [str(labels.get(n, n)) for n in expl.feature_names]


def concept_gap(group: Explanation, summed: Explanation) -> np.ndarray:
    """Per row: max |group Shapley - sum of feature values| / sum |group Shapley| (0 = the sum is exact)."""
    diff = np.abs(group.values - summed.values).max(1)
    return diff / np.maximum(np.abs(group.values).sum(1), 1e-12)


def cached_explain_concepts(model, X: pd.DataFrame, method: str, dictionary, *, seed: int = 0,
                            store: ExplanationStore | None = None, **params) -> Explanation:
    """The stored concept explanation for exactly these inputs and concepts if there is one, else compute and save it."""
    store = store if store is not None else ExplanationStore()
    concepts = concepts_of(model.feature_names, dictionary)
    key, desc = cache_key(model, X, method, seed, {**params, "concepts (players)": concepts.members})
    found = store.get(method, key)
    if found is not None:
        return found
    expl = explain_concepts(model, X, method, dictionary, seed=seed, **params)
    store.put(method, key, expl, desc)
    return expl


def model_dictionary(model, dictionary=None):
    """The dictionary whose groups are a model's concepts: ``dictionary`` if given; else the built-in cohort
    dictionary that knows every feature; else entries inferred from the names (a text column's 0/1 columns
    grouped under the column, ``hr_min`` / ``hr_max`` under ``hr``)."""
    from risklens.cohorts import BUILTIN_COHORTS, builtin_dictionary
    from risklens.cohorts.dictionary import infer_dictionary, replace_entry

    if dictionary is not None:
        return dictionary
    names = list(model.feature_names)
    for name in BUILTIN_COHORTS:
        known = builtin_dictionary(name)
        if all(n in known for n in names):
            return known.subset(names)
    inferred = infer_dictionary(pd.DataFrame(columns=names))
    sources = model.contract.sources() if getattr(model, "contract", None) is not None else {}
    for n in names:
        if sources.get(n, n) != n:
            inferred = inferred.with_entry(replace_entry(inferred[n], group=sources[n]))
    return inferred


def concept_dictionary(dictionary, concepts: Concepts):
    """A dictionary of the concepts themselves (name = group, the group's label; a one-feature concept keeps its
    feature's unit and range). A concept is non-clinical only when all its features are (so "SpO2" stays a vital
    sign although the count of SpO2 readings is a care-process feature)."""
    from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo, replace_entry

    entries = []
    for name, label in zip(concepts.names, concepts.labels):
        infos = [dictionary.get_info(f) for f in concepts.members[name]]
        if len(infos) == 1:
            entries.append(replace_entry(infos[0], name=name, label=label, group=name))
            continue
        clinical = [i for i in infos if i.is_clinical]
        kind = (clinical or infos)[0].kind
        entries.append(FeatureInfo(name=name, label=label, group=name, kind=kind,
                                   description=f"{len(infos)} features: " + ", ".join(i.label for i in infos)))
    return FeatureDictionary(entries)
