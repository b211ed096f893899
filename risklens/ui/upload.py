"""Upload handling that a test can drive with plain bytes: errors are kept in session state and shown,
and the previously active cohort stays active."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.cohorts.stored import StoredUpload, UploadStore
from risklens.cohorts.upload import cohort_from_upload, read_upload
from risklens.errors import RiskLensError
from risklens.ui import state
from risklens.ui.state import K_KEEP_ERROR, K_MAPPED_FILE


@st.cache_data(show_spinner="Reading the file ...", max_entries=4)
def _read(digest: str, filename: str, _data: bytes) -> pd.DataFrame:
    return read_upload(_data, filename)


def read_uploaded_table(data: bytes, filename: str) -> pd.DataFrame | None:
    """The uploaded table, or None after recording a clear error message in session state."""
    try:
        frame = _read(hashlib.sha256(data).hexdigest(), filename, data)
    except RiskLensError as exc:
        st.session_state[state.K_UPLOAD_ERROR] = f"Could not read {filename}: {exc}"
        return None
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file, not a crash
        st.session_state[state.K_UPLOAD_ERROR] = f"Could not read {filename}: {type(exc).__name__}: {exc}"
        return None
    st.session_state.pop(state.K_UPLOAD_ERROR, None)
    return frame


def activate_upload(frame: pd.DataFrame, filename: str, outcome: str, id_col: str | None = None,
                    trigger_col: str | None = None, group_col: str | None = None,
                    dictionary=None, drop=(), time_col: str | None = None) -> Cohort | None:
    """Validate the mapped table; on success it becomes the active cohort, else the error is kept.

    ``dictionary``: a FeatureDictionary, the name of a built-in cohort whose dictionary to use, or None
    (inferred from the column names)."""
    # a browser sends a bare name, a script can send any path: keep the last component only
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].strip(". ") or "uploaded"
    try:
        if isinstance(dictionary, str):
            from risklens.cohorts import builtin_dictionary

            dictionary = builtin_dictionary(dictionary)
        cohort = cohort_from_upload(frame, outcome, id_col=id_col, trigger_col=trigger_col, group_col=group_col,
                                    name=name, dictionary=dictionary, drop=drop, time_col=time_col)
    except RiskLensError as exc:
        st.session_state[state.K_UPLOAD_ERROR] = f"{filename} cannot be used as a cohort: {exc}"
        return None
    st.session_state.pop(state.K_UPLOAD_ERROR, None)
    mapping = {"outcome": outcome, "id_col": id_col, "trigger_col": trigger_col, "group_col": group_col,
               "drop": list(drop), "time_col": time_col}
    try:  # kept in the RiskLens home so a reload or a link brings it back
        link = upload_store().save(frame, filename, cohort, mapping, owner()).id
    except (OSError, ValueError, RiskLensError) as exc:
        link = None
        st.session_state[K_KEEP_ERROR] = (f"{filename} is in use but could not be kept for later ({type(exc).__name__}); "
                                          "a reload will not bring it back.")
    state.set_cohort(cohort, link=link)
    return cohort




def owner() -> str:
    """Whose uploads these are: the signed-in identity, or the open session (everyone on an open server)."""
    from risklens.ui.identity import OPEN_USER, identity

    return identity() or OPEN_USER


def upload_store() -> UploadStore:
    from risklens.settings import uploads_root

    return UploadStore(uploads_root())


def stored_uploads() -> list[StoredUpload]:
    """This user's kept uploads, newest first."""
    return upload_store().entries(owner())


def open_stored(upload_id: str) -> Cohort:
    """Make a kept upload the active cohort (this user's only); raises UploadNotFound for any other id."""
    from risklens.audit import COHORT_OPENED
    from risklens.ui.audit import record

    cohort, entry = upload_store().load(upload_id, owner())
    state.set_cohort(cohort, link=entry.id)
    record(COHORT_OPENED, data=cohort.hash, upload=entry.id, file=entry.filename)
    return cohort


def delete_stored(upload_id: str) -> StoredUpload:
    """Delete a kept upload of this user; the active cohort stays in use for this session."""
    from risklens.audit import COHORT_DELETED
    from risklens.ui.audit import record

    entry = upload_store().delete(upload_id, owner())
    record(COHORT_DELETED, data=entry.data_hash, upload=entry.id, file=entry.filename)
    if state.cohort_link() == entry.id:
        st.session_state[state.K_COHORT_LINK] = None
        state.write_url()
    return entry


def load_upload(data: bytes, filename: str, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                group_col: str | None = None) -> Cohort | None:
    """Bytes straight to the active cohort (used by tests and scripts)."""
    frame = read_uploaded_table(data, filename)
    if frame is None:
        return None
    return activate_upload(frame, filename, outcome, id_col, trigger_col, group_col)


def upload_error() -> str | None:
    return st.session_state.get(state.K_UPLOAD_ERROR)


#: widget key of each role on the Data page's column mapping
ROLE_KEYS = {"outcome": "map_outcome", "id": "map_id", "group": "map_group", "trigger": "map_trigger",
             "time": "map_time"}
NONE = "(none)"


def start_mapping(frame: pd.DataFrame, filename: str) -> None:
    """A new file forgets the previous file's mapping and exclusions (its guesses apply again)."""
    stamp = f"{filename}:{len(frame)}:{','.join(map(str, frame.columns))}"
    if st.session_state.get(K_MAPPED_FILE) != stamp:
        for key in (*ROLE_KEYS.values(), "map_drop"):
            st.session_state.pop(key, None)
        st.session_state[K_MAPPED_FILE] = stamp


def role_moved(role: str) -> None:
    """on_change of a role's selectbox: a column chosen for this role leaves the role that held it."""
    from risklens.cohorts.upload import move_role

    mapping = {r: st.session_state.get(k) for r, k in ROLE_KEYS.items()}
    chosen = mapping[role]
    moved = move_role({r: (None if v == NONE else v) for r, v in mapping.items()}, role,
                      None if chosen == NONE else chosen)
    for r, k in ROLE_KEYS.items():
        if r != role and mapping[r] not in (None, NONE) and moved[r] is None:
            st.session_state[k] = NONE
    if chosen not in (None, NONE) and chosen in st.session_state.get("map_drop", []):  # a role is not left out
        st.session_state["map_drop"] = [c for c in st.session_state["map_drop"] if c != chosen]
