"""The study's protocol as named stages: one function, :func:`run_protocol`, for the CLI and the pages.

Stages (each a function with typed inputs and outputs, testable alone):

1. ``train_stage`` (:mod:`.rows`): one seeded patient-level split, ``runs`` models per family;
2. ``select_patients`` (:mod:`.rows`): each model's correctly predicted positives, rows per explainer, background;
3. ``explain_stage`` (:mod:`.explain`): every run of every explainer;
4. ``agree_stage`` (:mod:`.agree`): Table 1, consistency, sign and method agreement, disagreements;
5. ``concordance_stage`` (:mod:`.concordance`): trigger and mechanism concordance;
6. ``faithfulness_stage`` (:mod:`.faithful`): deletion / insertion, PGI / PGU, robustness;
7. ``conformal_stage`` (:mod:`.conformal`): split-conformal coverage of each family's run-1 model;
8. trust checks (``settings.trust``): ``sanity_stage`` (:mod:`.sanity`: model and data randomisation),
   ``trust_stage`` (:mod:`.trust`: random-explainer control, complexity, removal faithfulness, sensitivity,
   ROAD-style deletion), ``subgroup_stage`` (:mod:`.subgroups`: performance and explanation quality per group);
9. ``concept_stage`` (:mod:`.concept_level`): Table 1 and trigger concordance with clinical concepts as the
   players; ``noise_stage`` (:mod:`.noise`): LIME stability and the explainer noise floor. Their explanations are
   handed out right after stage 3 (:func:`~risklens.study.noise.start_noise`,
   :func:`~risklens.study.concept_level.start_concepts`), so worker processes compute them while this process
   makes stages 4-8;
10. ``rashomon_stage`` (:mod:`.rashomon`, optional);
11. :func:`assemble`: the :class:`~risklens.study.types.EvaluationReport` with settings and provenance.

Every random choice takes its seed from the :class:`~risklens.study.seeds.SeedPlan` of ``settings.seed``.
Independent units (trainings, explanations) run in worker processes when the machine has two cores or more
(:mod:`.workers`); every number is the same as in one process.
"""

from __future__ import annotations

import platform
import re
from datetime import datetime, timezone
from typing import Callable

from risklens.cohorts.checks import check_cohort
from risklens.study.agree import agree_stage
from risklens.study.clock import Clock
from risklens.study.concept_level import concept_stage, start_concepts
from risklens.study.lead_time import lead_time_stage
from risklens.study.concordance import concordance_stage
from risklens.study.coverage import conformal_stage
from risklens.study.explain import explain_stage
from risklens.study.faithful import faithfulness_stage
from risklens.study.noise import noise_requests, noise_stage, start_noise
from risklens.study.rows import COMPARISON_RULE, PATIENT_RULE, is_capped, select_patients, train_stage
from risklens.study.seeds import SeedPlan
from risklens.study.settings import ProtocolSettings, check_families, resolve_methods
from risklens.study.types import (
    CohortInfo, EvaluationReport, ExplainedRecord, ModelRecord, Provenance,
)

Progress = Callable[[float, str], None]

#: Share of the progress bar each stage fills (start, end).
SPANS = {"train": (0.0, 0.3), "explain": (0.3, 0.7), "faithfulness": (0.72, 0.76), "trust": (0.77, 0.82),
         "noise": (0.85, 0.93), "rashomon": (0.93, 0.99)}


def _sub(say: Progress, stage: str) -> Progress:
    a, b = SPANS[stage]
    return lambda f, m: say(a + (b - a) * min(max(f, 0.0), 1.0), m)


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("risklens", "numpy", "pandas", "scikit-learn", "xgboost", "shap", "lime", "scipy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def run_protocol(cohort, settings: ProtocolSettings | None = None, progress: Progress | None = None, store=None,
                 models: dict | None = None, executor=None, trained_out: dict | None = None,
                 workers="auto") -> EvaluationReport:
    """Run every stage on ``cohort`` and return the report (the same numbers wherever it is called).

    ``store``: an :class:`~risklens.explain.ExplanationStore` reusing explanations across calls.
    ``models``: {family: [RiskModel, ...]} to use instead of training (trained on the same split).
    ``executor``: where the explanations run (``explain(call) -> Explanation``; default this process,
    :class:`risklens.scale.protocol.DaskExecutor` for a cluster). Nothing of the caller's is changed.
    ``trained_out``: a dict filled with the models evaluated ({family: [RiskModel, ...]}, run 1 first), so a
    front end can open a reported patient with the very model that was explained.
    ``workers``: worker processes for the independent units (trainings, explanations) when no ``executor`` is
    given: "auto" (two on a machine with two or more cores, for a large enough cohort; see
    :func:`~risklens.study.workers.choose_workers`), a number, or 0 (this process only). The numbers do not
    depend on it.
    """
    from concurrent.futures.process import BrokenProcessPool

    from risklens.study.workers import LocalWorkers, choose_workers, one_thread_here

    n_workers = 0 if executor is not None else choose_workers(workers, cohort.n, (settings or ProtocolSettings()).runs)
    with one_thread_here():
        if n_workers:
            try:
                with LocalWorkers(n_workers) as pool:
                    return _run_protocol(cohort, settings, progress, store, models, pool, trained_out, pool)
            except BrokenProcessPool:  # a worker died (killed, out of memory): the protocol runs again in this
                pass  # process, with the same numbers
        return _run_protocol(cohort, settings, progress, store, models, executor, trained_out, None)


def _run_protocol(cohort, settings, progress, store, models, executor, trained_out, pool) -> EvaluationReport:
    from risklens.study import paper

    settings = settings or ProtocolSettings()
    say = progress or (lambda f, m: None)
    clock, plan = Clock(), SeedPlan(settings.seed)
    families = check_families(settings.families, supplied=[f for f, ms in (models or {}).items() if ms])
    keys = resolve_methods(families, settings.methods)
    if settings.trust:  # a wrong subgroup column is reported before any model is trained
        from risklens.study.subgroups import subgroup_columns

        subgroup_columns(cohort, settings.subgroup_columns)
    with clock.stage("train"):
        trained = train_stage(cohort, families, settings, plan, _sub(say, "train"), models, pool)
    if trained_out is not None:
        trained_out.update(trained.models)
    rows = select_patients(cohort, trained, keys, settings, plan)
    exp = explain_stage(cohort, trained, rows, keys, settings, plan, store, _sub(say, "explain"), clock, executor)
    # the noise-floor, stability and concept-level explanations are handed out now (to the worker processes, when
    # there are any); the tables below need only the runs' explanations and are made here meanwhile
    noise_later = start_noise(noise_requests(cohort, keys, trained, exp, rows, settings, plan), store, executor)
    concepts_later = start_concepts(cohort, keys, trained, rows, settings, plan, pool) if store is None else None
    say(0.7, "agreement and consistency")
    with clock.stage("agreement"):
        agreement = agree_stage(cohort, keys, exp, settings)
    with clock.stage("concordance"):
        trig, mech, conc_notes = concordance_stage(cohort, keys, exp, settings)
    with clock.stage("lead time"):
        lead, lead_notes = lead_time_stage(cohort, trained)
    with clock.stage("faithfulness"):
        faith = faithfulness_stage(keys, trained, exp, rows, settings, plan, _sub(say, "faithfulness"))
    say(0.76, "conformal prediction sets")
    with clock.stage("conformal"):
        conf, conf_notes = conformal_stage(cohort, trained, settings, plan)
    trust, trust_notes = run_trust(cohort, keys, trained, exp, rows, settings, plan, clock, _sub(say, "trust"))
    say(0.82, "concept-level attributions")
    with clock.stage("concepts"):
        computed = None if concepts_later is None else concepts_later.result()
        concept_t1, concept_conc, concept_notes = concept_stage(cohort, keys, trained, exp, rows, settings, plan, store,
                                                                computed)
    noise_say = _sub(say, "noise")
    with clock.stage("noise floor and stability"):
        computed = noise_later.result(lambda d, t: noise_say(d / max(t, 1), f"noise floor and stability ({d}/{t})"))
        stab, floors = noise_stage(cohort, keys, trained, exp, rows, agreement, settings, plan, store, computed=computed)
    rash = None
    if settings.rashomon:
        from risklens.study.rashomon import rashomon_stage

        with clock.stage("rashomon"):
            rash = rashomon_stage(cohort, families, trained.test_pos, settings, plan, store, _sub(say, "rashomon"))
    rep = assemble(cohort, settings, plan, keys, trained, rows, exp, agreement, clock)
    rep.concordance, rep.mechanism, rep.lime_stability, rep.noise_floor = trig, mech, stab, floors
    rep.faithfulness, rep.rashomon, rep.published = faith, rash, paper.published(cohort.name)
    rep.conformal = conf
    for name, value in trust.items():
        setattr(rep, name, value)
    rep.concept_table1, rep.concept_concordance = concept_t1, concept_conc
    rep.lead_time = lead
    rep.notes += concept_notes + lead_notes
    rep.notes += conc_notes + conf_notes + trust_notes
    rep.provenance.timings, rep.provenance.total_seconds = dict(clock.timings), clock.total
    say(1.0, f"evaluation done in {clock.total:.0f} s")
    return EvaluationReport.from_dict(rep.to_dict())  # the in-memory report is exactly its JSON


def run_trust(cohort, keys, trained, exp, rows, settings, plan, clock, say) -> tuple[dict, list[str]]:
    """The trust checks' report fields and notes (none when ``settings.trust`` is off), each stage timed."""
    if not settings.trust:
        return {}, []
    from risklens.study.sanity import sanity_stage
    from risklens.study.subgroups import subgroup_stage
    from risklens.study.trust import trust_stage

    with clock.stage("sanity checks"):
        sanity, notes = sanity_stage(cohort, keys, trained, exp, rows, settings, plan, lambda f, m: say(f / 2, m))
    with clock.stage("trust checks"):
        comp, chance, robust = trust_stage(cohort, keys, trained, exp, rows, settings, plan,
                                           lambda f, m: say(0.5 + f / 2.5, m))
    say(0.9, "subgroups")
    with clock.stage("subgroups"):
        groups, gaps = subgroup_stage(cohort, keys, trained, exp, rows, settings)
    return {"sanity": sanity, "complexity": comp, "chance": chance, "robustness": robust, "subgroups": groups,
            "subgroup_gaps": gaps}, notes


def simulator_preset(cohort) -> str | None:
    """The ward simulator's setting a built-in ward cohort was made with ("default", "study"), read from the
    provenance the simulator writes (", preset NAME" after the seed; none named = "default"); None otherwise."""
    if cohort.name != "ward" or not str(cohort.source).startswith("Simulated adult ward"):
        return None
    m = re.match(r"[^()]*\([^()]*?, preset ([A-Za-z0-9_-]+)\)", str(cohort.source))
    return m.group(1) if m else "default"


def assemble(cohort, settings, plan, keys, trained, rows, exp, agreement, clock) -> EvaluationReport:
    """The report's frame: cohort, settings, models, rows explained, agreement tables, provenance, notes."""
    from risklens.explain import deterministic_for

    s = cohort.summary()
    info = CohortInfo(cohort.name, cohort.n, s["patients"], s["features"], cohort.n_events, cohort.event_rate,
                      cohort.has_trigger, cohort.mechanism is not None, cohort.hash, cohort.source, cohort.outcome_name,
                      simulator_preset(cohort))
    models = [ModelRecord(fam, r, m.seed, m.model_id, m.metrics.get("auroc"), m.metrics.get("auprc"), m.threshold)
              for fam, ms in trained.models.items() for r, m in enumerate(ms, start=1)]
    explained = [ExplainedRecord(k, len(exp.patients[k][0]), len(exp.cohort[k][0]), is_capped(k),
                                 deterministic_for(k.method, k.family), exp.params[k]) for k in keys]
    prov = Provenance(datetime.now(timezone.utc).isoformat(timespec="seconds"), cohort.hash, versions(),
                      plan.provenance(settings.runs, settings.stability_repeats, settings.noise_seeds), {}, None)
    rep = EvaluationReport(info, settings, list(keys), len(rows.common), PATIENT_RULE, explained, models,
                           provenance=prov, notes=[*trained.notes, *rows.notes],
                           patients_per_family={f: len(v) for f, v in rows.family_patients.items()},
                           comparison_rule=COMPARISON_RULE)
    for name in ("table1", "run_consistency", "cross_model", "sign_agreement", "top_contributor",
                 "method_agreement", "disagreement"):
        setattr(rep, name, getattr(agreement, name))
    rep.data_checks = check_cohort(cohort, split=(trained.train_pos, trained.test_pos))
    return rep
