"""``risklens cohort NAME --n N --seed S --out FILE``: write a built-in cohort as CSV or Parquet
(``--partitions P --out DIR``: a partitioned Parquet dataset, see :mod:`risklens.scale`)."""

from __future__ import annotations

import sys
from pathlib import Path

from risklens.cli.common import add_drop_argument, refuse_drop_partitioned, write_table
from risklens.errors import RiskLensError
from risklens.cli.scheduler import add_scheduler_argument


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "cohort", help="write a built-in cohort (ward, readmission, whas500) to CSV or Parquet",
        description="Simulate (or load) a built-in cohort and write it as one flat table: id, patient_id, "
                    "features, outcome, trigger.",
    )
    p.add_argument("name", help="built-in cohort: ward, readmission or whas500")
    p.add_argument("--n", type=int, default=None, help="rows to simulate (ignored by real data)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    p.add_argument("--preset", default=None, help="ward simulator setting: default or study (the study's care "
                   "process); a simulated cohort's mechanism goes to OUT-stem.mechanism.parquet")
    p.add_argument("--stays", action="store_true",
                   help="ward: --n stays, each a 24 h window every 4 h through the stay (columns stay, hour, "
                        "event_hour added); with --partitions each partition holds whole stays, the same rows as "
                        "one file")
    p.add_argument("--out", required=True, help="output file, .csv or .parquet (a folder with --partitions; a file "
                   "with --scheduler gathers the partitions into it)")
    p.add_argument("--partitions", type=int, default=None,
                   help="write a partitioned Parquet dataset of this many files into the folder --out (ward); "
                        "the same rows for the same seed whatever the number of partitions or workers")
    add_drop_argument(p)
    add_scheduler_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from risklens.cohorts import load_builtin

    if args.n is not None and args.n < 1:
        raise RiskLensError(f"--n must be a positive number of rows, got {args.n}")
    if args.partitions is not None or args.scheduler:
        from risklens.cli.scheduler import cohort_command
        from risklens.scale.simulate import block_size

        refuse_drop_partitioned(args)
        if args.partitions is None:  # a file --out: one partition per simulator block, gathered into the file
            if not Path(args.out).suffix:
                raise RiskLensError("--scheduler writes a partitioned dataset: give --partitions P and a folder "
                                    "as --out (or a .parquet / .csv file)")
            args.partitions = max(1, -(-int(args.n or 1) // block_size(bool(args.stays))))
        return cohort_command(args)
    if Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise RiskLensError(f"cannot write {Path(args.out).name}: use a .csv or .parquet file name")
    from risklens.cohorts.mechanism import write_mechanism

    from risklens.cohorts.columns import leave_out

    cohort = leave_out(load_builtin(args.name, n=args.n, seed=args.seed, preset=args.preset, stays=args.stays),
                       args.drop)
    if args.stays:
        from risklens.cohorts.stays import stays_frame

        frame = stays_frame(cohort)
    else:
        frame = cohort.to_frame()
    path = write_table(frame, args.out)
    write_mechanism(cohort, path)
    s = cohort.summary()
    print(f"wrote {s['rows']} rows, {s['features']} features, {s['events']} events "
          f"({100 * s['event_rate']:.1f}%) to {path}", file=sys.stderr)
    print(path)
    return 0
