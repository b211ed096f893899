"""The ``risklens`` command line: one argparse parser, one module per sub-command.

Each module in :data:`COMMANDS` exposes ``add_parser(subparsers)`` that registers a
sub-command whose ``func(args) -> int`` does the work. Results go to stdout, progress to stderr.
User errors (:class:`~risklens.errors.RiskLensError`, ``OSError``) print one line on stderr and
exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from risklens import __version__
from risklens.cli import audit, check, cohort, conformal, evaluate, explain, import_model, score, train
from risklens.errors import RiskLensError

#: The sub-command modules, in the order ``--help`` lists them.
COMMANDS = (cohort, check, train, import_model, score, explain, evaluate, conformal, audit)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="risklens",
        description="Clinical risk prediction with SHAP and LIME explanations you can check.",
    )
    parser.add_argument("--version", action="version", version=f"risklens {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    else:
        text = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # stdout closed early (e.g. `| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (RiskLensError, OSError) as exc:
        print(f"risklens {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("risklens: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
