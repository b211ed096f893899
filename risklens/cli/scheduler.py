"""The command-line branches for partitioned data and ``--scheduler`` (the CLI modules call these; the work
itself is in :mod:`risklens.scale`, which knows nothing of the command line).

- :func:`add_scheduler_argument`: the ``--scheduler`` option, one help text for every command.
- :func:`cohort_command`: ``risklens cohort NAME --n N --out DIR --partitions P [--scheduler S]``.
- :func:`explain_command`: ``risklens explain ... --out DIR|FILE [--scheduler S]``.
- :func:`score_command`: risk scores of a saved model as a partitioned dataset or one gathered file (``risklens score``).
- :func:`evaluation_executor`: a ``with`` block giving the executor ``run_protocol`` runs its explanations on.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from risklens.errors import RiskLensError

SCHEDULER_HELP = ("run on Dask: local (one worker per core), local:N (N worker processes on this machine) or "
                  "tcp://host:port (a running `dask scheduler`); default: in this process")


def add_scheduler_argument(parser) -> None:
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help=SCHEDULER_HELP)


def _say(summary: dict, what: str) -> None:
    print(f"wrote {summary['rows']:,} {what} in {summary['partitions']} partition(s) to {summary['out']} "
          f"({summary.get('seconds', 0):.1f} s)", file=sys.stderr)


def cohort_command(args) -> int:
    from risklens.cli.common import print_json
    from risklens.scale.cluster import connect
    from risklens.scale.simulate import write_simulated

    stays = bool(getattr(args, "stays", False))
    if args.n is None:
        raise RiskLensError(f"--partitions needs --n, the number of {'stays' if stays else 'rows'} to simulate")
    options = {"stays": True} if stays else {}
    if getattr(args, "preset", None):
        options["preset"] = args.preset
    with connect(getattr(args, "scheduler", None)) as client:
        summary = write_simulated(args.name, int(args.n), args.out, partitions=int(args.partitions), seed=args.seed,
                                  client=client, **options)
    of_stays = f" (the windows of {int(args.n):,} stays)" if stays else ""
    print(f"wrote {summary['rows']:,} rows{of_stays} in {summary['partitions']} partition(s) to {summary['out']}",
          file=sys.stderr)
    print_json(summary)
    return 0


def explain_command(args) -> int:
    from risklens.cli.common import print_json
    from risklens.scale.cluster import connect
    from risklens.scale.jobs import explain_to_dataset

    if args.samples is not None and args.samples < 2:
        raise RiskLensError("--samples must be at least 2")
    print(f"explaining rows of {Path(args.data).name} with {args.method}"
          f"{' on ' + args.scheduler if args.scheduler else ''}", file=sys.stderr)
    with connect(args.scheduler) as client:
        summary = explain_to_dataset(args.model, args.data, args.method, args.out, seed=args.seed,
                                     samples=args.samples, id_col=args.id_col, rows=args.rows, ids=args.ids,
                                     client=client, part_rows=getattr(args, "partition_rows", None))
    _say(summary, "explanations")
    meta = summary.pop("meta")
    print_json(summary | {"method": meta["method"], "output": meta["output"], "model_id": meta["model_id"]})
    return 0


def score_command(args) -> int:
    """Needs ``args.model``, ``args.data``, ``args.out`` (a folder); optional ``id_col``, ``rows``, ``ids``,
    ``scheduler``, ``partition_rows``."""
    from risklens.cli.common import print_json
    from risklens.scale.cluster import connect
    from risklens.scale.jobs import PART_ROWS_EXACT, score_to_dataset

    with connect(getattr(args, "scheduler", None)) as client:
        summary = score_to_dataset(args.model, args.data, args.out, id_col=getattr(args, "id_col", None),
                                   rows=getattr(args, "rows", None), ids=getattr(args, "ids", None), client=client,
                                   part_rows=getattr(args, "partition_rows", None) or PART_ROWS_EXACT)
    _say(summary, "scores")
    print_json(summary)
    return 0


@contextmanager
def evaluation_executor(scheduler: str | None):
    """``with evaluation_executor(args.scheduler) as ex: run_protocol(..., executor=ex)``: the protocol's
    explanations on the scheduler's cluster (None: in this process)."""
    from risklens.explain import IN_PROCESS
    from risklens.scale.cluster import connect
    from risklens.scale.protocol import DaskExecutor

    with connect(scheduler) as client:
        yield IN_PROCESS if client is None else DaskExecutor(client)
