"""The data checks on the pages: cached findings of the active cohort or of an uploaded table, drawn as text."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.cohorts.checks import LEAK_AUROC, Finding, check_cohort, check_table, findings_frame
from risklens.errors import RiskLensError
from risklens.safety import md_escape


@st.cache_data(show_spinner="Checking the data ...", max_entries=16)
def _cohort_findings(cohort_hash: str, _cohort: Cohort) -> list[dict]:
    return [f.to_dict() for f in check_cohort(_cohort)]


def cohort_findings(cohort: Cohort) -> list[Finding]:
    """Findings of a cohort on the default split (the one the Model page trains on)."""
    return [Finding.from_dict(d) for d in _cohort_findings(cohort.hash, cohort)]


@st.cache_data(show_spinner="Checking the table ...", max_entries=16)
def _table_findings(digest: str, outcome: str, roles: tuple, drop: tuple, _frame: pd.DataFrame) -> list[dict]:
    return [f.to_dict() for f in check_table(_frame, outcome, drop=drop, **dict(roles))]


def table_findings(frame: pd.DataFrame, data: bytes, outcome: str, *, id_col=None, group_col=None, trigger_col=None,
                   drop=(), time_col=None) -> tuple[list[Finding], str | None]:
    """``(findings, None)`` of a mapped upload (``frame`` read from the uploaded bytes ``data``, whose hash keys the
    cache: a rerun re-hashes bytes, not the whole table), or ``([], why not)`` when the mapping cannot be checked yet."""
    if not outcome:
        return [], "choose the outcome column to check the table"
    roles = (("id_col", id_col), ("group_col", group_col), ("trigger_col", trigger_col), ("time_col", time_col))
    try:
        found = _table_findings(hashlib.sha256(data).hexdigest(), outcome, roles, tuple(drop), frame)
    except RiskLensError as exc:
        return [], str(exc)
    return [Finding.from_dict(d) for d in found], None


def checks_panel(findings: list[Finding], *, key: str, note: str | None = None) -> None:
    """The findings as a table (every cell plain text) with a caption saying what was checked."""
    st.markdown("**Data checks**")
    if note:
        st.caption(md_escape(note))
        return
    st.caption(f"Each column alone, on held-out rows of the patient-level split: AUROC >= {LEAK_AUROC:.2f} (of its "
               "value, or of whether it is blank) is a likely outcome leak. Also: post-outcome words in column names, "
               "identifier-like, constant and duplicated columns, duplicate patients across the split. Nothing is "
               "left out unless you choose it.")
    if not findings:
        st.success("No finding.")
        return
    high = [f for f in findings if f.severity == "high"]
    if high:  # the columns that would make held-out numbers wrong, named in words above the table
        named = ", ".join(dict.fromkeys(f.column or "(table)" for f in high))
        st.warning(f"{len(high)} finding(s) likely to make held-out numbers wrong, in: {md_escape(named)}. Leave these "
                   "columns out above, or check when they are recorded.", icon=":material/warning:")
    st.dataframe(findings_frame(findings), hide_index=True, width="stretch", key=key)


def checks_warnings(findings: list[Finding]) -> None:
    """A compact list above a Train button: one line per finding (user text escaped)."""
    if not findings:
        return
    high = sum(f.severity == "high" for f in findings)
    head = f"Data checks: {len(findings)} finding(s)" + (f", {high} likely to make held-out numbers wrong" if high else "")
    lines = [f"- {md_escape(f.severity)} · {md_escape(f.kind)} · {md_escape(f.column or '(table)')}: "
             f"{md_escape(f.message)}" for f in findings]
    st.warning(md_escape(head) + " (see the Data page to leave columns out).\n\n" + "\n".join(lines),
               icon=":material/warning:")
