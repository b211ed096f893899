"""The :class:`EvaluationReport`: typed records, one list per table, JSON in and out.

Every per-explainer record names its explainer with an :class:`ExplainerKey` (family, method);
pair records name both sides (``a``, ``b``). Missing numbers (NaN) are ``None``. ``to_json`` is
byte-identical for the same cohort, settings and seed, except ``provenance.created``,
``provenance.timings`` and ``provenance.total_seconds``.
"""

from __future__ import annotations

import json
import typing
from dataclasses import asdict, dataclass, field

from risklens.cohorts.checks import Finding
from risklens.jsonsafe import to_json_safe
from risklens.metrics.lead_time import LeadTimeRecord
from risklens.study.settings import EvaluationError, ExplainerKey, ProtocolSettings, build

Num = typing.Optional[float]


@dataclass
class CohortInfo:
    name: str
    rows: int
    patients: int
    features: int
    events: int
    event_rate: Num
    has_trigger: bool
    has_mechanism: bool
    hash: str
    source: str
    outcome: str
    preset: typing.Optional[str] = None  # the ward simulator's setting ("default", "study"); None for other data


@dataclass
class ModelRecord:
    family: str
    run: int
    seed: int
    model_id: str
    auroc: Num
    auprc: Num
    threshold: Num


@dataclass
class ExplainedRecord:
    """Rows explained for one explainer and the parameters (budget) it ran with."""

    explainer: ExplainerKey
    patients: int
    cohort_rows: int
    capped: bool
    deterministic: bool
    params: dict = field(default_factory=dict)


@dataclass
class Table1Entry:
    explainer: ExplainerKey
    rank: int
    feature: str
    label: str
    group: str
    kind: str
    importance: Num


@dataclass
class RunConsistency:
    explainer: ExplainerKey
    FA: Num
    CR: Num
    pairs: int


@dataclass
class CrossModel:
    a: ExplainerKey
    b: ExplainerKey
    FA: Num
    CR: Num
    pairs: int
    rows: int


@dataclass
class SignAgreement:
    explainer: ExplainerKey
    leading: Num
    top5: Num
    all: Num


@dataclass
class TopContributor:
    a: ExplainerKey
    b: ExplainerKey
    exact: Num
    group: Num
    top2_set: Num
    top3_set: Num
    n: int


@dataclass
class PairAgreement:
    a: ExplainerKey
    b: ExplainerKey
    level: str  # "patient" (mean over patients) or "cohort" (mean |attribution| vectors)
    k: int
    FA: Num
    RA: Num
    SA: Num
    SA_shared: Num
    SRA: Num
    CR: Num
    PRA: Num
    patients: int


@dataclass
class TriggerConcordance:
    explainer: ExplainerKey
    dropped: Num
    kept: Num
    non_clinical_share: Num
    n: int
    n_no_trigger: int
    topk_hit: dict
    mean_trigger_rank: Num
    trigger_not_in_model: Num
    kept_per_run: list


@dataclass
class MechanismRecord:
    explainer: ExplainerKey
    top1_process: Num
    topk_process: Num
    top1_first: Num
    non_clinical_top1: Num
    k: int
    n: int
    n_no_process: int


@dataclass
class StabilityRecord:
    explainer: ExplainerKey
    jaccard: Num
    VSI: Num
    CSI: Num
    coef_cv: Num
    unstable_share: Num
    n: int
    repeats: int
    k: int
    rule: str
    patient_jaccard: list


@dataclass
class NoiseFloorRecord:
    """Seed-to-seed agreement of one explainer on the run-1 model beside its run-to-run agreement.

    ``share_*`` = (1 - floor) / (1 - run-to-run), clipped to [0, 1]: the share of run-to-run
    disagreement the explainer's own noise accounts for (None when there is none to account for).
    """

    explainer: ExplainerKey
    deterministic: bool
    seeds: int
    FA: Num
    CR: Num
    sign: Num
    run_FA: Num
    run_CR: Num
    run_sign: Num
    share_FA: Num
    share_CR: Num
    share_sign: Num
    verdict: str


@dataclass
class ConformalRecord:
    """Split-conformal sets of one family's run-1 model (:mod:`risklens.study.coverage`). ``band*``: where the
    finite-sample guarantee lets a coverage fall (per class: Mondrian only); ``in_band``: every such coverage does."""

    family: str
    model_id: str
    variant: str  # "standard" (marginal coverage) or "mondrian" (coverage within each outcome class)
    alpha: float
    coverage: Num
    coverage_event: Num
    coverage_no_event: Num
    band: list
    band_event: list
    band_no_event: list
    in_band: bool
    uncertain: Num  # both outcomes in the set
    empty: Num  # neither outcome in the set
    sure_event: Num
    sure_no_event: Num
    mean_set_size: Num
    n_calibration: int
    n_calibration_events: int
    n_evaluation: int
    n_evaluation_events: int


@dataclass
class FaithfulnessRecord:
    explainer: ExplainerKey
    deletion_auc: Num
    deletion_auc_random: Num
    insertion_auc: Num
    insertion_auc_random: Num
    deletion_auc_norm: Num
    insertion_auc_norm: Num
    PGI: Num
    PGU: Num
    compacity_mean: Num
    lipschitz_mean: Num
    n: int
    baseline: str
    curves: dict  # {"deletion": [...], "deletion_random": [...], "insertion": [...], "insertion_random": [...]}


@dataclass
class SanityRecord:
    """One step of a sanity check (Adebayo et al. 2018): the run-1 explanation beside the randomised model's.

    ``randomisation``: "cascading layers" (MLP, ``step`` = the layers re-drawn from the top) or
    "permuted labels" (a model of the same family retrained on shuffled outcomes). ``passed`` is
    read on the last step (all layers / labels permuted) only, by ``rule``; None on earlier steps.
    """

    explainer: ExplainerKey
    randomisation: str
    step: str
    spearman: Num  # mean over patients of Spearman(|real|, |randomised|)
    top_k: Num  # mean top-k feature agreement
    k: int
    n: int
    final: bool
    passed: typing.Optional[bool]
    rule: str
    collapsed: Num = None  # share of patients whose randomised explanation is all zero


@dataclass
class ChanceRecord:
    """A seeded random explainer on the same patients and model as ``explainer``: each number's chance level."""

    explainer: ExplainerKey
    FA: Num  # top-k feature agreement of the explainer with the random one (patient level)
    FA_expected: Num  # k / features: the expectation for any two unrelated rankings
    CR: Num  # Spearman of |attribution| with the random one (expectation 0)
    concordance_kept: Num  # the random explainer's trigger concordance (kept variant)
    deletion_auc: Num  # deletion / insertion AUC of the random attributions (probability, training mean)
    insertion_auc: Num
    faithfulness_correlation: Num
    infidelity: Num
    gini: Num
    n: int


@dataclass
class ComplexityRecord:
    """Complexity of the run-1 attributions per patient (mean here, one value per patient in ``patient_*``)."""

    explainer: ExplainerKey
    gini: Num
    effective: Num
    compacity: Num
    effective_share: float
    compacity_share: float
    features: int
    n: int
    patient_gini: list
    patient_effective: list
    zero_share: Num = None  # share of patients whose explanation is all zero (nothing attributed)


@dataclass
class RobustnessRecord:
    """Removal faithfulness, sensitivity and ROAD-style deletion of the run-1 explanation (means over patients)."""

    explainer: ExplainerKey
    output: str  # the output space the removal checks use (the explanation's own)
    faithfulness_correlation: Num
    infidelity: Num  # normalised: mean (claim - effect)^2 / mean effect^2
    max_sensitivity: Num
    lipschitz: Num
    deletion_auc_mean: Num  # deletion to the training mean (probability), the same patients
    deletion_auc_imputed: Num  # ROAD-style: removed features imputed from the kept ones
    deletion_auc_imputed_random: Num
    n: int
    n_sensitivity: int
    perturbation: str
    radius: float


@dataclass
class SubgroupRecord:
    """One metric in one subgroup: model performance (``explainer`` None) or explanation quality."""

    column: str
    group: str
    family: str
    explainer: typing.Optional[ExplainerKey]
    metric: str
    value: Num
    n: int


@dataclass
class SubgroupGap:
    """The largest minus the smallest value of one metric across a column's groups (groups of >= min_n)."""

    column: str
    family: str
    explainer: typing.Optional[ExplainerKey]
    metric: str
    gap: Num
    high_group: str
    high: Num
    low_group: str
    low: Num


@dataclass
class DisagreementRow:
    a: ExplainerKey
    b: ExplainerKey
    id: str
    FA: Num
    CR: Num
    SA: Num


@dataclass
class RashomonResult:
    margin: float
    records: list  # [{family, seed, params, auroc, model_id, kept}]
    spread: list  # [{feature, min, median, max, rank_min, rank_max, rank_range}]


@dataclass
class Provenance:
    created: str
    cohort_hash: str
    versions: dict
    seeds: dict
    timings: dict
    total_seconds: Num


@dataclass
class EvaluationReport:
    """Result of :func:`risklens.study.run_protocol` (see the module docstring)."""

    cohort: CohortInfo
    settings: ProtocolSettings
    explainers: list[ExplainerKey]
    n_patients: int  # patients every family flags (the comparison set across all models)
    patient_rule: str  # the per-model rule (each family's own correctly predicted positives)
    explained: list[ExplainedRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    table1: list[Table1Entry] = field(default_factory=list)
    concordance: list[TriggerConcordance] = field(default_factory=list)
    mechanism: list[MechanismRecord] = field(default_factory=list)
    run_consistency: list[RunConsistency] = field(default_factory=list)
    noise_floor: list[NoiseFloorRecord] = field(default_factory=list)
    cross_model: list[CrossModel] = field(default_factory=list)
    sign_agreement: list[SignAgreement] = field(default_factory=list)
    top_contributor: list[TopContributor] = field(default_factory=list)
    method_agreement: list[PairAgreement] = field(default_factory=list)
    lime_stability: list[StabilityRecord] = field(default_factory=list)
    faithfulness: list[FaithfulnessRecord] = field(default_factory=list)
    conformal: list[ConformalRecord] = field(default_factory=list)
    disagreement: list[DisagreementRow] = field(default_factory=list)
    sanity: list[SanityRecord] = field(default_factory=list)
    chance: list[ChanceRecord] = field(default_factory=list)
    complexity: list[ComplexityRecord] = field(default_factory=list)
    robustness: list[RobustnessRecord] = field(default_factory=list)
    subgroups: list[SubgroupRecord] = field(default_factory=list)
    subgroup_gaps: list[SubgroupGap] = field(default_factory=list)
    concept_table1: list[Table1Entry] = field(default_factory=list)  # Table 1 with concepts as players
    concept_concordance: list[TriggerConcordance] = field(default_factory=list)  # concordance of concepts
    lead_time: list[LeadTimeRecord] = field(default_factory=list)  # first alert to event, run-1 model per family
    rashomon: RashomonResult | None = None
    published: dict = field(default_factory=dict)
    provenance: Provenance | None = None
    notes: list[str] = field(default_factory=list)
    data_checks: list[Finding] = field(default_factory=list)  # risklens.cohorts.checks on the protocol's split
    patients_per_family: dict = field(default_factory=dict)  # family -> its analysed patients
    comparison_rule: str = ""  # the rule of comparisons between models or methods

    def record(self, section: str, explainer: ExplainerKey):
        """The record of ``explainer`` in a per-explainer section ("concordance", ...), or None."""
        return next((r for r in getattr(self, section) if r.explainer == explainer), None)

    def to_dict(self) -> dict:
        return to_json_safe(asdict(self))

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict) -> "EvaluationReport":
        try:
            return build(cls, data)
        except (TypeError, KeyError, ValueError) as exc:
            raise EvaluationError(f"not an evaluation report of this version ({exc})") from None

    @classmethod
    def from_json(cls, text: str) -> "EvaluationReport":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"not an evaluation report (invalid JSON: {exc})") from None
        if not isinstance(data, dict) or "cohort" not in data:
            raise EvaluationError("not an evaluation report: the JSON has no 'cohort' key")
        return cls.from_dict(data)
