"""
progress.py
-----------

The one progress callback type of the pipeline, `progress(percent, stage)`,
and the adapters flows use: a bar that never goes backwards and a share of
the bar for a sub-task.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, str], None]


def silent(pct: int, stage: str) -> None:
    """A progress callback that ignores everything."""


def monotonic(progress: Progress) -> Progress:
    """Flows and hooks count their own percentages; never let the bar go backwards."""
    state = {"pct": 0}

    def report(pct: int, stage: str) -> None:
        state["pct"] = max(state["pct"], int(pct))
        progress(state["pct"], stage)

    return report


def scaled(progress: Progress, start: int, span: int) -> Progress:
    """Map a sub-task's 0-100 onto `start` .. `start + span` of the bar."""
    return lambda pct, stage: progress(start + pct * span // 100, stage)
