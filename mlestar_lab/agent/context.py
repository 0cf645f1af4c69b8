"""Everything one run's loop shares: store, task, strategist, executor, budget, limits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from mlestar_lab.agent.budget import Budget
from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.verify import ScoreVerifier
from mlestar_lab.executor.backend import NotebookExecutor
from mlestar_lab.llm.usage import SpendLedger
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.strategist.base import Attempt, Strategist
from mlestar_lab.task.metrics import improvement
from mlestar_lab.task.model import Task


class Interrupted(Exception):
    """The run was asked to stop (Ctrl-C, SIGTERM, `stop`): unfinished steps stay resumable."""


@dataclass
class RunContext:
    store: RunStore
    workspace: Workspace
    run: RunRecord
    config: RunConfig
    task: Task
    strategist: Strategist
    pool: NotebookExecutor
    budget: Budget
    verifier: ScoreVerifier
    folds_path: Path
    memory_limit_mb: int
    threads_per_notebook: int
    cancel: threading.Event = field(default_factory=threading.Event)
    spend: SpendLedger = field(default_factory=SpendLedger)

    def better(self, new: float | None, old: float | None) -> bool:
        """Whether `new` strictly improves on `old` for this task's metric."""
        if new is None:
            return False
        return old is None or improvement(self.task.metric, new, old) > 0

    def delta(self, new: float | None, old: float | None) -> float | None:
        if new is None or old is None:
            return None
        return improvement(self.task.metric, new, old)

    def rank(self, steps: list[StepRecord]) -> list[StepRecord]:
        """Scored steps, best first (ties: the earlier step first)."""
        sign = -1.0 if self.task.higher_is_better else 1.0
        return sorted(steps, key=lambda s: (sign * (s.score or 0.0), s.id or 0))

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise Interrupted("the run was stopped")


def attempt_of(step: StepRecord, block: str | None) -> Attempt:
    """A finished step as later plans see it; a user's decision and reason travel in `info`."""
    info = dict(step.info)
    if step.decided_by != "auto":
        info.update(decided_by=step.decided_by, user_reason=step.decision_reason)
    return Attempt(step.title, step.plan, step.status, step.score, step.delta, block, info)
