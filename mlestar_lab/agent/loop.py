"""The MLE-STAR loop: retrieval → candidates → merge → T × (ablation → block → K plans) → ensembles.

Every decision goes to the strategist; every score comes from an executed notebook; every step is
persisted under a deterministic key (see `runner`), so the loop can be replayed after a crash.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from mlestar_lab.agent.ablation import OUTER_STEP_ROUNDS, AblationStudy
from mlestar_lab.agent.budget import LoopPlan, ensemble_seconds, scale_plan
from mlestar_lab.agent.context import RunContext, attempt_of
from mlestar_lab.agent.finish import Finisher
from mlestar_lab.agent.imports import imported_drafts
from mlestar_lab.agent.runner import StepRunner
from mlestar_lab.agent.spend import charged
from mlestar_lab.errors import UserError
from mlestar_lab.llm.usage import Tally
from mlestar_lab.store.models import Stage, StepRecord
from mlestar_lab.strategist.base import Attempt, Draft, ModelFamily

T = TypeVar("T")
SUBMISSION_RESERVE = 5.0
# An open-ended run (no explicit T) keeps refining while time is left, up to this many outer steps.
MAX_OUTER_STEPS = 12
# The whole catalog, when the retrieval gate offers the user every family to choose from.
MAX_FAMILIES = 100


@dataclass(frozen=True)
class FailedPlan:
    """A refinement plan the strategist failed to make, and the model calls spent on it."""

    error: Exception
    used: Tally


class RunFailed(UserError):
    """The loop cannot go on (e.g. no candidate produced a score); the message says why."""


class Agent:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.steps = StepRunner(ctx)
        self.finisher = Finisher(ctx, self.steps)
        self.best: StepRecord | None = None
        self.reserve = SUBMISSION_RESERVE
        self.ablation = AblationStudy(ctx, self.steps, self._parallel, self._consider, lambda: self.best)

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
        t = 0
        while True:
            t += 1
            extra = t > plan.outer_steps
            if extra and (not plan.open_ended or t > MAX_OUTER_STEPS):
                break
            assert self.best is not None
            seconds = self._notebook_seconds(plan)
            reuse = self.ablation.reusable(t, self.best, seconds, self.reserve)
            if reuse is None and not self.ctx.budget.allows(OUTER_STEP_ROUNDS * seconds, self.reserve):
                if not extra:
                    self.ctx.store.add_event(
                        self.ctx.run.id, "budget", {"skipped": f"outer steps {t}..{plan.outer_steps}"}
                    )
                break
            if not self._outer_step(t, refined, plan, reuse) and extra:
                break
        self._stage("ensemble")
        self.finisher.ensembles(plan, self.best)
        self._stage("submission")
        self.finisher.submit()

    # -- stages ------------------------------------------------------------------------------

    def _retrieve(self) -> list[ModelFamily]:
        key = "retrieval"
        step = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if step is None:
            with self.ctx.spend.tally() as used:
                families = self.ctx.strategist.retrieve(self.ctx.task, self.ctx.config.models)
            if not families:
                raise RunFailed("the strategist retrieved no model family for this task")
            families, decided = self._ask_retrieval(families)
            step = self.steps.record(
                key,
                "retrieval",
                f"Retrieved {len(families)} model families",
                {"families": [asdict(f) for f in families], **used.info()},
                plan="\n".join(f"{f.title}: {f.description}" for f in families),
                tokens=used.tokens,
                cost_usd=used.cost_usd,
                **decided,
            )
        return [ModelFamily(**f) for f in step.info["families"]]

    def _ask_retrieval(self, families: list[ModelFamily]) -> tuple[list[ModelFamily], dict[str, Any]]:
        """The retrieval gate: the user may approve the shortlist, change it, or stop the run."""
        gates = self.steps.review.gates
        if not gates.asks("retrieval"):
            return families, {}
        available = {f.name: f for f in self.ctx.strategist.retrieve(self.ctx.task, MAX_FAMILIES)}
        available.update({f.name: f for f in families})
        request = {
            "families": [asdict(f) for f in families],
            "available_families": list(available),
            "available": [asdict(f) for f in available.values()],
        }
        decision = gates.ask(
            "retrieval", "retrieval", f"Build candidates of {len(families)} model families?", request
        )
        assert decision is not None and decision.answer is not None
        answer = decision.answer
        if decision.status == "rejected":
            raise RunFailed(f"the user rejected the retrieved model families: {answer.reason}")
        if decision.status == "edited" and answer.families:
            chosen = [available[name] for name in answer.families]
            return chosen, {"decided_by": "user-edited", "decision_reason": answer.reason}
        return families, {"decided_by": "user-approved", "decision_reason": answer.reason}

    def _candidates(self, families: list[ModelFamily]) -> list[StepRecord]:
        def candidate(index: int, family: ModelFamily) -> Callable[[], StepRecord | None]:
            return lambda: self.steps.run(
                f"candidate/{index}-{family.name}",
                "candidate",
                lambda: self.ctx.strategist.write_candidate(self.ctx.task, family),
                reserve=self.reserve,
            )

        def imported(key: str, make: Callable[[], Draft]) -> Callable[[], StepRecord | None]:
            return lambda: self.steps.run(key, "candidate", make, reserve=self.reserve)

        jobs = [imported(key, make) for key, make in imported_drafts(self.ctx)]
        results = self._parallel(jobs + [candidate(i, f) for i, f in enumerate(families, 1)])
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

    def _outer_step(self, t: int, refined: list[str], plan: LoopPlan, reuse: StepRecord | None) -> bool:
        """One ablation study and the refinement of the block it chose; False when no block was left
        or the chosen block had no plan left to try on this solution."""
        assert self.best is not None
        base = self.best
        self._stage("ablation")
        block = self.ablation.study(t, base, refined, reuse, self.reserve)
        if block is None:
            return False
        self._stage("refinement")
        current, history = base, self._tried_before(t, base, block)
        tried = False
        k = 1
        while k <= plan.inner_steps and self.ctx.budget.allows(
            self._notebook_seconds(plan, current), self.reserve
        ):
            batch, exhausted = self._refinement_batch(t, k, plan, current, block, history)
            tried = tried or bool(batch)
            results = self._parallel([self._run_refinement(key, draft, current) for key, draft in batch])
            for step in results:
                if step is None:
                    continue
                history.append(attempt_of(step, block))
                if self.ctx.better(step.score, current.score):
                    current = step
            k += len(batch)
            if exhausted:
                break
        refined.append(block)
        self._consider(current)
        return tried

    def _tried_before(self, t: int, base: StepRecord, block: str) -> list[Attempt]:
        """Plans for `block` already run on this very solution in earlier outer steps. When no
        refinement helped, the next outer step starts from the same solution; without these the
        strategist would propose, and the run execute, the same plans again."""
        return [
            attempt_of(step, block)
            for step in self.ctx.store.steps(self.ctx.run.id, "refinement")
            if step.parent_id == base.id
            and step.block == block
            and step.finished
            and not step.key.startswith(f"refine/{t}/")
        ]

    def _refinement_batch(
        self, t: int, k: int, plan: LoopPlan, current: StepRecord, block: str, history: list[Attempt]
    ) -> tuple[list[tuple[str, Draft | FailedPlan | None]], bool]:
        """Up to `workers` plans on the same base, each seeing the earlier ones; True when out of ideas.

        A plan the strategist failed to make ends the batch; its failure is recorded as the step."""
        batch: list[tuple[str, Draft | FailedPlan | None]] = []
        pending = list(history)
        for j in range(k, min(k + self.ctx.config.workers, plan.inner_steps + 1)):
            key = f"refine/{t}/{j}"
            existing = self.ctx.store.step_by_key(self.ctx.run.id, key)
            if existing is not None:
                batch.append((key, None))
                pending.append(attempt_of(existing, block))
                continue
            with self.ctx.spend.tally() as used:
                try:
                    draft = self.ctx.strategist.plan_refinement(
                        self.ctx.task, self.steps.solution(current), block, pending
                    )
                except Exception as exc:
                    batch.append((key, FailedPlan(exc, used)))
                    return batch, False
            if draft is None:
                return batch, True
            batch.append((key, charged(draft, used)))
            pending.append(Attempt(draft.title, draft.plan, "running", None, None, block))
        return batch, False

    def _run_refinement(
        self, key: str, draft: Draft | FailedPlan | None, parent: StepRecord
    ) -> Callable[[], StepRecord | None]:
        def make() -> Draft | None:
            if isinstance(draft, FailedPlan):
                self.ctx.spend.attribute(draft.used)
                raise draft.error
            return draft

        return lambda: self.steps.run(key, "refinement", make, parent=parent, reserve=self.reserve)

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
