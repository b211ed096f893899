"""Streamlit glue for the protocol: settings widgets, a progress bar and a per-session cache of reports.

The numbers come from :func:`risklens.study.run_protocol` only; this module keeps the report of each
(cohort, settings) in session state so a page redraws without recomputing.
"""

from __future__ import annotations

import streamlit as st

from risklens.study import EvaluationReport, ExplainerKey, ProtocolSettings, run_protocol
from risklens.study.settings import STUDY_METHODS
from risklens.ui import audit, state

#: The dashboard's defaults: smaller than the CLI's so a run takes about a minute on the demo.
PAGE_DEFAULTS = ProtocolSettings(runs=2, max_patients=30, max_cohort=1000, stability_patients=10,
                                 stability_repeats=3, faithfulness_patients=20)


def explainer_options(families) -> list[ExplainerKey]:
    """Every (family, method) the registry offers, without the slow reference implementations (tests only)."""
    from risklens.explain import method, methods_for

    return [ExplainerKey(f, m) for f in families for m in methods_for(f) if not method(m).reference]


def settings_widgets(prefix: str, defaults: ProtocolSettings = PAGE_DEFAULTS, columns=()) -> ProtocolSettings:
    """The protocol's settings as widgets (keys ``{prefix}_...``); returns the record they describe.
    ``columns``: the cohort's columns offered for the subgroup comparison of the trust checks."""
    from risklens.families import FAMILIES, FAMILY_LABELS

    c = st.columns([3, 1, 1, 1])  # room for every family's name in its chip
    fams = c[0].multiselect("Model families", FAMILIES, default=list(defaults.families), key=f"{prefix}_fams",
                            format_func=lambda f: FAMILY_LABELS[f]) or list(defaults.families)
    runs = int(c[1].number_input("Runs per family", 1, 10, defaults.runs, key=f"{prefix}_runs",
                                 help="models trained per family, one seed each (the study: 5)"))
    k = int(c[2].slider("k (top features)", 1, 10, defaults.k, key=f"{prefix}_k"))
    seed = int(c[3].number_input("Seed", 0, 10_000, defaults.seed, key=f"{prefix}_seed",
                                 help="the one seed every random stream of the protocol is spawned from"))
    keys = {str(o): o for o in explainer_options(fams)}
    study = [name for name, o in keys.items() if o.method in STUDY_METHODS.get(o.family, ())]
    chosen = st.multiselect("Explainers", list(keys), default=study, key=f"{prefix}_include",
                            format_func=lambda name: keys[name].label,
                            help="SHAP on the neural network is permutation SHAP and takes seconds per patient")
    c = st.columns(5)
    pats = int(c[0].number_input("Patients for slow methods", 5, 1000, defaults.max_patients, step=5,
                                 key=f"{prefix}_n", help="correctly predicted positives; a seeded sample"))
    reps = int(c[1].number_input("LIME stability repeats", 0, 10, defaults.stability_repeats, key=f"{prefix}_reps"))
    noise = int(c[2].number_input("Noise-floor seeds", 0, 10, defaults.noise_seeds, key=f"{prefix}_noise",
                                  help="explainer seeds on the run-1 model for stochastic methods"))
    rash = c[3].checkbox("Rashomon set", defaults.rashomon, key=f"{prefix}_rashomon",
                         help="also train equally accurate models and measure importance spread (slow)")
    alpha = float(c[4].number_input("Conformal error rate", 0.01, 0.5, defaults.conformal_alpha, step=0.01,
                                    key=f"{prefix}_alpha", help="prediction sets miss the real outcome for at most "
                                    "this share of patients (the Uncertainty tab)"))
    c = st.columns([1, 3])
    trust = c[0].checkbox("Trust checks", defaults.trust, key=f"{prefix}_trust",
                          help="sanity checks, a random-explainer control, complexity, removal faithfulness, "
                               "sensitivity and subgroups (the Trust checks and Subgroups tabs)")
    groups = c[1].multiselect("Also compare subgroups of", [c_ for c_ in columns if c_ not in ("sex", "age")],
                              key=f"{prefix}_subgroups", disabled=not trust,
                              help="sex and age band are compared when the cohort has them")
    return ProtocolSettings(
        trust=bool(trust), trust_patients=defaults.trust_patients, subgroup_columns=tuple(groups),
        families=tuple(fams), methods=tuple(chosen), runs=runs, k=k, seed=seed, max_patients=pats,
        max_cohort=defaults.max_cohort, stability_patients=min(pats, defaults.stability_patients),
        stability_repeats=reps, noise_seeds=noise, faithfulness_patients=min(pats, defaults.faithfulness_patients),
        rashomon=bool(rash), rashomon_margin=defaults.rashomon_margin, rashomon_seeds=defaults.rashomon_seeds,
        budgets=defaults.budgets, model_params=defaults.model_params, agreement_ks=defaults.agreement_ks,
        conformal_alpha=alpha)


def _key(cohort, settings: ProtocolSettings) -> tuple:
    return ("protocol", cohort.analysis_key, settings.to_json())


def cached_report(cohort, settings: ProtocolSettings) -> EvaluationReport | None:
    """The report of these settings on this cohort if it was computed in this session."""
    return st.session_state.setdefault(state.K_EVAL, {}).get(_key(cohort, settings))


def run(cohort, settings: ProtocolSettings) -> EvaluationReport:
    """Run the protocol with a progress bar (explanations reused through the store) and keep the report."""
    from risklens.explain import ExplanationStore
    from risklens.settings import store_root

    try:
        store = ExplanationStore(store_root())
    except OSError:  # a read-only home still works, without the disk store
        store = None
    bar = st.progress(0.0, text="starting ...")
    trained: dict = {}
    rep = run_protocol(cohort, settings, progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                       store=store, trained_out=trained)
    bar.empty()
    keep_evaluated(cohort, trained)
    audit.record("evaluation run", data=cohort.hash, settings=settings.to_dict())
    st.session_state.setdefault(state.K_EVAL, {})[_key(cohort, settings)] = rep
    return rep


def keep_evaluated(cohort, trained: dict) -> None:
    """Save each family's run-1 model in the store and add it to the session, so a patient the report names
    (held out from that model, not necessarily from the page's model) opens with the model that was explained."""
    from risklens.modeling import save_model
    from risklens.safety import inside, safe_slug
    from risklens.settings import models_root

    for family, models in trained.items():
        if not models:
            continue
        m = models[0]
        split = (m.card or {}).get("split") if isinstance((m.card or {}).get("split"), dict) else (m.card or {})
        slug = safe_slug(f"{cohort.name}-{cohort.hash[:8]}-evaluation-{family}-s{m.seed}-split{split.get('split_seed', 0)}",
                         default="evaluation", max_len=120)
        try:
            path = save_model(m, inside(models_root(), slug))
        except OSError:  # a read-only home: the report still shows; its links say which model is missing
            continue
        state.add_model_path(cohort, path)


def evaluated_model(rep: EvaluationReport, family: str, run: int = 1) -> str | None:
    """The model id of ``family``'s run ``run`` in the report (None when the report has no such model)."""
    return next((r.model_id for r in rep.models if r.family == family and r.run == run), None)


def protocol_panel(cohort, prefix: str, button: str, hint: str) -> EvaluationReport | None:
    """Settings widgets, a run button and the cached report of those settings (None until it is run)."""
    settings = settings_widgets(prefix, columns=list(cohort.X.columns))
    if st.button(button, type="primary", key=f"{prefix}_run"):
        run(cohort, settings)
    rep = cached_report(cohort, settings)
    if rep is None:
        st.info(hint)
    return rep
