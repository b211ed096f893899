"""The study: the evaluation protocol as named stages, its settings and seed plan, the typed report,
the report's HTML / Markdown export, the Rashomon set and the study's published numbers."""

from risklens.study.protocol import run_protocol
from risklens.study.seeds import SeedPlan
from risklens.study.settings import STUDY_METHODS, EvaluationError, ExplainerKey, ProtocolSettings, resolve_methods
from risklens.study.types import EvaluationReport

__all__ = ["STUDY_METHODS", "EvaluationError", "EvaluationReport", "ExplainerKey", "ProtocolSettings", "SeedPlan",
           "resolve_methods", "run_protocol"]
