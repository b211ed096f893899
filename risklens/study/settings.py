"""The protocol's settings: one typed, frozen record with documented defaults, stored in every report."""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass

from risklens.errors import RiskLensError

#: The study's methods per model family, plus LIME for every family (as RiskLens adds), and on the L1 model also
#: ``lime-local`` (continuous, sampled around the patient), the variant that recovers the model's exact answer
#: (docs/ARCHITECTURE.md, "LIME variants"); on other families it runs when asked (``--methods lime-local``): it costs
#: as much as LIME itself. Other families (imported models) get :data:`STUDY_OTHER_METHODS`.
STUDY_METHODS: dict[str, tuple[str, ...]] = {
    "l1-logistic": ("coef", "lime", "lime-local"), "xgboost": ("shap", "lime"), "mlp": ("shap", "dtd", "lime"),
}
STUDY_OTHER_METHODS = ("shap", "lime")
#: The study's importance method: the one its cross-model figures and the Rashomon spread are published for.
STUDY_IMPORTANCE = "shap"


class EvaluationError(RiskLensError):
    """The protocol cannot run on this cohort / these settings (the message says what to change)."""


@dataclass(frozen=True)
class ExplainerKey:
    """One explainer of the protocol: a model family and a method on it."""

    family: str
    method: str

    def __str__(self) -> str:
        return f"{self.family}/{self.method}"

    @property
    def label(self) -> str:
        """'XGBoost · SHAP': the family label and the method's short name from the registries."""
        from risklens.explain import method
        from risklens.families import FAMILY_LABELS

        return f"{FAMILY_LABELS.get(self.family, self.family)} · {method(self.method).short}"


@dataclass(frozen=True)
class ProtocolSettings:
    """Everything that decides the protocol's numbers (with the cohort and the seed).

    - ``families``: model families trained (``runs`` times each, one model seed per run).
    - ``methods``: method names ("shap") or family/method keys ("mlp/dtd"); empty = the study's
      (:data:`STUDY_METHODS`).
    - ``runs``: training runs per family (the study: 5).
    - ``k``: top-k of the agreement metrics (the study: 5); agreement matrices are also computed at
      every k of ``agreement_ks``.
    - ``max_patients``: cap on patients (and cohort rows) explained by slow methods (LIME, permutation
      SHAP); ``max_cohort``: cap on held-out rows for the cohort-level tables of fast methods.
    - ``budgets``: per-method parameter overrides ({"lime": {"num_samples": 500}}); empty = the
      method registry's ``defaults``.
    - ``model_params``: per-family hyper-parameter overrides ({"xgboost": {"n_estimators": 50}});
      empty = the training defaults.
    - ``background_rows``: training rows sampled as the reference data of sampling methods.
    - ``stability_patients`` / ``stability_repeats``: LIME stability (same patients, repeated seeds).
    - ``noise_seeds``: explainer seeds per stochastic method on the run-1 model (the noise floor).
    - ``faithfulness_patients``: patients in the deletion / insertion curves.
    - ``rashomon`` / ``rashomon_margin`` / ``rashomon_seeds``: the optional Rashomon set.
    - ``conformal_alpha``: error rate of the conformal prediction sets of each family's run-1 model
      (sets cover the true outcome for at least 1 - alpha of patients).
    - ``trust``: run the trust checks (sanity checks, the random-explainer control, complexity, removal
      faithfulness and sensitivity, subgroups) on ``trust_patients`` analysed patients per explainer.
    - ``subgroup_columns``: cohort columns whose groups are compared (beside sex and age band when present).
    - ``seed``: the one seed every stream of the seed plan is spawned from.
    """

    families: tuple[str, ...] = ("l1-logistic", "mlp", "xgboost")
    methods: tuple[str, ...] = ()
    runs: int = 5
    k: int = 5
    agreement_ks: tuple[int, ...] = (1, 3, 5, 10)
    max_patients: int = 100
    max_cohort: int = 2000
    budgets: dict = field(default_factory=dict)
    model_params: dict = field(default_factory=dict)
    background_rows: int = 200
    stability_patients: int = 20
    stability_repeats: int = 5
    noise_seeds: int = 3
    faithfulness_patients: int = 100
    rashomon: bool = False
    rashomon_margin: float = 0.01
    rashomon_seeds: int = 2
    conformal_alpha: float = 0.1
    trust: bool = True
    trust_patients: int = 20
    subgroup_columns: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("families", "methods", "agreement_ks", "subgroup_columns"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("budgets", "model_params"):
            object.__setattr__(self, name, {str(m): dict(p) for m, p in dict(getattr(self, name)).items()})
        checks = [("runs", 1), ("k", 1), ("max_patients", 1), ("max_cohort", 1), ("background_rows", 1),
                  ("stability_patients", 1), ("stability_repeats", 0), ("noise_seeds", 0),
                  ("faithfulness_patients", 1), ("rashomon_seeds", 1), ("trust_patients", 2)]
        for name, low in checks:
            if int(getattr(self, name)) < low:
                raise EvaluationError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if not 0.0 < float(self.conformal_alpha) < 1.0:
            raise EvaluationError(f"conformal_alpha must be between 0 and 1 (e.g. 0.1), got {self.conformal_alpha}")
        object.__setattr__(self, "conformal_alpha", float(self.conformal_alpha))
        if not self.families:
            raise EvaluationError("choose at least one model family")

    def __hash__(self) -> int:
        return hash(self.to_json())

    @property
    def ks(self) -> tuple[int, ...]:
        """Every k the agreement matrices are computed at (``agreement_ks`` and ``k``), sorted."""
        return tuple(sorted({int(x) for x in (*self.agreement_ks, self.k)}))

    def budget(self, family: str, method: str) -> dict:
        """Budget parameters of ``method`` on a ``family`` model: registry defaults, then ``budgets``."""
        from risklens.explain import method as spec

        return spec(method).budget_for(family, self.budgets.get(method))

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "ProtocolSettings":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise EvaluationError(f"unknown protocol setting(s): {', '.join(unknown)}")
        return cls(**data)


def resolve_methods(families, methods) -> list[ExplainerKey]:
    """Explainer keys: the study's defaults, or names ("shap") / keys ("mlp/dtd") given by the user."""
    from risklens.explain import methods_for

    if not methods:
        return [ExplainerKey(f, m) for f in families for m in STUDY_METHODS.get(f, STUDY_OTHER_METHODS)]
    keys = []
    for item in methods:
        if "/" in item:
            fam, m = item.split("/", 1)
            if fam not in families:
                raise EvaluationError(f"{item!r}: family {fam!r} is not among the evaluated families {list(families)}")
            if m not in methods_for(fam):
                raise EvaluationError(f"{item!r}: method {m!r} does not apply to {fam}; use one of {methods_for(fam)}")
            keys.append(ExplainerKey(fam, m))
        else:
            hits = [ExplainerKey(f, item) for f in families if item in methods_for(f)]
            if not hits:
                raise EvaluationError(f"method {item!r} applies to none of the families {list(families)}")
            keys.extend(hits)
    return list(dict.fromkeys(keys))


def check_families(families, supplied=()) -> list[str]:
    """The families to evaluate; an imported family (``sklearn``) only with its models ``supplied``
    (the protocol cannot train a model trained elsewhere)."""
    from risklens.families import ALL_FAMILIES, FAMILIES

    fams = list(dict.fromkeys(families))
    bad = [f for f in fams if f not in FAMILIES and not (f in ALL_FAMILIES and f in supplied)]
    if bad or not fams:
        raise EvaluationError(f"unknown model family {', '.join(bad) or '(none given)'}; choose from {', '.join(FAMILIES)}"
                              " (imported models: pass them in)")
    return fams


def build(tp, value):
    """``value`` (JSON data) as type ``tp``: dataclasses, lists, tuples and Optionals recursively."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return build(inner[0], value) if len(inner) == 1 else value
    if origin in (list, tuple):
        args = typing.get_args(tp)
        items = [build(args[0], v) for v in value] if args else list(value)
        return tuple(items) if origin is tuple else items
    if is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in fields(tp)}
        return tp(**{k: build(hints[k], v) for k, v in value.items() if k in names})
    if tp is float and isinstance(value, int):
        return float(value)
    return value
