"""The ablation study of one outer step: which block of the solution matters most right now.

Each ablatable block is switched back to its plainest form in a variant notebook, the variants
run in parallel, and the Δscore table goes to the strategist, which chooses the block to refine
(then the user, when the ablation gate asks). A variant that beats the base is adopted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from mlestar_lab.agent.context import RunContext
from mlestar_lab.agent.gates import Gatekeeper
from mlestar_lab.agent.runner import StepRunner
from mlestar_lab.llm.usage import Tally
from mlestar_lab.notebook.candidate import blocks
from mlestar_lab.store.models import StepRecord
from mlestar_lab.strategist.base import AblationRow, AblationVariant, Draft

# An outer step is started only if an ablation (its variants run `workers` at a time, about two
# rounds) and one batch of refinements fit: an ablation without refinement only costs time.
OUTER_STEP_ROUNDS = 3
log = logging.getLogger(__name__)


class AblationStudy:
    def __init__(
        self,
        ctx: RunContext,
        steps: StepRunner,
        parallel: Callable[[list[Callable[[], Any]]], list[Any]],
        consider: Callable[[StepRecord], None],
        best: Callable[[], StepRecord | None],
    ):
        self.ctx = ctx
        self.steps = steps
        self.parallel = parallel
        self.consider = consider
        self.best = best
        self.gates = Gatekeeper(ctx)

    def study(
        self, t: int, base: StepRecord, refined: list[str], earlier: StepRecord | None, reserve: float
    ) -> str | None:
        """Run the ablation variants of `base` (or reuse `earlier`'s table), record the table,
        return the block chosen to refine."""
        summary = self.ctx.store.step_by_key(self.ctx.run.id, f"ablation/{t}")
        if summary is not None:
            return summary.block
        used = Tally()  # the strategist's calls only: each variant step carries its own
        if earlier is not None:
            table = [AblationRow(**row) for row in earlier.info["table"]]
        else:
            table = self._run(t, base, reserve, used)
        with self.ctx.spend.tally() as choosing:
            try:
                choice = self.ctx.strategist.choose_block(
                    self.ctx.task, self.steps.solution(self.best() or base), table, refined
                )
            except Exception as exc:
                log.exception("the strategist failed to choose a block in outer step %d", t)
                choice = None
                failure = f"the strategist failed to choose a block: {type(exc).__name__}: {exc}"
            else:
                failure = "no block left to refine"
        used.add(choosing)
        block, reason = (choice.block, choice.reason) if choice else (None, failure)
        if earlier is not None:
            reason = f"{reason} ({_reuse_note(earlier, base)})"
        decided: dict[str, Any] = {}
        if block is not None:
            block, reason, decided = self._ask(t, base, table, block, reason)
        self.steps.record(
            f"ablation/{t}",
            "ablation",
            f"Ablation study {t}",
            {
                "table": [asdict(r) for r in table],
                "base_step": base.id,
                "chosen": block,
                "reused_from": earlier.id if earlier else None,
                **used.info(),
            },
            block=block,
            plan=reason,
            parent_id=base.id,
            score=base.score,
            tokens=used.tokens,
            cost_usd=used.cost_usd,
            **decided,
        )
        return block

    def _ask(
        self, t: int, base: StepRecord, table: list[AblationRow], block: str, reason: str
    ) -> tuple[str | None, str, dict[str, Any]]:
        """The ablation gate: the user may approve the chosen block, pick another or refine none."""
        names = [b.name for b in blocks(self.steps.notebook_of(base))]
        request = {
            "table": [asdict(r) for r in table],
            "chosen": block,
            "reason": reason,
            "blocks": names,
            "base": {"step_id": base.id, "title": base.title, "score": base.score},
        }
        decision = self.gates.ask(
            f"ablation/{t}", "ablation", f"Ablation study {t}: refine {block} next?", request
        )
        if decision is None or decision.answer is None:
            return block, reason, {}
        answer = decision.answer
        why = f": {answer.reason}" if answer.reason else ""
        if decision.status == "rejected":
            return None, f"{reason} — rejected by the user{why}", _by("user-rejected", answer.reason)
        if decision.status == "edited" and answer.block:
            return (
                answer.block,
                f"the user chose {answer.block} instead of {block}{why}",
                _by("user-edited", answer.reason),
            )
        return block, reason, _by("user-approved", answer.reason)

    def reusable(self, t: int, best: StepRecord, seconds: float, reserve: float) -> StepRecord | None:
        """The earlier ablation study outer step `t` can use instead of running its own.

        The same base gives the same table. Otherwise, when a fresh ablation no longer fits the
        budget but a batch of refinements does, the latest table still ranks the blocks well
        enough to spend the remaining time refining the next one.
        """
        same_base = self._earlier(t, best)
        if same_base is not None:
            return same_base
        if self.ctx.budget.allows(OUTER_STEP_ROUNDS * seconds, reserve):
            return None
        if not self.ctx.budget.allows(seconds, reserve):
            return None
        return self._earlier(t, None)

    def _earlier(self, t: int, base: StepRecord | None) -> StepRecord | None:
        """The latest earlier ablation study of `base` (of any base when None). When no refinement
        helped, the base is unchanged and so is every ablation score; running the variants again
        only costs time. A table with failed rows (a timeout near the deadline, say) is not reused."""
        for s in range(t - 1, 0, -1):
            summary = self.ctx.store.step_by_key(self.ctx.run.id, f"ablation/{s}")
            if (
                summary is not None
                and (base is None or summary.info.get("base_step") == base.id)
                and all(row["status"] == "ok" for row in summary.info["table"])
            ):
                return summary
        return None

    def _run(self, t: int, base: StepRecord, reserve: float, used: Tally) -> list[AblationRow]:
        solution = self.steps.solution(base)
        with self.ctx.spend.tally() as designing:
            try:
                variants = self.ctx.strategist.design_ablation(self.ctx.task, solution)
            except Exception as exc:
                log.exception("the strategist failed to design ablation study %d", t)
                error = f"{type(exc).__name__}: {exc}"
                self.ctx.store.add_event(
                    self.ctx.run.id, "strategist_failed", {"key": f"ablation/{t}", "error": error}
                )
                variants = []
        used.add(designing)
        runs = [
            (
                lambda i=i, v=v: self.steps.run(
                    f"ablation/{t}/{i}-{v.block}",
                    "ablation",
                    lambda v=v: _variant_draft(v),
                    parent=base,
                    reserve=reserve,
                )
            )
            for i, v in enumerate(variants, 1)
        ]
        steps = self.parallel(runs)
        table = [
            AblationRow(
                v.block, v.description, s.status, s.score, self.ctx.delta(base.score, s.score), s.runtime
            )
            for v, s in zip(variants, steps, strict=True)
            if s is not None
        ]
        for step in steps:
            if step is not None:
                self.consider(step)
        return table


def _by(who: str, reason: str | None) -> dict[str, Any]:
    return {"decided_by": who, "decision_reason": reason}


def _reuse_note(earlier: StepRecord, base: StepRecord) -> str:
    if earlier.info.get("base_step") == base.id:
        return f"table of {earlier.title}: the base is unchanged"
    return (
        f"table of {earlier.title} on step #{earlier.info.get('base_step')}: too little time for a fresh one"
    )


def _variant_draft(variant: AblationVariant) -> Draft:
    return Draft(
        notebook=variant.notebook,
        title=f"Ablation: {variant.description}",
        plan=variant.description,
        block=variant.block,
        info={"ablated_block": variant.block},
    )
