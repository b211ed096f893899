"""Columns the user leaves out of a cohort that is already built (a built-in cohort, a loaded one).

A user file is better left out before it is read into a cohort (``cohort_from_frame(..., drop=...)``), so that
a column that could not be encoded never stops the loading; :func:`leave_out` does the same for any cohort and
records the columns in its input contract (``InputContract.dropped``), which travels into every model's card.
"""

from __future__ import annotations

import difflib

from risklens.cohorts.base import Cohort, CohortError
from risklens.modeling.contract import InputContract


def leave_out(cohort: Cohort, columns) -> Cohort:
    """``cohort`` without ``columns`` (raw column names, or feature names of a cohort without encoding).

    CohortError naming a column that is not in the cohort, or when no feature would remain."""
    names = tuple(dict.fromkeys(str(c).strip() for c in (columns or ())))
    if not names:
        return cohort
    contract = cohort.contract if isinstance(cohort.contract, InputContract) else InputContract.numeric(
        cohort.features, id_col="id")
    raw = contract.raw_columns
    for c in names:
        if c not in raw:
            close = difflib.get_close_matches(c, raw, n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CohortError(f"cannot leave out column {c!r}: cohort {cohort.name!r} has no such column{hint}")
    specs = [s for s in contract.columns if s.name not in names]
    if not specs:
        raise CohortError("leaving out these columns would leave no feature to train on")
    new_contract = InputContract(specs, contract.id_col, tuple(contract.dropped) + names, contract.max_levels)
    keep = [c for c in cohort.features if c in set(new_contract.outputs)]
    return Cohort(name=cohort.name, X=cohort.X[keep], y=cohort.y, dictionary=cohort.dictionary.subset(keep),
                  groups=cohort.groups, trigger=cohort.trigger, source=cohort.source,
                  outcome_name=cohort.outcome_name, extra=cohort.extra, mechanism=cohort.mechanism,
                  contract=new_contract)
