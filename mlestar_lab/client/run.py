"""A handle on one run, for notebooks: read it, wait for it, answer its decisions, stop or resume it.

The handle holds no state of its own: every property is read from the run store when asked, so
two handles (or a handle, the CLI and the JupyterLab panel) on one run always agree. Answers go
through `answer_decision`, the one validation the CLI and the server use.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.agent.lifecycle import ensure_resumable
from mlestar_lab.agent.supervisor import AGENT_LOG
from mlestar_lab.client import frames
from mlestar_lab.errors import UserError
from mlestar_lab.report import run_report
from mlestar_lab.store.models import Decision, DecisionAnswer, DecisionStatus, RunRecord, StepRecord

if TYPE_CHECKING:
    from mlestar_lab.client.lab import Lab
    from mlestar_lab.widget.panel import RunPanel

ENDED = ("finished", "failed", "interrupted", "stopped")
POLL_SECONDS = 0.25
_LOG_TAIL_LINES = 5


class Run:
    def __init__(self, lab: Lab, run_id: str) -> None:
        self.lab = lab
        self.id = run_id

    def __repr__(self) -> str:
        record = self.record
        return f"<mlestar run {self.id}: {record.status}, best {record.metric} {record.best_score}>"

    # -- what the run is ----------------------------------------------------------------------

    @property
    def record(self) -> RunRecord:
        return self.lab.store.get_run(self.id)

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def best_score(self) -> float | None:
        return self.record.best_score

    @property
    def submission_path(self) -> Path | None:
        path = self.record.submission_path
        return Path(path) if path else None

    @property
    def alive(self) -> bool:
        """Whether an agent process is executing the run right now."""
        return self.lab.agents.alive(self.record)

    def report(self) -> dict[str, Any]:
        """The sections `mlestar show` prints, as plain data."""
        return run_report(self.lab.store, self.id)

    def steps(self) -> list[StepRecord]:
        return self.lab.store.steps(self.id)

    def steps_frame(self) -> pd.DataFrame:
        return frames.steps_frame(self.report())

    def stages_frame(self) -> pd.DataFrame:
        return frames.stages_frame(self.report())

    def ablations(self) -> list[pd.DataFrame]:
        return frames.ablation_frames(self.report())

    def refinements(self) -> pd.DataFrame:
        return frames.refinements_frame(self.report())

    def ensembles(self) -> pd.DataFrame:
        return frames.ensembles_frame(self.report())

    # -- decisions ------------------------------------------------------------------------------

    def decisions(self, status: DecisionStatus | None = "pending") -> list[Decision]:
        """The run's decisions, oldest first: pending ones by default, all with `status=None`."""
        return self.lab.store.decisions(self.id, status)

    def answer(self, decision: Decision | int, answer: DecisionAnswer) -> Decision:
        decision_id = decision if isinstance(decision, int) else decision.id
        if decision_id is None:
            raise UserError("that decision has no id: take it from run.decisions()")
        return answer_decision(self.lab.store, self.id, decision_id, answer)

    def approve(self, decision: Decision | int, reason: str | None = None) -> Decision:
        return self.answer(decision, DecisionAnswer(action="approve", reason=reason))

    def reject(self, decision: Decision | int, reason: str) -> Decision:
        return self.answer(decision, DecisionAnswer(action="reject", reason=reason))

    def edit(self, decision: Decision | int, reason: str | None = None, **changes: Any) -> Decision:
        """Change what the gate allows: `code` (+ `block`, `plan`), `block`, `families` or `step_id`."""
        return self.answer(decision, DecisionAnswer(action="edit", reason=reason, **changes))

    # -- following and steering -------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> RunRecord:
        """Block until the run has ended or waits for a decision; the run record then.

        Returning at a decision is deliberate: a notebook cell blocked here would keep the kernel
        from handling the panel's buttons. Answer `run.decisions()`, then wait again.
        Raises `TimeoutError` after `timeout` seconds, and `UserError` when the agent is gone
        without ending the run (it crashed, or nothing was started: `run.resume()`).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.record
            if record.status in ENDED:
                return record
            if self.decisions():
                return record
            if not self.lab.agents.alive(record):
                record = self.record  # it may have ended between the two reads
                if record.status in ENDED:
                    return record
                raise UserError(self._not_running(record))
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {self.id} is still {record.status} after {timeout:.0f}s")
            time.sleep(POLL_SECONDS)

    def next_decision(self, timeout: float | None = None) -> Decision | None:
        """The oldest pending decision, waiting for one; None once the run has ended without one."""
        self.wait(timeout)
        pending = self.decisions()
        return pending[0] if pending else None

    def stop(self) -> RunRecord:
        """Stop the agent; the run becomes interrupted and `resume()` continues it."""
        if not self.lab.agents.stop(self.record):
            raise UserError(f"run {self.id} is not running ({self.status}); nothing to stop")
        return self.record

    def resume(self) -> Run:
        """Start an agent for an unfinished run (after `stop()`, a crash or a kernel restart)."""
        record = ensure_resumable(self.record)
        if self.lab.agents.alive(record):
            raise UserError(f"run {self.id} is already running; stop it first")
        self.lab.agents.spawn(record)
        return self

    def panel(self, interval: float = 1.0) -> RunPanel:
        """The ipywidgets panel of this run, updating itself every `interval` seconds."""
        from mlestar_lab.widget.panel import RunPanel

        return RunPanel(self, interval=interval)

    def _not_running(self, record: RunRecord) -> str:
        log = Path(record.run_dir) / AGENT_LOG
        tail = ""
        if log.is_file():
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            tail = " — last lines of its log:\n" + "\n".join(lines[-_LOG_TAIL_LINES:]) if lines else ""
        return (
            f"run {self.id} is {record.status} but no agent is executing it; "
            f"continue it with run.resume(){tail}"
        )
