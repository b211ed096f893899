"""The ``readmission`` simulator: paediatric inpatients, administrative data, readmission within 30 days.

Shaped like the study's RA30 data: one row per index admission (one per patient), no trigger.
A latent *complexity* score ``z`` (chronic illness burden) drives several recorded features
together -- prior stays, ED visits, length of stay, medications, pathology tests, ICU stays and the
chronic-condition flags -- and, with a few direct effects (cancer, cystic fibrosis, emergency
admission, socio-economic disadvantage, weekend discharge), the 30-day readmission risk. The
model only ever sees the proxies, never ``z`` itself (kept in ``Cohort.extra`` for checking).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

DEFAULT_N = 10_000
MIN_N, MAX_N = 100, 2_000_000
_B = "0/1"
# name -> (label, unit, kind, description); no normal ranges: these are counts and flags
_INFO = {
    "age_years": ("Age", "years", "demographic", "age at admission"),
    "sex": ("Sex (1 = male)", _B, "demographic", "0 = female, 1 = male"),
    "seifa_decile": ("Socio-economic decile", "1-10", "demographic", "area disadvantage decile (1 = most disadvantaged)"),
    "prior_stays_12m": ("Prior stays (12 months)", "stays", "administrative", "inpatient stays in the previous 12 months"),
    "prior_ed_visits_12m": ("Prior ED visits (12 months)", "visits", "administrative",
                            "emergency department visits in the previous 12 months"),
    "los_days": ("Length of stay", "days", "administrative", "length of the index stay"),
    "emergency_admission": ("Emergency admission", _B, "administrative", "index stay began as an emergency"),
    "surgical": ("Surgical admission", _B, "administrative", "a procedure in theatre during the index stay"),
    "icu_stay": ("ICU stay", _B, "administrative", "any time in intensive care during the index stay"),
    "weekend_discharge": ("Weekend discharge", _B, "administrative", "discharged on a Saturday or Sunday"),
    "n_medications": ("Medications at discharge", "medicines", "medication", "number of medicines on discharge"),
    "n_pathology_tests": ("Pathology tests", "tests", "care process", "pathology tests during the index stay"),
    "n_diagnoses": ("Coded diagnoses", "codes", "diagnosis", "diagnosis codes recorded for the index stay"),
    "asthma": ("Asthma", _B, "diagnosis", "chronic condition flag"),
    "epilepsy": ("Epilepsy", _B, "diagnosis", "chronic condition flag"),
    "congenital_heart": ("Congenital heart disease", _B, "diagnosis", "chronic condition flag"),
    "cancer": ("Cancer", _B, "diagnosis", "active oncology patient"),
    "cystic_fibrosis": ("Cystic fibrosis", _B, "diagnosis", "chronic condition flag"),
    "diabetes": ("Type 1 diabetes", _B, "diagnosis", "chronic condition flag"),
    "neurodisability": ("Neurodisability", _B, "diagnosis", "cerebral palsy or other neurodisability"),
}
FEATURES = tuple(_INFO)
# chronic flag -> (prevalence logit at z = 0, loading on z, direct effect on readmission logit)
_CHRONIC = {
    "asthma": (-2.4, 0.5, 0.15),
    "epilepsy": (-3.6, 0.8, 0.3),
    "congenital_heart": (-4.0, 0.9, 0.35),
    "cancer": (-4.2, 1.0, 1.1),
    "cystic_fibrosis": (-5.6, 1.0, 0.9),
    "diabetes": (-4.6, 0.5, 0.5),
    "neurodisability": (-3.8, 1.0, 0.3),
}


def readmission_dictionary() -> FeatureDictionary:
    return FeatureDictionary(FeatureInfo(name=k, label=lab, unit=u, kind=kind, description=d)
                             for k, (lab, u, kind, d) in _INFO.items())


def simulate_readmission(n: int | None = None, seed: int = 0) -> Cohort:
    """``n`` paediatric index admissions, deterministic in ``(n, seed)``; outcome: readmitted within 30 days."""
    n = DEFAULT_N if n is None else int(n)
    if not MIN_N <= n <= MAX_N:
        raise CohortError(f"the readmission simulator makes {MIN_N:,} to {MAX_N:,} rows; got n={n:,}")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    z = rng.normal(0, 1, n)  # latent complexity
    infant = rng.random(n) < 0.22
    age = np.round(np.where(infant, rng.uniform(0, 1, n), rng.uniform(1, 18, n)), 1)
    sex = (rng.random(n) < 0.54).astype(np.float64)
    seifa = rng.integers(1, 11, n).astype(np.float64)
    f = {"age_years": age, "sex": sex, "seifa_decile": seifa}
    direct = np.zeros(n)
    for flag, (a, b, effect) in _CHRONIC.items():
        has = rng.random(n) < 1 / (1 + np.exp(-(a + b * z)))
        f[flag] = has.astype(np.float64)
        direct += effect * has
    chronic = sum(f[c] for c in _CHRONIC)
    f["prior_stays_12m"] = rng.poisson(np.exp(-1.1 + 0.85 * z + 0.35 * chronic)).astype(np.float64)
    f["prior_ed_visits_12m"] = rng.poisson(np.exp(-0.2 + 0.45 * z + 0.2 * (seifa <= 3))).astype(np.float64)
    emergency = rng.random(n) < 1 / (1 + np.exp(-(0.6 + 0.35 * z)))
    surgical = rng.random(n) < np.where(emergency, 0.22, 0.45)
    icu = rng.random(n) < 1 / (1 + np.exp(-(-3.3 + 0.7 * z + 0.8 * surgical + 0.9 * infant)))
    los = np.exp(rng.normal(np.log(1.8) + 0.35 * z + 0.5 * icu + 0.3 * surgical, 0.7))
    f["los_days"] = np.round(np.clip(los, 0.2, 120), 1)
    f["emergency_admission"] = emergency.astype(np.float64)
    f["surgical"] = surgical.astype(np.float64)
    f["icu_stay"] = icu.astype(np.float64)
    f["weekend_discharge"] = (rng.random(n) < 2 / 7).astype(np.float64)
    f["n_medications"] = rng.poisson(np.exp(0.9 + 0.35 * z + 0.25 * chronic)).astype(np.float64)
    f["n_pathology_tests"] = rng.poisson(
        np.exp(1.3 + 0.4 * z + 0.3 * emergency + 0.45 * np.log1p(f["los_days"]) + 0.6 * icu)).astype(np.float64)
    f["n_diagnoses"] = 1.0 + rng.poisson(np.exp(0.5 + 0.3 * z + 0.3 * chronic))
    eta = (-2.95 + 0.75 * z + direct + 0.1 * np.minimum(f["prior_stays_12m"], 6) + 0.25 * emergency
           + 0.2 * np.log1p(f["los_days"]) + 0.25 * f["weekend_discharge"] + 0.05 * (5.5 - seifa) + 0.2 * infant)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    ids = pd.Index([f"R{i + 1:07d}" for i in range(n)])
    X = pd.DataFrame({k: f[k] for k in FEATURES}, index=ids)
    return Cohort(
        name="readmission",
        X=X,
        y=y,
        dictionary=readmission_dictionary(),
        source=(f"Simulated paediatric inpatients (RiskLens readmission simulator, n={n}, seed={seed}): "
                "administrative data of the index stay, readmission within 30 days. Synthetic data, no real "
                "patients; see data/README.md."),
        outcome_name="readmission within 30 days",
        extra=pd.DataFrame({"latent_complexity": z}, index=ids),
    )
