"""What the run panel shows, read from the run store: no widgets here, so it is tested on its own.

`PanelModel.refresh` rebuilds the state only when the run's event log moved (every change to a
run, step or decision writes an event in the same transaction) or the agent came or went, so a
panel polling every second costs one indexed query while nothing happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.errors import UserError
from mlestar_lab.report import run_report
from mlestar_lab.store.models import Decision, DecisionAnswer, RunRecord, StepRecord
from mlestar_lab.store.store import RunStore

ENDED = ("finished", "failed", "interrupted", "stopped")
SOLUTION_STAGES = ("candidate", "merge", "refinement", "ensemble")
_EVENT_PAGE = 1000


@dataclass(frozen=True)
class PanelState:
    run: RunRecord
    alive: bool
    report: dict[str, Any]
    steps: dict[int, StepRecord]
    pending: list[Decision]
    seq: int

    @property
    def ended(self) -> bool:
        """Nothing more will change unless someone resumes the run. A run that is created or
        running without an agent is not ended: its agent may be starting, or be started elsewhere."""
        return not self.alive and self.run.status in ENDED

    def scores(self) -> list[tuple[int, str, float]]:
        """(step id, stage, score) of every scored solution, in the order the steps were added.

        Ablation variants are left out: they are the solution with a part switched off, scored
        to measure that part, not candidates for the submission.
        """
        return [
            (step_id, step.stage, step.score)
            for step_id, step in sorted(self.steps.items())
            if step.status == "ok" and step.score is not None and step.stage in SOLUTION_STAGES
        ]


class PanelModel:
    """The state of one run's panel and the answers given through it."""

    def __init__(self, store: RunStore, run_id: str, alive: Callable[[RunRecord], bool]) -> None:
        self.store = store
        self.run_id = run_id
        self.alive = alive
        self._state: PanelState | None = None

    @property
    def state(self) -> PanelState:
        if self._state is None:
            self.refresh()
        assert self._state is not None
        return self._state

    def refresh(self) -> bool:
        """Re-read the run if anything changed since the last call; whether it did."""
        seq = self._last_seq(self._state.seq if self._state else 0)
        run = self.store.get_run(self.run_id)
        alive = self.alive(run)
        if self._state is not None and seq == self._state.seq and alive == self._state.alive:
            return False
        self._state = PanelState(
            run=run,
            alive=alive,
            report=run_report(self.store, self.run_id),
            steps={s.id: s for s in self.store.steps(self.run_id) if s.id is not None},
            pending=self.store.decisions(self.run_id, "pending"),
            seq=seq,
        )
        return True

    def answer(self, decision_id: int, answer: DecisionAnswer) -> Decision:
        """Answer through the one validation the CLI and server use; `UserError` says what to fix."""
        decision = answer_decision(self.store, self.run_id, decision_id, answer)
        self.refresh()
        return decision

    def _last_seq(self, since: int) -> int:
        while events := self.store.events(self.run_id, since, _EVENT_PAGE):
            since = events[-1].seq
            if len(events) < _EVENT_PAGE:
                break
        return since


def edit_answer(decision: Decision, reason: str | None, **values: Any) -> DecisionAnswer:
    """An edit carrying only what the user changed from the gate's proposal.

    A form shows every editable field filled with the proposal (the block's code, the chosen
    block, the shortlist, the proposed step); sending them all back would "edit" fields the user
    never touched, so unchanged ones are dropped, and an edit that changes nothing is refused.
    """
    request = decision.request
    proposal = {
        "code": request.get("code"),
        "plan": request.get("plan"),
        "block": request.get("chosen", request.get("block")),
        "families": [f["name"] for f in request.get("families", [])],
        "step_id": request.get("proposed"),
    }
    editable = request.get("editable", [])
    changed = {
        name: value
        for name, value in values.items()
        if name in editable and value not in (None, "") and value != proposal.get(name)
    }
    if not changed:
        raise UserError(f"nothing was changed: edit {', '.join(editable)} first, or approve instead")
    if "code" in changed and "block" not in changed and request.get("block"):
        changed["block"] = request["block"]
    if "plan" in changed and "code" not in changed and "code" in editable:
        changed["code"] = request.get("code")
    return DecisionAnswer(action="edit", reason=reason or None, **changed)
