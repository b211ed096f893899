"""The hash chain of the audit trail: pure functions on row dictionaries.

Each row stores ``prev_hash`` (the ``row_hash`` of the row before it; 64 zeros for the first row)
and ``row_hash`` = SHA-256 of ``prev_hash`` + the canonical JSON of its own content (id, time, user,
action, patient id, model id, data hash, details). Changing any stored field, deleting or inserting a
row in the middle breaks the chain at that row. Deleting the *last* rows leaves a shorter chain that
is still consistent: compare the head hash with one recorded elsewhere to detect that.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable

GENESIS = "0" * 64
CONTENT_FIELDS = ("id", "ts", "user", "action", "patient_id", "model_id", "data_hash", "details")


def content_json(row: dict) -> str:
    """The canonical JSON of a row's content fields (sorted keys, no spaces)."""
    return json.dumps({k: row.get(k) for k in CONTENT_FIELDS}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def row_hash(prev_hash: str, row: dict) -> str:
    return hashlib.sha256((prev_hash + "\n" + content_json(row)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: ``ok``, the rows checked, the first broken row and why."""

    ok: bool
    rows: int
    head: str
    broken_id: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.rows} row(s), head {self.head}"
        return f"audit trail broken at row {self.broken_id}: {self.reason}"


def verify_rows(rows: Iterable[dict]) -> Verification:
    """Check rows in id order: ids consecutive from 1, each ``prev_hash`` links, each ``row_hash`` matches."""
    prev, expected_id, n = GENESIS, 1, 0
    for row in rows:
        rid = int(row["id"])
        if rid != expected_id:
            return Verification(False, n, prev, expected_id,
                                f"row {expected_id} is missing (next stored row is {rid}): rows were deleted")
        if row["prev_hash"] != prev:
            return Verification(False, n, prev, rid, "its link to the previous row does not match: "
                                "the previous row was modified, deleted or inserted")
        if row_hash(prev, row) != row["row_hash"]:
            return Verification(False, n, prev, rid, "its content does not match its hash: the row was modified")
        prev, expected_id, n = row["row_hash"], expected_id + 1, n + 1
    return Verification(True, n, prev)
