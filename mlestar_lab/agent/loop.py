"""The MLE-STAR loop: retrieval → candidates → merge → T × (ablation → block → K plans) → ensembles.

Every decision goes to the strategist; every score comes from an executed notebook; every step is
persisted under a deterministic key (see `runner`), so the loop can be replayed after a crash.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TypeVar

from mlestar_lab.agent.budget import LoopPlan, ensemble_seconds, scale_plan
from mlestar_lab.agent.context import RunContext
from mlestar_lab.agent.finish import Finisher
from mlestar_lab.agent.runner import StepRunner
from mlestar_lab.errors import UserError
from mlestar_lab.store.models import Stage, StepRecord
from mlestar_lab.strategist.base import AblationRow, AblationVariant, Attempt, Draft, ModelFamily

T = TypeVar("T")
SUBMISSION_RESERVE = 5.0
# An outer step is started only if an ablation (its variants run `workers` at a time, about two
# rounds) and one batch of refinements fit: an ablation without refinement only costs time.
OUTER_STEP_ROUNDS = 3


class RunFailed(UserError):
    """The loop cannot go on (e.g. no candidate produced a score); the message says why."""


class Agent:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.steps = StepRunner(ctx)
        self.finisher = Finisher(ctx, self.steps)
        self.best: StepRecord | None = None
        self.reserve = SUBMISSION_RESERVE

    def run(self) -> None:
        self._stage("retrieval")
        families = self._retrieve()
        self._stage("candidate")
        candidates = self._candidates(families)
        plan = self._plan(candidates)
        self.reserve = SUBMISSION_RESERVE + plan.ensemble_rounds * ensemble_seconds(plan.notebook_seconds)
        self._stage("merge")
        self._merge(candidates, plan)
        refined: list[str] = []
        for t in range(1, plan.outer_steps + 1):
            reuse = self._reusable_ablation(t, plan)
            if reuse is None and not self.ctx.budget.allows(
                OUTER_STEP_ROUNDS * self._notebook_seconds(plan), self.reserve
            ):
                self.ctx.store.add_event(
                    self.ctx.run.id, "budget", {"skipped": f"outer steps {t}..{plan.outer_steps}"}
                )
                break
            self._outer_step(t, refined, plan, reuse)
        self._stage("ensemble")
        self.finisher.ensembles(plan, self.best)
        self._stage("submission")
        self.finisher.submit()

    # -- stages ------------------------------------------------------------------------------

    def _retrieve(self) -> list[ModelFamily]:
        key = "retrieval"
        step = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if step is None:
            families = self.ctx.strategist.retrieve(self.ctx.task, self.ctx.config.models)
            if not families:
                raise RunFailed("the strategist retrieved no model family for this task")
            step = self.steps.record(
                key,
                "retrieval",
                f"Retrieved {len(families)} model families",
                {"families": [asdict(f) for f in families]},
                plan="\n".join(f"{f.title}: {f.description}" for f in families),
            )
        return [ModelFamily(**f) for f in step.info["families"]]

    def _candidates(self, families: list[ModelFamily]) -> list[StepRecord]:
        def candidate(index: int, family: ModelFamily) -> Callable[[], StepRecord | None]:
            return lambda: self.steps.run(
                f"candidate/{index}-{family.name}",
                "candidate",
                lambda: self.ctx.strategist.write_candidate(self.ctx.task, family),
                reserve=self.reserve,
            )

        results = self._parallel([candidate(i, f) for i, f in enumerate(families, 1)])
        scored = self.ctx.rank([s for s in results if s is not None and s.score is not None])
        if not scored:
            reasons = "; ".join(f"{s.title}: {s.reason}" for s in results if s is not None)
            raise RunFailed(f"no candidate produced a validation score ({reasons or 'none ran'})")
        for step in scored:
            self._consider(step)
        return scored

    def _plan(self, candidates: list[StepRecord]) -> LoopPlan:
        key = "plan"
        step = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if step is None:
            seconds = statistics.median(s.runtime or 0.0 for s in candidates)
            plan = scale_plan(
                self.ctx.config, len(candidates), max(seconds, 1.0), self.ctx.budget.remaining()
            )
            text = (
                f"{plan.merges} merges, {plan.outer_steps} outer steps × {plan.inner_steps} plans, "
                f"{plan.ensemble_rounds} ensemble rounds (≈{plan.estimate_seconds:.0f} s; "
                f"one notebook ≈ {plan.notebook_seconds:.1f} s)"
            )
            step = self.steps.record(
                key,
                "candidate",
                "Loop plan" + (" (scaled to the budget)" if plan.scaled_down else ""),
                {"plan": plan.model_dump()},
                plan=text,
            )
        return LoopPlan(**step.info["plan"])

    def _merge(self, candidates: list[StepRecord], plan: LoopPlan) -> None:
        best = candidates[0]
        for index, other in enumerate(candidates[1 : plan.merges + 1], 1):
            if not self.ctx.budget.allows(self._notebook_seconds(plan, best), self.reserve):
                break
            base_solution, other_solution = self.steps.solution(best), self.steps.solution(other)
            step = self.steps.run(
                f"merge/{index}",
                "merge",
                lambda b=base_solution, o=other_solution: self.ctx.strategist.merge(self.ctx.task, b, o),
                parent=best,
                reserve=self.reserve,
            )
            if step is not None and self.ctx.better(step.score, best.score):
                best = step
                self._consider(step)

    def _outer_step(self, t: int, refined: list[str], plan: LoopPlan, reuse: StepRecord | None) -> None:
        assert self.best is not None
        base = self.best
        self._stage("ablation")
        block = self._ablation(t, base, refined, reuse)
        if block is None:
            return
        self._stage("refinement")
        current, history = base, []
        k = 1
        while k <= plan.inner_steps and self.ctx.budget.allows(
            self._notebook_seconds(plan, current), self.reserve
        ):
            batch, exhausted = self._refinement_batch(t, k, plan, current, block, history)
            results = self._parallel([self._run_refinement(key, draft, current) for key, draft in batch])
            for step in results:
                if step is None:
                    continue
                history.append(Attempt(step.title, step.plan, step.status, step.score, step.delta, block))
                if self.ctx.better(step.score, current.score):
                    current = step
            k += len(batch)
            if exhausted:
                break
        refined.append(block)
        self._consider(current)

    def _ablation(
        self, t: int, base: StepRecord, refined: list[str], earlier: StepRecord | None
    ) -> str | None:
        """Run the ablation variants of `base` (or reuse `earlier`'s table), record the table,
        return the block chosen to refine."""
        summary = self.ctx.store.step_by_key(self.ctx.run.id, f"ablation/{t}")
        if summary is not None:
            return summary.block
        if earlier is not None:
            table = [AblationRow(**row) for row in earlier.info["table"]]
        else:
            table = self._run_ablation(t, base)
        choice = self.ctx.strategist.choose_block(
            self.ctx.task, self.steps.solution(self.best or base), table, refined
        )
        block, reason = (choice.block, choice.reason) if choice else (None, "no block left to refine")
        self.steps.record(
            f"ablation/{t}",
            "ablation",
            f"Ablation study {t}",
            {
                "table": [asdict(r) for r in table],
                "base_step": base.id,
                "chosen": block,
                "reused_from": earlier.id if earlier else None,
            },
            block=block,
            plan=reason if earlier is None else f"{reason} ({_reuse_note(earlier, base)})",
            parent_id=base.id,
            score=base.score,
        )
        return block

    def _reusable_ablation(self, t: int, plan: LoopPlan) -> StepRecord | None:
        """The earlier ablation study outer step `t` can use instead of running its own.

        The same base gives the same table. Otherwise, when a fresh ablation no longer fits the
        budget but a batch of refinements does, the latest table still ranks the blocks well
        enough to spend the remaining time refining the next one.
        """
        assert self.best is not None
        same_base = self._earlier_ablation(t, self.best)
        if same_base is not None:
            return same_base
        seconds = self._notebook_seconds(plan)
        if self.ctx.budget.allows(OUTER_STEP_ROUNDS * seconds, self.reserve):
            return None
        if not self.ctx.budget.allows(seconds, self.reserve):
            return None
        return self._earlier_ablation(t, None)

    def _earlier_ablation(self, t: int, base: StepRecord | None) -> StepRecord | None:
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

    def _run_ablation(self, t: int, base: StepRecord) -> list[AblationRow]:
        solution = self.steps.solution(base)
        variants = self.ctx.strategist.design_ablation(self.ctx.task, solution)
        runs = [
            (
                lambda i=i, v=v: self.steps.run(
                    f"ablation/{t}/{i}-{v.block}",
                    "ablation",
                    lambda v=v: _variant_draft(v),
                    parent=base,
                    reserve=self.reserve,
                )
            )
            for i, v in enumerate(variants, 1)
        ]
        steps = self._parallel(runs)
        table = [
            AblationRow(
                v.block, v.description, s.status, s.score, self.ctx.delta(base.score, s.score), s.runtime
            )
            for v, s in zip(variants, steps, strict=True)
            if s is not None
        ]
        for step in steps:
            if step is not None and self.ctx.better(step.score, self.best.score if self.best else None):
                self._consider(step)
        return table

    def _refinement_batch(
        self, t: int, k: int, plan: LoopPlan, current: StepRecord, block: str, history: list[Attempt]
    ) -> tuple[list[tuple[str, Draft | None]], bool]:
        """Up to `workers` plans on the same base, each seeing the earlier ones; True when out of ideas."""
        batch: list[tuple[str, Draft | None]] = []
        pending = list(history)
        for j in range(k, min(k + self.ctx.config.workers, plan.inner_steps + 1)):
            key = f"refine/{t}/{j}"
            existing = self.ctx.store.step_by_key(self.ctx.run.id, key)
            if existing is not None:
                batch.append((key, None))
                pending.append(
                    Attempt(
                        existing.title, existing.plan, existing.status, existing.score, existing.delta, block
                    )
                )
                continue
            draft = self.ctx.strategist.plan_refinement(
                self.ctx.task, self.steps.solution(current), block, pending
            )
            if draft is None:
                return batch, True
            batch.append((key, draft))
            pending.append(Attempt(draft.title, draft.plan, "running", None, None, block))
        return batch, False

    def _run_refinement(
        self, key: str, draft: Draft | None, parent: StepRecord
    ) -> Callable[[], StepRecord | None]:
        return lambda: self.steps.run(key, "refinement", lambda: draft, parent=parent, reserve=self.reserve)

    # -- helpers -----------------------------------------------------------------------------

    def _notebook_seconds(self, plan: LoopPlan, base: StepRecord | None = None) -> float:
        """Expected runtime of a notebook derived from `base` (default: the best solution).

        Solutions grow as refinements add seeds, members and features, so the candidates' median
        runtime soon underestimates: a step is only started when it can finish before the reserve.
        """
        base = base or self.best
        return max(plan.notebook_seconds, (base.runtime or 0.0) if base else 0.0)

    def _consider(self, step: StepRecord) -> None:
        """Adopt `step` as the solution to build on when it beats the best so far."""
        if step.status == "ok" and self.ctx.better(step.score, self.best.score if self.best else None):
            self.best = step
            self.finisher.note_best(step)

    def _stage(self, stage: Stage) -> None:
        self.ctx.check_cancelled()
        self.ctx.run = self.ctx.store.update_run(
            self.ctx.run.id, stage=stage, elapsed_seconds=self.ctx.budget.elapsed()
        )

    def _parallel(self, jobs: list[Callable[[], T]]) -> list[T]:
        """Run independent steps at once; on any interruption, stop every running notebook first."""
        if len(jobs) <= 1:
            return [job() for job in jobs]
        with ThreadPoolExecutor(max_workers=self.ctx.config.workers) as threads:
            futures = [threads.submit(job) for job in jobs]
            try:
                return [future.result() for future in futures]
            except BaseException:
                self.ctx.cancel.set()
                self.ctx.pool.cancel_all()
                raise


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
