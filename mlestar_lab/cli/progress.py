"""Live progress of a run in the terminal, read from the run store like any other front end."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from mlestar_lab.formatting import fmt_delta, fmt_score, fmt_seconds
from mlestar_lab.store.models import FINISHED_STEP_STATUSES, StepRecord
from mlestar_lab.store.store import RunStore


class Progress:
    """Prints each finished step and keeps a status line (stage, step, best score, time left)."""

    def __init__(self, store: RunStore, run_id: str, out: TextIO = sys.stderr, interval: float = 0.5):
        self.store = store
        self.run_id = run_id
        self.out = out
        self.interval = interval
        self.tty = out.isatty()
        self._seen: set[int] = set()
        self._asked: set[int] = set()
        self._stage: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlestar-progress", daemon=True)
        self._started = time.monotonic()
        self._spent_before = 0.0

    def __enter__(self) -> Progress:
        self._seen = {s.id for s in self.store.steps(self.run_id) if s.finished and s.id is not None}
        self._spent_before = self.store.get_run(self.run_id).elapsed_seconds
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()
        if self.tty:
            self.out.write("\r\033[K")
        self.out.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        run = self.store.get_run(self.run_id)
        steps = self.store.steps(self.run_id)
        for step in steps:
            if step.id not in self._seen and step.status in FINISHED_STEP_STATUSES and step.output_dir:
                self._seen.add(step.id or 0)
                self._line(self._describe(step))
        for decision in self.store.decisions(self.run_id, status="pending"):
            if decision.id not in self._asked:
                self._asked.add(decision.id or 0)
                self._line(
                    f"  ? decision {decision.id} ({decision.gate}): {decision.title} — answer with "
                    f"`mlestar decisions {self.run_id}` then approve / reject / edit"
                )
        if run.stage and run.stage != self._stage:
            self._stage = run.stage
            self._line(f"── {run.stage} ──")
        if self.tty:
            left = (run.budget_seconds or 0) - self._spent_before - (time.monotonic() - self._started)
            running = sum(s.status == "running" for s in steps)
            self.out.write(
                f"\r\033[K[{run.stage or 'starting'}] {len(self._seen)} steps done, {running} running"
                f" · best {fmt_score(run.best_score)} · ≈{fmt_seconds(max(0.0, left))} left"
            )
            self.out.flush()

    def _describe(self, step: StepRecord) -> str:
        outcome = (
            f"{fmt_score(step.score)} {fmt_delta(step.delta)}".rstrip()
            if step.status == "ok"
            else f"{step.status}: {step.reason or ''}"
        )
        return (
            f"  #{step.id:<4} {step.stage:<10} {step.title[:60]:<60} {outcome}  ({fmt_seconds(step.runtime)})"
        )

    def _line(self, text: str) -> None:
        if self.tty:
            self.out.write("\r\033[K")
        self.out.write(text + "\n")
        self.out.flush()
