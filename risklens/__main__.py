"""`python -m risklens ...` is the same as the `risklens` console script."""

from risklens.cli import main

if __name__ == "__main__":  # Dask's worker processes (spawn) import this module again: run only when executed
    raise SystemExit(main())
