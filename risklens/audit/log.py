"""The audit trail's storage: one append-only table behind any SQLAlchemy URL (SQLite by default).

Appends are serialised (SQLite ``BEGIN IMMEDIATE``; PostgreSQL and others lock the table) so that two
processes never chain onto the same previous row. On SQLite, triggers refuse UPDATE and DELETE; on any
backend :meth:`AuditLog.verify` detects rows changed or removed behind the application's back.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from risklens.audit.chain import GENESIS, Verification, row_hash, verify_rows
from risklens.errors import RiskLensError


class AuditError(RiskLensError):
    """The audit trail cannot be opened or written."""


metadata = MetaData()
audit_table = Table(
    "risklens_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(40), nullable=False),
    Column("user", String(320), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("patient_id", String(256), index=True),
    Column("model_id", String(128)),
    Column("data_hash", String(128)),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
)

_SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS risklens_audit_no_update BEFORE UPDATE ON risklens_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS risklens_audit_no_delete BEFORE DELETE ON risklens_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
]


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise AuditError(f"not a database URL for the audit trail: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # let SQLAlchemy's BEGIN below be the only transaction control
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout = 60000")

    @event.listens_for(engine, "begin")
    def _begin(conn):  # take the write lock at once: the last row cannot change under an append
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class AuditLog:
    """An append-only, hash-chained log of who did what, when, to which patient, model and data."""

    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        try:
            metadata.create_all(self.engine)
            if self.engine.dialect.name == "sqlite":
                with self.engine.begin() as conn:
                    for ddl in _SQLITE_GUARDS:
                        conn.exec_driver_sql(ddl)
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot open the audit trail at {self._where()}: {exc.__class__.__name__}: "
                             f"{' '.join(str(exc.orig if hasattr(exc, 'orig') else exc).split())}") from None

    def _where(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def append(self, user: str, action: str, *, patient_id=None, model_id=None, data_hash=None,
               **details) -> dict:
        """Add one row chained onto the last one; returns the stored row."""
        row = {"ts": datetime.now(timezone.utc).isoformat(timespec="microseconds"), "user": str(user),
               "action": str(action), "patient_id": None if patient_id is None else str(patient_id),
               "model_id": None if model_id is None else str(model_id),
               "data_hash": None if data_hash is None else str(data_hash),
               "details": json.dumps(details, sort_keys=True, default=str, ensure_ascii=False)}
        try:
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn.execute(text("LOCK TABLE risklens_audit IN SHARE ROW EXCLUSIVE MODE"))
                last = conn.execute(select(audit_table.c.id, audit_table.c.row_hash)
                                    .order_by(audit_table.c.id.desc()).limit(1)).first()
                row["id"] = 1 if last is None else int(last.id) + 1
                row["prev_hash"] = GENESIS if last is None else last.row_hash
                row["row_hash"] = row_hash(row["prev_hash"], row)
                conn.execute(audit_table.insert().values(**row))
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot write to the audit trail at {self._where()}: {exc.__class__.__name__}") from None
        return row

    def rows(self, patient_id: str | None = None, user: str | None = None, action: str | None = None,
             limit: int | None = None) -> list[dict]:
        """Rows in id order, optionally for one patient, user or action (the last ``limit`` rows)."""
        q = select(audit_table)
        if patient_id is not None:
            q = q.where(audit_table.c.patient_id == str(patient_id))
        if user is not None:
            q = q.where(audit_table.c.user == str(user))
        if action is not None:
            q = q.where(audit_table.c.action == str(action))
        q = q.order_by(audit_table.c.id.desc())
        if limit is not None:
            q = q.limit(int(limit))
        with self.engine.connect() as conn:
            found = [dict(r._mapping) for r in conn.execute(q)]
        return found[::-1]

    def verify(self) -> Verification:
        """Walk the whole chain; the first row that was modified, deleted or inserted is named."""
        with self.engine.connect() as conn:
            result = conn.execute(select(audit_table).order_by(audit_table.c.id))
            return verify_rows(dict(r._mapping) for r in result)

    def close(self) -> None:
        self.engine.dispose()
