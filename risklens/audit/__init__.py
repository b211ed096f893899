"""The audit trail: who opened which patient, downloaded which export, uploaded, trained, loaded or
imported which model and ran which evaluation, when, on which data.

Rows are append-only and hash-chained (:mod:`risklens.audit.chain`); storage is any SQLAlchemy URL,
by default SQLite in the RiskLens home (:func:`risklens.settings.audit_url`). The dashboard records
through ``risklens.ui.audit.record``; the CLI through :func:`record` with the operating-system user.
"""

from __future__ import annotations

import getpass
import threading

from risklens.audit.chain import GENESIS, Verification, row_hash, verify_rows
from risklens.audit.log import AuditError, AuditLog

PATIENT_OPENED = "patient opened"
EXPORT_DOWNLOADED = "export downloaded"
EXPORT_WRITTEN = "export written"
UPLOAD = "upload"
MODEL_TRAINED = "model trained"
MODEL_IMPORTED = "model imported"
MODEL_LOADED = "model loaded"
EVALUATION_RUN = "evaluation run"
LOGIN = "login"
COHORT_OPENED = "cohort opened"  # a stored upload reopened (Data page list, a link, a reload)
COHORT_DELETED = "cohort deleted"
ACTIONS = (PATIENT_OPENED, EXPORT_DOWNLOADED, EXPORT_WRITTEN, UPLOAD, MODEL_TRAINED, MODEL_IMPORTED, MODEL_LOADED,
           EVALUATION_RUN, LOGIN, COHORT_OPENED, COHORT_DELETED)

_LOGS: dict[str, AuditLog] = {}
_LOCK = threading.Lock()


def open_log(url: str | None = None) -> AuditLog:
    """The audit log at ``url`` (default: the configured one), opened once per process."""
    from risklens.settings import audit_url

    url = url or audit_url()
    with _LOCK:
        if url not in _LOGS:
            _LOGS[url] = AuditLog(url)
        return _LOGS[url]


def cli_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record(action: str, *, user: str | None = None, patient=None, model=None, data=None, **details) -> dict:
    """Append one row to the configured audit log (``patient``/``model``/``data`` = ids and hash)."""
    return open_log().append(user or cli_user(), action, patient_id=patient, model_id=model, data_hash=data,
                             **details)


__all__ = ["ACTIONS", "AuditError", "AuditLog", "GENESIS", "Verification", "cli_user", "open_log", "record",
           "row_hash", "verify_rows", "PATIENT_OPENED", "EXPORT_DOWNLOADED", "EXPORT_WRITTEN", "UPLOAD",
           "MODEL_TRAINED", "MODEL_IMPORTED", "MODEL_LOADED", "EVALUATION_RUN", "LOGIN", "COHORT_OPENED",
           "COHORT_DELETED"]
