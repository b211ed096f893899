"""`python -m risklens ...` is the same as the `risklens` console script."""

from risklens.cli import main

raise SystemExit(main())
