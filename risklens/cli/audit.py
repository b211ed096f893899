"""``risklens audit``: list the audit trail (optionally one patient's or one user's rows) or verify its chain.

List who opened which patient, downloaded which export, uploaded data, trained, loaded or imported a model and
ran an evaluation. --verify walks the hash chain and names the first row that was modified, deleted or
inserted (exit status 1 when broken).
"""

from __future__ import annotations

import json
import sys

from risklens.cli.common import print_json

COLUMNS = ("id", "ts", "user", "action", "patient_id", "model_id", "data_hash")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "audit", help="list or verify the audit trail",
        description=__doc__,
    )
    p.add_argument("--patient", help="only rows about this patient id")
    p.add_argument("--user", help="only rows by this user")
    p.add_argument("--action", help="only rows of this action, e.g. 'patient opened'")
    p.add_argument("--limit", type=int, default=None, help="only the last N matching rows")
    p.add_argument("--verify", action="store_true", help="verify the hash chain instead of listing")
    p.add_argument("--url", default=None, help="SQLAlchemy URL of the audit database (default: the configured one)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_audit)


def _printable(value) -> str:
    """One table cell: control characters (terminal escapes, newlines) shown as escapes, never sent raw."""
    text = "-" if value is None else str(value)
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def run_audit(args) -> int:
    from risklens.audit import open_log

    log = open_log(args.url)
    if args.verify:
        result = log.verify()
        if args.json:
            print_json({"ok": result.ok, "rows": result.rows, "head": result.head, "broken_id": result.broken_id,
                        "reason": result.reason})
        else:
            print(result.message())
        return 0 if result.ok else 1
    rows = log.rows(patient_id=args.patient, user=args.user, action=args.action, limit=args.limit)
    if args.json:
        print_json([{**r, "details": json.loads(r["details"])} for r in rows])
        return 0
    if not rows:
        print("no matching audit rows", file=sys.stderr)
        return 0
    cells = [[_printable(r[c] if c != "data_hash" or r[c] is None else str(r[c])[:16]) for c in COLUMNS]
             + [_printable(r["details"])] for r in rows]
    head = [c.upper() for c in COLUMNS] + ["DETAILS"]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return 0
