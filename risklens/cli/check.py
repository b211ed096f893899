"""``risklens check``: the data checks of a table or built-in cohort, before any training.

Print every feature column's held-out single-column AUROC (of its value and of its blanks) on the patient-level
split training would use, then one line per finding: outcome and missingness leaks (AUROC >= 0.90),
post-outcome words in column names, identifier-like, constant and duplicated columns, duplicate patients across
the split (see risklens.cohorts.checks). --json prints both as JSON. Exit status 0, or 1 with --strict when a
finding is of severity "high".
"""

from __future__ import annotations

import sys
from pathlib import Path

from risklens.cli.common import add_cohort_source, data_roles, print_json
from risklens.errors import RiskLensError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("check", help="check a table for outcome leaks and suspicious columns before training",
                              description=__doc__)
    add_cohort_source(p)
    p.add_argument("--data-seed", type=int, default=0, help="seed of a simulated built-in cohort (default 0)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the patient-level split (default 0)")
    p.add_argument("--test-size", type=float, default=0.3, help="held-out share of patients (default 0.3)")
    p.add_argument("--json", action="store_true", help="print the table and the findings as JSON")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a finding is of severity high")
    p.set_defaults(func=run)


def _input(args):
    from risklens.cohorts import load_builtin
    from risklens.cohorts.checks import cohort_input, table_input
    from risklens.cohorts.columns import leave_out

    split = {"test_size": args.test_size, "split_seed": args.split_seed}
    if args.cohort:
        cohort = leave_out(load_builtin(args.cohort, n=args.n, seed=args.data_seed), args.drop)
        return cohort.name, cohort_input(cohort, **split)
    if not args.outcome:
        raise RiskLensError("--data needs --outcome COLUMN (the 0/1 outcome column)")
    if not Path(args.data).exists():
        raise FileNotFoundError(2, "No such file or directory", args.data)
    from risklens.cohorts import read_table

    roles = data_roles(args)
    frame = read_table(args.data, text_columns=[roles[c] for c in ("id_col", "group_col", "trigger_col") if roles[c]])
    return Path(args.data).name, table_input(frame, args.outcome, drop=args.drop, **roles, **split)


def format_table(table) -> str:
    """The leakage table as aligned text (AUROC to 3 decimals, '-' where not measured)."""
    head = ("column", "kind", "blank", "AUROC", "blank AUROC")
    rows = [(str(r.column), r.kind, f"{r.blank_share:.0%}", _num(r.auroc), _num(r.blank_auroc))
            for r in table.itertuples(index=False)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _num(v) -> str:
    return "-" if v != v else f"{v:.3f}"


def run(args) -> int:
    from risklens.cli.common import json_ready
    from risklens.cohorts.checks import LEAK_AUROC, findings_of, leakage_table

    if not 0 < args.test_size < 1:
        raise RiskLensError(f"--test-size must be between 0 and 1, got {args.test_size}")
    name, inp = _input(args)
    table = leakage_table(inp)
    findings = findings_of(inp, table)
    if args.json:
        print_json({"data": name, "leak_threshold": LEAK_AUROC, "rows": len(inp.y),
                    "columns": json_ready(table.to_dict(orient="records")),
                    "findings": [f.to_dict() for f in findings]})
    else:
        print(f"{name}: {len(inp.y)} rows, {inp.features.shape[1]} feature columns; held-out single-column AUROC "
              f"(leak threshold {LEAK_AUROC:.2f})")
        print(format_table(table))
        print(f"{len(findings)} finding(s)" + (":" if findings else ""))
        for f in findings:
            print(f"- {f.line()}")
    if args.strict and any(f.severity == "high" for f in findings):
        print(f"risklens check: {sum(f.severity == 'high' for f in findings)} finding(s) of severity high",
              file=sys.stderr)
        return 1
    return 0
