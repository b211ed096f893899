"""The active cohort and model in the URL (``?cohort=<upload id>&model=<model id>``).

Every run writes them (app.py, then the model picker), so a browser reload or a copied link names the work
on screen. A link value is applied once, when it is new (not the echo of what this session wrote): a
cohort id is looked up among the signed-in user's kept uploads only, a model id among the active cohort's
models only. Anything else gets a plain message that quotes the value as text, never a path.
"""

from __future__ import annotations

import logging

import streamlit as st

from risklens.cohorts.stored import UploadNotFound
from risklens.ui import state
from risklens.ui.upload import open_stored

log = logging.getLogger("risklens.ui")

def _refuse(what: str, value: str) -> None:
    st.error(f"{what} The link's value, as given:", icon=":material/link_off:")
    st.text(value)  # plain text: a link value is never markdown or a path


def _add_from_store(cohort, model_id: str) -> bool:
    """Add the stored model with this id, trained on exactly this cohort's data, to the session (a model the
    session had not listed yet, e.g. one trained on the demo cohort beside its three models)."""
    from pathlib import Path

    from risklens.modeling.catalog import store_table
    from risklens.modeling.card import card_model_id
    from risklens.modeling.store import read_card
    from risklens.settings import models_root

    table = store_table(models_root(), cohort)
    for path in table.loc[table["same data"].astype(bool), "path"] if len(table) else []:
        try:
            if card_model_id(read_card(Path(path))) == model_id:
                state.add_model_path(cohort, path)
                return True
        except (OSError, ValueError):
            continue
    return False


def restore() -> None:
    """Apply a new ``?cohort=`` / ``?model=`` (a reload, a shared link), then write the current ones."""
    seen = state.url_seen()
    wanted = st.query_params.get("cohort")
    if wanted and wanted != seen.get("cohort"):
        seen["cohort"] = wanted
        if wanted != state.cohort_link():
            try:
                open_stored(wanted)
            except UploadNotFound:
                _refuse("The link names an uploaded cohort that is not kept for you (it was deleted, belongs to "
                        "another user, or the id is wrong); the current cohort stays active.", wanted)
            except Exception as exc:  # noqa: BLE001 - a damaged entry: say so, keep the session usable
                log.exception("a linked upload could not be reopened")
                _refuse(f"The linked uploaded cohort could not be reopened ({type(exc).__name__}; details in the "
                        "server log); the current cohort stays active.", wanted)
    wanted = st.query_params.get("model")
    if wanted and wanted != seen.get("model"):
        seen["model"] = wanted
        if wanted != state.chosen_model():
            cohort = state.active_cohort()
            ids = [m.model_id for m in state.active_models(cohort)]
            if wanted in ids or _add_from_store(cohort, wanted):
                state.choose_model(wanted)
            else:
                _refuse("The link names a model that is not trained or loaded for the active cohort; the model "
                        "picker shows another one.", wanted)
    state.write_url()
