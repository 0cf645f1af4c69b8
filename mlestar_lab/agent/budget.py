"""The run's wall-clock budget and how the MLE-STAR loop is scaled down to fit it.

The paper's defaults (M=4, T=4, K=4, R=5) can take hours on a large task. After the initial
candidates have run we know what one notebook costs here, so the outer/inner/ensemble counts are
reduced until the estimate fits the time left, keeping a reserve for the ensemble and the
submission so the run always ends with its best valid submission.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from mlestar_lab.agent.config import RunConfig

MIN_NOTEBOOK_TIMEOUT = 5.0
PAPER_OUTER_STEPS = 4


class Budget:
    """Time left for a run, counting the time spent before a `kill -9` and `resume`.

    Time spent waiting for a user's decision is not the run's: while any step waits (several may
    wait at once), the clock stands still.
    """

    def __init__(
        self,
        total: float,
        spent_before: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        exhausted: Callable[[], bool] | None = None,
    ):
        self.total = total
        self._exhausted = exhausted
        self._spent_before = spent_before
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._waiting = 0
        self._wait_started = 0.0
        self._waited = 0.0

    def elapsed(self) -> float:
        with self._lock:
            waited = self._waited + (self._clock() - self._wait_started if self._waiting else 0.0)
        return self._spent_before + (self._clock() - self._start) - waited

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock for the duration of the block (nested and concurrent pauses count once)."""
        with self._lock:
            if self._waiting == 0:
                self._wait_started = self._clock()
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1
                if self._waiting == 0:
                    self._waited += self._clock() - self._wait_started

    def remaining(self) -> float:
        return self.total - self.elapsed()

    def notebook_timeout(self, cap: float, reserve: float = 0.0) -> float:
        """Timeout for a notebook starting now: never past the deadline minus `reserve`."""
        return max(MIN_NOTEBOOK_TIMEOUT, min(cap, self.remaining() - reserve))

    def allows(self, seconds: float, reserve: float = 0.0) -> bool:
        """Whether work expected to take `seconds` still fits before the reserve (and the model spend
        cap, when there is one, is not reached: then no new work starts and the run finishes)."""
        if self._exhausted is not None and self._exhausted():
            return False
        return self.remaining() - reserve >= seconds


class LoopPlan(BaseModel):
    """How many merges, outer steps, inner plans and ensemble rounds this run will attempt."""

    merges: int
    outer_steps: int
    inner_steps: int
    ensemble_rounds: int
    notebook_seconds: float
    estimate_seconds: float
    scaled_down: bool
    open_ended: bool = False  # more outer steps after these while the budget lasts


def ensemble_seconds(notebook_seconds: float) -> float:
    """An ensemble notebook only reads saved predictions: kernel start-up plus a little work."""
    return min(notebook_seconds, 4.0 + 0.1 * notebook_seconds)


def estimate(plan: LoopPlan, workers: int, ablations_per_step: int = 5) -> float:
    """Expected seconds for the rest of the loop, with `workers` notebooks running at once."""
    t = plan.notebook_seconds

    def waves(n: int) -> int:
        return math.ceil(n / workers) if n else 0

    per_outer = waves(ablations_per_step) * t + waves(plan.inner_steps) * t
    return plan.merges * t + plan.outer_steps * per_outer + plan.ensemble_rounds * ensemble_seconds(t)


def scale_plan(config: RunConfig, candidates: int, notebook_seconds: float, remaining: float) -> LoopPlan:
    """The largest plan (in the paper's order of importance) whose estimate fits `remaining`.

    Reductions, in order: fewer inner plans (to 2), fewer outer steps (to 1), one inner plan,
    fewer merges, fewer ensemble rounds (to 2), then no outer step at all.
    """
    plan = LoopPlan(
        merges=max(0, min(config.models, candidates) - 1),
        outer_steps=PAPER_OUTER_STEPS if config.outer_steps is None else config.outer_steps,
        inner_steps=config.inner_steps,
        ensemble_rounds=config.ensemble_rounds,
        notebook_seconds=notebook_seconds,
        estimate_seconds=0.0,
        scaled_down=False,
    )
    target = 0.9 * remaining
    reductions = [
        ("inner_steps", 2),
        ("outer_steps", 1),
        ("inner_steps", 1),
        ("merges", 0),
        ("ensemble_rounds", 2),
        ("outer_steps", 0),
        ("ensemble_rounds", 1),
    ]
    for field, floor in reductions:
        while estimate(plan, config.workers) > target and getattr(plan, field) > floor:
            setattr(plan, field, getattr(plan, field) - 1)
            plan.scaled_down = True
    plan.estimate_seconds = estimate(plan, config.workers)
    plan.open_ended = config.outer_steps is None and not plan.scaled_down
    return plan
