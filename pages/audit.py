"""Audit: the append-only, hash-chained trail of who opened, downloaded, uploaded, trained and evaluated what."""

import pandas as pd
import streamlit as st

from risklens import audit, ui


def body() -> None:
    st.title("Audit trail")
    log = audit.open_log()
    check = log.verify()
    if check.ok:
        st.success(check.message(), icon=":material/verified:")
    else:
        st.error(check.message(), icon=":material/gpp_bad:")
    st.caption("Every row stores the SHA-256 of the row before it and of its own content: a row changed, "
               "deleted or inserted behind RiskLens's back breaks the chain there. Keep a copy of the head hash "
               "elsewhere to detect the last rows being removed. Command line: risklens audit --verify.")
    c = st.columns([1, 1, 1, 1])
    patient = c[0].text_input("Patient id", key="audit_patient").strip() or None
    user = c[1].text_input("User", key="audit_user").strip() or None
    action = c[2].selectbox("Action", ["any", *audit.ACTIONS], key="audit_action")
    limit = int(c[3].number_input("Last rows", 10, 100_000, 500, step=100, key="audit_limit"))
    rows = log.rows(patient_id=patient, user=user, action=None if action == "any" else action, limit=limit)
    st.dataframe(pd.DataFrame(rows, columns=["id", "ts", "user", "action", "patient_id", "model_id", "data_hash",
                                             "details", "row_hash"]),
                 hide_index=True, width="stretch")
    st.caption(f"{len(rows):,} row(s) shown.")


ui.run_page(body)
