"""The built-in demo: the ward cohort and its three models (seed 0), trained once and kept in the store."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from risklens.cohorts.base import Cohort
from risklens.settings import DEMO_COHORT, DEMO_FAMILIES, DEMO_SEED, demo_n, demo_stays, models_root

_LOCK = threading.Lock()

Progress = Callable[[float, str], None]


def demo_cohort() -> Cohort:
    from risklens.ui.cache import builtin_cohort

    if demo_stays():  # about as many rows as the windows demo: a stay has ~6 windows
        return builtin_cohort(DEMO_COHORT, n=max(100, demo_n() // 6), seed=DEMO_SEED, stays=True)
    return builtin_cohort(DEMO_COHORT, n=demo_n(), seed=DEMO_SEED)


def demo_dir(family: str) -> Path:
    stays = "-stays" if demo_stays() else ""
    return models_root() / f"demo-{DEMO_COHORT}{stays}-{demo_n()}-{family}-s{DEMO_SEED}"


def _saved(path: Path) -> bool:
    return path.is_dir() and (path / "card.json").exists()


def missing_demo() -> list[str]:
    return [f for f in DEMO_FAMILIES if not _saved(demo_dir(f))]


def demo_paths() -> list[str]:
    return [str(demo_dir(f)) for f in DEMO_FAMILIES if _saved(demo_dir(f))]


def ensure_demo(progress: Progress | None = None) -> list[str]:
    """Train and save whichever demo model is missing (seed 0); return the demo model directories."""
    from risklens.modeling import save_model, train_model

    with _LOCK:
        todo = missing_demo()
        if todo:
            if progress:
                progress(0.0, f"Simulating the ward cohort ({demo_n():,} rows) ...")
            cohort = demo_cohort()
            for i, family in enumerate(todo):
                if progress:
                    progress(i / len(todo), f"Training {family} (seed {DEMO_SEED}) on {cohort.n:,} rows ...")
                model = train_model(cohort, family, seed=DEMO_SEED)
                target = demo_dir(family)
                target.parent.mkdir(parents=True, exist_ok=True)
                save_model(model, target)
            if progress:
                progress(1.0, "Demo models ready.")
    return demo_paths()
