"""The agent on one bench task, in-process through the same API as `mlestar run --quiet`.

Besides the final submission, the bench needs what the run store already knows: the best
initial candidate (MLE-STAR's starting point, to measure what refinement and ensembling added)
and the best-so-far validation score over time, read from the finished steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.finish import SOLUTION_STAGES
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.notebook import contract
from mlestar_lab.report import run_report
from mlestar_lab.store.models import StepRecord
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.task.metrics import improvement


@dataclass
class InitialCandidate:
    step_id: int
    title: str
    val_score: float
    submission: str


@dataclass
class AgentOutcome:
    """One agent run as the bench reports it; `seconds` is wall time from creating the run to its end."""

    run_id: str
    run_dir: str
    status: str
    seconds: float
    metric: str
    val_score: float | None = None
    final_val_score: float | None = None
    submission: str | None = None
    initial: InitialCandidate | None = None
    curve: list[tuple[float, float]] = field(default_factory=list)
    error: str | None = None


def run_agent(workspace: Workspace, task_dir: Path, config: RunConfig) -> AgentOutcome:
    """Create and execute one run; Ctrl-C (an interrupted run) propagates as KeyboardInterrupt."""
    with workspace.open_store() as store:
        started_wall, started = time.time(), time.perf_counter()
        run = create_run(workspace, store, task_dir, config)
        final = execute_run(workspace, store, run.id)
        seconds = time.perf_counter() - started
        if final.status == "interrupted":
            raise KeyboardInterrupt
        steps = store.steps(run.id)
        submission = run_report(store, run.id)["submission"]
    return AgentOutcome(
        run_id=final.id,
        run_dir=final.run_dir,
        status=final.status,
        seconds=seconds,
        metric=final.metric,
        val_score=final.best_score,
        final_val_score=submission["score"] if submission else None,
        submission=submission["path"] if submission else None,
        initial=_best_initial(steps, final.metric),
        curve=_best_so_far(steps, final.metric, started_wall),
        error=final.error,
    )


def _scored(steps: list[StepRecord], stages: tuple[str, ...]) -> list[StepRecord]:
    return [
        s for s in steps if s.stage in stages and s.status == "ok" and s.score is not None and s.output_dir
    ]


def _best_initial(steps: list[StepRecord], metric: str) -> InitialCandidate | None:
    """The best-scored initial candidate (a debugger fix of a candidate counts as that candidate)."""
    best: StepRecord | None = None
    for step in _scored(steps, ("candidate",)):
        if best is None or improvement(metric, step.score or 0.0, best.score or 0.0) > 0:
            best = step
    if best is None or best.id is None or best.score is None:
        return None
    submission = str(Path(best.output_dir or "") / contract.SUBMISSION_FILE)
    return InitialCandidate(best.id, best.title, best.score, submission)


def _best_so_far(steps: list[StepRecord], metric: str, started: float) -> list[tuple[float, float]]:
    """(seconds since the run was created, best validation score so far) at every improvement."""
    finished = sorted(
        (s for s in _scored(steps, SOLUTION_STAGES) if s.finished_at is not None),
        key=lambda s: s.finished_at or 0.0,
    )
    curve: list[tuple[float, float]] = []
    for step in finished:
        score = step.score or 0.0
        if not curve or improvement(metric, score, curve[-1][1]) > 0:
            curve.append((max(0.0, (step.finished_at or started) - started), score))
    return curve
