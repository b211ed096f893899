"""The seed plan: one seed -> named, independent streams (``numpy.random.SeedSequence``).

Every random choice of the protocol draws its seed from one named stream, and every stream's seed
is written to the report's provenance, so a number can be traced to the seed that made it:

- ``simulator``: the built-in simulator's seed when the protocol's cohort is simulated on demand;
- ``split``: the patient-level train / held-out split;
- ``model run r`` (r = 1..runs): the training seed of run r of every family;
- ``explainer run r``: the explainer's seed for run r (independent of the model's seed);
- ``background``: the training rows used as the reference data of sampling methods;
- ``rows`` / ``cohort rows``: the seeded samples of patients and of held-out cohort rows;
- ``stability repeat j`` (j = 1..repeats): LIME stability;
- ``noise-floor repeat j`` (j = 2..noise_seeds): extra explainer seeds on the run-1 model (repeat 1
  is the run-1 explanation itself, seed ``explainer run 1``);
- ``faithfulness``: the random orders and perturbations of the faithfulness checks;
- ``rashomon``: the Rashomon set's base training seed;
- ``conformal``: the calibration / evaluation split of the held-out rows for conformal prediction;
- ``trust j``: the trust checks (1: model randomisation, 2: the random explainer, 3: removal perturbations
  and sensitivity neighbours).

Each stream is ``SeedSequence(seed).spawn`` child number i for a fixed i per name, so adding a
stream later never moves an existing one; its seed is the child's first 31-bit word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Position of each base stream among the spawned children (never reorder; append new names).
BASE_STREAMS = ("simulator", "split", "background", "rows", "faithfulness", "rashomon", "model run",
                "explainer run", "stability repeat", "noise-floor repeat", "cohort rows", "conformal", "trust")


def _derive(seed: int, index: int, sub: int | None = None) -> int:
    child = np.random.SeedSequence(int(seed)).spawn(len(BASE_STREAMS))[index]
    if sub is not None:
        child = child.spawn(sub + 1)[sub]
    return int(child.generate_state(1, dtype=np.uint32)[0] >> 1)


@dataclass(frozen=True)
class SeedPlan:
    """Seeds of every named stream, spawned from one ``seed``."""

    seed: int = 0

    def stream(self, name: str, r: int | None = None) -> int:
        """Seed of stream ``name`` ("split", ...), or of member ``r`` (1-based) of an indexed stream."""
        if name not in BASE_STREAMS:
            raise KeyError(f"no seed stream named {name!r}; streams: {', '.join(BASE_STREAMS)}")
        return _derive(self.seed, BASE_STREAMS.index(name), None if r is None else int(r) - 1)

    def model(self, r: int) -> int:
        return self.stream("model run", r)

    def explainer(self, r: int) -> int:
        return self.stream("explainer run", r)

    def stability(self, j: int) -> int:
        return self.stream("stability repeat", j)

    def trust(self, j: int) -> int:
        """Seed of trust-check stream j (1: model randomisation, 2: random explainer, 3: perturbations)."""
        return self.stream("trust", j)

    def noise(self, j: int) -> int:
        """Explainer seed of noise-floor repeat j; repeat 1 is the run-1 explanation."""
        return self.explainer(1) if int(j) == 1 else self.stream("noise-floor repeat", j)

    def provenance(self, runs: int, stability_repeats: int, noise_seeds: int) -> dict[str, int]:
        """Every stream's seed by name ("model run 2", ...), as written to the report."""
        out = {"seed": int(self.seed)}
        out.update({name: self.stream(name) for name in (*BASE_STREAMS[:6], "cohort rows", "conformal")})
        out.update({f"trust {j}": self.trust(j) for j in (1, 2, 3)})
        out.update({f"model run {r}": self.model(r) for r in range(1, runs + 1)})
        out.update({f"explainer run {r}": self.explainer(r) for r in range(1, runs + 1)})
        out.update({f"stability repeat {j}": self.stability(j) for j in range(1, stability_repeats + 1)})
        out.update({f"noise-floor repeat {j}": self.noise(j) for j in range(1, noise_seeds + 1)})
        return out


#: Single streams reachable as attributes (``plan.split``, ``plan.cohort_rows``, ...): attribute -> stream name.
NAMED_STREAMS = {"simulator": "simulator", "split": "split", "background": "background", "rows": "rows",
                 "cohort_rows": "cohort rows", "conformal": "conformal", "faithfulness": "faithfulness",
                 "rashomon": "rashomon"}
for _attr, _name in NAMED_STREAMS.items():
    setattr(SeedPlan, _attr, property(lambda self, name=_name: self.stream(name), doc=f"seed of the {_name!r} stream"))
