"""Gates: where the loop stops for a user's decision (jupyter-ai's permission flow, for MLE-STAR).

On a gate set to "ask" the agent records a pending decision holding everything needed to judge
it and polls the run store until the panel, the CLI or the widget answers. Only the asking step
waits: other steps of a parallel batch go on. The budget's clock stands still meanwhile. After a
crash, replay finds the decision by its key, answered or still pending, and never asks twice.
"""

from __future__ import annotations

from typing import Any

from mlestar_lab.agent.context import RunContext
from mlestar_lab.store.models import Decision, Gate

POLL_SECONDS = 0.25
# What an edit may change at each gate (see DecisionAnswer).
EDITABLE: dict[str, tuple[str, ...]] = {
    "retrieval": ("families",),
    "candidate": ("code", "block", "plan"),
    "merge": ("code", "block", "plan"),
    "refinement": ("code", "block", "plan"),
    "ensemble": ("code", "block", "plan"),
    "ablation": ("block",),
    "submission": ("step_id",),
}


class Gatekeeper:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    def asks(self, gate: Gate) -> bool:
        return self.ctx.config.gate_mode(gate) == "ask"

    def ask(
        self, key: str, gate: Gate, title: str, request: dict[str, Any], step_id: int | None = None
    ) -> Decision | None:
        """None when `gate` is automatic; else the answered decision for `key` (waiting for it).

        Raises `Interrupted` if the run is stopped while it waits; the decision stays pending and
        the resumed run waits for the same one.
        """
        if not self.asks(gate):
            return None
        store, run_id = self.ctx.store, self.ctx.run.id
        decision = store.decision_by_key(run_id, "gate/" + key)
        if decision is None:
            decision = store.add_decision(
                Decision(
                    run_id=run_id,
                    key="gate/" + key,
                    gate=gate,
                    step_id=step_id,
                    title=title,
                    request={**request, "editable": list(EDITABLE[gate])},
                )
            )
        assert decision.id is not None
        with self.ctx.budget.paused():
            while decision.status == "pending":
                self.ctx.check_cancelled()
                self.ctx.cancel.wait(POLL_SECONDS)
                decision = store.get_decision(run_id, decision.id)
        return decision
