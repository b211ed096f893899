"""The registry of explanation methods: every fact about a method lives on its :class:`MethodSpec`.

A method is one function ``explain_<name>(model, X, *, seed=0, **params) -> Explanation`` and one
``register(MethodSpec(...))`` (:mod:`risklens.explain` registers the built-in ones). Callers decide nothing
about a method themselves: :func:`prepare` checks a request once (the method applies to the model's family,
the parameters are declared and valid, reference rows where the method needs them) and returns a
:class:`Prepared` call, which runs in this process (``.run()``) or on an executor (the protocol's
``executor=``: :class:`InProcess` by default, a Dask cluster with ``--scheduler``). Look-ups: ``method(name)``,
``methods_for(family)``, ``deterministic_for(name, family)``, ``needs_background(name, family)``,
``patient_methods(family)``, ``all_methods()``; ``registered(spec)`` adds a method for a ``with`` block.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

import pandas as pd

from risklens.explain._common import check_own_background
from risklens.explain.base import OUTPUTS, Explanation, ExplainError
from risklens.explain.params import Param, check_params

COSTS = ("fast", "slow")
#: A method's place on the Patients page: shown first (the waterfall and the worklist's explanation), offered as
#: the second opinion beside it, or not shown there.
PATIENT_ROLES = ("first", "second", "none")
#: Rows explained by default on the Cohort explanations page by a slow method (``MethodSpec.page_rows``).
PAGE_ROWS = 100
#: Training rows the dashboard samples as the reference data of a method that needs a background.
BACKGROUND_ROWS = 500


class Explainer(Protocol):
    """Anything that turns a model and rows into an Explanation."""

    def __call__(self, model, X: pd.DataFrame, *, seed: int = 0, **params) -> Explanation: ...


@dataclass(frozen=True)
class MethodSpec:
    """One explanation method and everything callers need to know about it.

    - ``name`` (what callers ask for), ``label`` (pickers, captions, summaries), ``short`` (tables, axes),
      ``description``; ``families`` it applies to; ``output`` space of its values ("log-odds", "probability").
    - ``stochastic``: the seed can change the result, except on the families in ``exact_on`` (computed exactly
      there: deterministic and fast, e.g. TreeSHAP on XGBoost).
    - ``cost``: "fast" or "slow" where the method samples; slow methods explain a sample of rows on the pages
      (``page_rows``: rows per family, default :data:`PAGE_ROWS`) and at most ``max_patients`` in the protocol.
    - ``background``: the method compares each row with reference rows (a background) where it is not exact;
      callers hand in the rows they have (training rows), :func:`prepare` passes them only where needed;
      ``background_rows``: how many training rows the dashboard samples for it (default :data:`BACKGROUND_ROWS`).
    - ``params``: the declared parameters (:class:`~risklens.explain.params.Param`); ``defaults``: the budget the
      evaluation protocol passes where the method samples, unless its settings override it.
    - ``additive``: values plus base value equal the model's output in ``output`` space (checked by the suite).
    - ``batch_independent``: a row's values do not depend on which other rows are explained with it, so a
      request can be cut into chunks (e.g. on a Dask cluster); False keeps the rows together.
    - ``signed``: the sign of a value says "raises / lowers the risk" (False for relevance >= 0, e.g. DTD).
    - ``surrogate``: a local surrogate fitted to perturbed, binned samples (LIME): the protocol measures its
      stability over seeds, the Patients page explains its bins.
    - ``reference``: a slow reference implementation kept for tests and benchmarks (not offered in the
      dashboard's protocol settings).
    - ``patients`` (one of :data:`PATIENT_ROLES`) and ``patients_rank`` (higher first within a role): which
      method the Patients page shows first and which beside it.
    - ``merge_params``: how the explanation parameters of chunks explained apart combine into those of one call
      on all their rows (for parameters that summarise the rows); None: the chunks' parameters must agree.
    """

    name: str
    label: str
    families: tuple[str, ...]
    output: str
    stochastic: bool
    explain: Callable[..., Explanation]
    description: str = ""
    short: str = ""
    cost: str = "fast"
    defaults: dict = field(default_factory=dict)
    exact_on: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    background: bool = False
    background_rows: int = BACKGROUND_ROWS
    page_rows: dict = field(default_factory=dict)
    additive: bool = False
    batch_independent: bool = True
    signed: bool = True
    surrogate: bool = False
    reference: bool = False
    patients: str = "second"
    patients_rank: int = 0
    merge_params: Callable[[list[dict]], dict] | None = None

    def __post_init__(self) -> None:
        if self.cost not in COSTS:
            raise ExplainError(f"method {self.name!r}: cost must be one of {COSTS}, not {self.cost!r}")
        if self.output not in OUTPUTS:
            raise ExplainError(f"method {self.name!r}: output must be one of {OUTPUTS}, not {self.output!r}")
        if int(self.background_rows) < 1:
            raise ExplainError(f"method {self.name!r}: background_rows must be at least 1")
        if self.patients not in PATIENT_ROLES:
            raise ExplainError(f"method {self.name!r}: patients must be one of {PATIENT_ROLES}, not {self.patients!r}")
        object.__setattr__(self, "families", tuple(self.families))
        object.__setattr__(self, "params", tuple(self.params))
        if not self.short:
            object.__setattr__(self, "short", self.label)
        check_params(self.name, self.params, {k: v for k, v in self.defaults.items() if k != "background"})

    def applies_to(self, family: str) -> bool:
        return family in self.families

    def check_family(self, family: str) -> None:
        """ExplainError naming the methods that do apply when this one does not apply to ``family``."""
        if family not in self.families:
            raise ExplainError(f"{self.name!r} does not apply to {family} models; for {family} use one of: "
                               f"{', '.join(methods_for(family))}")

    def check_params(self, params: dict) -> None:
        """ExplainError unless every parameter is declared and valid (``background`` is not a parameter)."""
        check_params(self.name, self.params, params)

    def deterministic_for(self, family: str) -> bool:
        """True when explaining a ``family`` model gives the same values for every seed."""
        return not self.stochastic or family in self.exact_on

    def cost_for(self, family: str) -> str:
        """"fast" or "slow" on a ``family`` model (exact computations are fast)."""
        return "fast" if family in self.exact_on else self.cost

    def is_fast(self, family: str) -> bool:
        return self.cost_for(family) == "fast"

    def needs_background(self, family: str) -> bool:
        """True when the method's numbers on a ``family`` model depend on reference rows (a background)."""
        return self.background and family not in self.exact_on

    def rows_for(self, family: str) -> int | None:
        """Rows the pages explain by default: None (every row) when fast, else a seeded sample of this many."""
        return None if self.is_fast(family) else int(self.page_rows.get(family, PAGE_ROWS))

    def merged_params(self, parts: list[dict]) -> dict:
        """The parameters of an explanation stitched from chunks (:attr:`merge_params`); ExplainError when chunks
        that cannot be merged disagree."""
        if self.merge_params is not None:
            return self.merge_params(list(parts))
        if any(p != parts[0] for p in parts):
            raise ExplainError(f"{self.name}: chunks explained apart disagree on their parameters")
        return dict(parts[0])

    def budget_for(self, family: str, overrides: dict | None = None) -> dict:
        """Budget parameters for a ``family`` model: ``defaults`` updated by ``overrides``; {} where exact."""
        if self.deterministic_for(family):
            return {}
        return {**self.defaults, **(overrides or {})}


def row_summaries(sums: tuple[str, ...] = (), maxima: tuple[str, ...] = ()) -> Callable[[list[dict]], dict]:
    """A ``merge_params`` for parameters that count (``sums``) or bound (``maxima``) over the rows explained; every
    other parameter must agree between chunks."""

    def merge(parts: list[dict]) -> dict:
        fixed = [{k: v for k, v in p.items() if k not in (*sums, *maxima)} for p in parts]
        if any(f != fixed[0] for f in fixed):
            raise ExplainError("chunks explained apart disagree on their parameters")
        out = dict(parts[0])
        out.update({k: sum(p[k] for p in parts) for k in sums if k in out})
        out.update({k: max(p[k] for p in parts) for k in maxima if k in out})
        return out

    return merge


# ---- one checked call -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Prepared:
    """One checked explanation request: the method, the model, the rows, the seed, the declared parameters and
    the reference rows (``background``, None where the method does not use one). ``run()`` computes it here."""

    spec: MethodSpec
    model: object
    X: pd.DataFrame
    seed: int
    params: dict
    background: object = None

    @property
    def method(self) -> str:
        return self.spec.name

    def arguments(self) -> dict:
        """The keyword arguments the method's function receives (besides the seed)."""
        return dict(self.params) if self.background is None else {**self.params, "background": self.background}

    def on_rows(self, X: pd.DataFrame, model=None) -> "Prepared":
        """The same call on other rows (a chunk) and optionally another copy of the model; background kept."""
        return dataclasses.replace(self, X=X, model=self.model if model is None else model)

    def run(self) -> Explanation:
        return self.spec.explain(self.model, self.X, seed=self.seed, **self.arguments())


def prepare(model, X: pd.DataFrame, method: "str | MethodSpec", *, seed: int = 0, background=None,
            **params) -> Prepared:
    """Check a request once and return the call to run: the method applies to ``model.family``, every parameter is
    declared and valid, and a method that needs a background gets ``background`` (a frame of reference rows, or a
    function returning one, called only then) -- else the rows explained, which must then be at least
    :data:`risklens.explain._common.MIN_BACKGROUND` rows. Methods that need no background never receive one."""
    spec = method if isinstance(method, MethodSpec) else _lookup(method)
    spec.check_family(model.family)
    spec.check_params(params)
    reference = None
    if spec.needs_background(model.family):
        reference = background() if callable(background) else background
        own = reference is None or (isinstance(reference, pd.DataFrame) and isinstance(X, pd.DataFrame)
                                    and reference.index.equals(X.index))
        if own:
            check_own_background(len(X), spec.name)
        reference = X if reference is None else reference
    return Prepared(spec, model, X, int(seed), dict(params), reference)


# ---- where a call runs ----------------------------------------------------------------------------
class Executor(Protocol):
    """Where prepared calls run: ``explain(call) -> Explanation`` with the numbers ``call.run()`` gives."""

    def explain(self, call: Prepared) -> Explanation: ...


class InProcess:
    """Runs every call in this process (the default executor)."""

    def explain(self, call: Prepared) -> Explanation:
        return call.run()


IN_PROCESS = InProcess()


# ---- the registry ---------------------------------------------------------------------------------
_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add (or replace) a method under its name."""
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> MethodSpec:
    """Remove the method ``name`` (ExplainError when it is not registered); returns its spec."""
    method(name)
    return _REGISTRY.pop(name)


@contextlib.contextmanager
def registered(spec: MethodSpec) -> Iterator[MethodSpec]:
    """Register ``spec`` for a ``with`` block; afterwards the registry is as it was (a replaced method returns)."""
    before = _REGISTRY.get(spec.name)
    register(spec)
    try:
        yield spec
    finally:
        if before is None:
            _REGISTRY.pop(spec.name, None)
        else:
            register(before)


def method(name: str) -> MethodSpec:
    """The registered method ``name``; ExplainError naming the choices otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ExplainError(f"unknown explanation method {name!r}; choose one of {', '.join(_REGISTRY)}") from None


_lookup = method


def deterministic_for(name: str, family: str) -> bool:
    """True when method ``name`` on a ``family`` model does not depend on its seed."""
    return method(name).deterministic_for(family)


def needs_background(name: str, family: str) -> bool:
    """True when method ``name`` on a ``family`` model uses reference rows (the one rule every caller follows)."""
    return method(name).needs_background(family)


def methods_for(family: str) -> list[str]:
    """Names of the methods that apply to a ``family`` model, in registration order."""
    return [m.name for m in _REGISTRY.values() if family in m.families]


def all_methods() -> list[str]:
    """Names of every registered method."""
    return list(_REGISTRY)


def label(name: str) -> str:
    """The method's label, or the name itself for an unknown method (a stored explanation of a removed method)."""
    spec = _REGISTRY.get(name)
    return spec.label if spec is not None else str(name)


def _by_role(names, role: str) -> list[str]:
    """``names`` with role ``role`` first, then by ``patients_rank`` (higher first), then as given; "none" dropped."""
    specs = [m for m in map(method, names) if m.patients != "none"]
    return [m.name for m in sorted(specs, key=lambda m: (m.patients != role, -m.patients_rank))]


def shown_first(names) -> str | None:
    """Of the methods ``names``, the one the pages show first (role "first", then rank, then order given)."""
    ranked = _by_role(names, "first")
    return ranked[0] if ranked else None


def patient_methods(family: str) -> tuple[str | None, str | None]:
    """(method shown first, method shown beside it) on the Patients page for a ``family`` model: by role
    ("first" before "second"), then ``patients_rank`` (higher first), then registration order."""
    names = methods_for(family)
    first = shown_first(names)
    second = next((m for m in _by_role(names, "second") if m != first), None)
    return first, second
