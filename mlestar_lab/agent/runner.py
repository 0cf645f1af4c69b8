"""One logical MLE-STAR step: record → check → execute → verify → debug, memoized by key.

The loop is replayed from the start after `mlestar resume`; every step is looked up by its
deterministic key first, so a finished step is returned as recorded (its notebook is never
re-run), and a step that was running when the agent died is re-executed from the notebook already
on disk, without asking the strategist again.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlestar_lab.agent.budget import MIN_NOTEBOOK_TIMEOUT
from mlestar_lab.agent.context import RunContext
from mlestar_lab.agent.execute import StepCall, StepExecution
from mlestar_lab.agent.review import NOTEBOOK_GATES, StepReview
from mlestar_lab.agent.spend import charge_step, charged
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.llm.usage import Tally
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import read
from mlestar_lab.notebook.diff import unified_diff
from mlestar_lab.store.models import ErrorInfo, Stage, StepRecord
from mlestar_lab.strategist.base import Draft, Solution

log = logging.getLogger(__name__)


class StepRunner:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.review = StepReview(ctx, self.notebook_of)
        self.execution = StepExecution(ctx, self.notebook_of)

    # -- records without a notebook (retrieval list, plan, ablation table, submission) --------

    def record(self, key: str, stage: Stage, title: str, info: dict[str, Any], **fields: Any) -> StepRecord:
        existing = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if existing is not None and existing.finished:
            return existing
        now = time.time()
        step = StepRecord(
            run_id=self.ctx.run.id,
            key=key,
            stage=stage,
            title=title,
            info=info,
            **{"status": "ok", "created_at": now, "finished_at": now, **fields},
        )
        if existing is not None:
            return self.ctx.store.update_step(existing.id, **step.model_dump(exclude={"id", "run_id", "key"}))
        return self.ctx.store.add_step(step)

    # -- notebook steps ----------------------------------------------------------------------

    def run(
        self,
        key: str,
        stage: Stage,
        make_draft: Callable[[], Draft | None],
        parent: StepRecord | None = None,
        params: dict[str, Any] | None = None,
        reserve: float = 0.0,
    ) -> StepRecord | None:
        """The finished step for `key` (with its debug attempts), or None when the strategist had no idea."""
        self.ctx.check_cancelled()
        call = StepCall(key, stage, parent, params or {}, reserve)
        step = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if step is None:
            with self.ctx.spend.tally() as used:
                try:
                    draft = make_draft()
                except Exception as exc:
                    log.exception("the strategist failed on %s", key)
                    return self._strategist_failed(key, stage, parent, exc, used)
            if draft is None:
                return None
            step = self._add(key, stage, charged(draft, used), parent)
        else:
            draft = self.draft_of(step)
        if not step.finished and step.attempt == 0 and stage in NOTEBOOK_GATES:
            step, draft = self.review.review(call, step, draft)
        if not step.finished:
            step = self.execution.check_and_execute(call, step, draft)
        return self._debug_chain(call, step, draft)

    def _strategist_failed(
        self, key: str, stage: Stage, parent: StepRecord | None, exc: Exception, used: Tally
    ) -> StepRecord:
        """A proposal that crashed is recorded as a failed step; the run goes on without it."""
        now = time.time()
        return self.ctx.store.add_step(
            StepRecord(
                run_id=self.ctx.run.id,
                key=key,
                stage=stage,
                title=f"{stage} (no proposal)",
                parent_id=parent.id if parent else None,
                status="error",
                created_at=now,
                finished_at=now,
                reason=f"the {self.ctx.strategist.name} strategist failed: {type(exc).__name__}: {exc}",
                error=ErrorInfo(ename=type(exc).__name__, evalue=str(exc), traceback=traceback.format_exc()),
                tokens=used.tokens,
                cost_usd=used.cost_usd,
                info=used.info(),
            )
        )

    def _debug_chain(self, call: StepCall, step: StepRecord, draft: Draft) -> StepRecord:
        """Failed with an exception: the strategist's fixes, each its own step `<key>/fixN`."""
        attempt = 0
        while step.status == "error" and step.error is not None and attempt < self.ctx.config.debug_retries:
            attempt += 1
            fix_key = f"{call.key}/fix{attempt}"
            failed, failed_draft = step, draft
            fixed = self.ctx.store.step_by_key(self.ctx.run.id, fix_key)
            if fixed is None:
                if not self.ctx.budget.allows(MIN_NOTEBOOK_TIMEOUT, call.reserve):
                    break
                with self.ctx.spend.tally() as used:
                    try:
                        new_draft = self.ctx.strategist.debug(
                            self.ctx.task, failed_draft, failed.error, attempt
                        )
                    except Exception as exc:
                        log.exception("the strategist's debugger failed on %s", call.key)
                        charge_step(
                            self.ctx.store,
                            failed,
                            used,
                            f"; the debugger failed: {type(exc).__name__}: {exc}",
                        )
                        break
                if new_draft is None:
                    break
                new_draft = charged(new_draft, used)
                new_draft.title = new_draft.title or f"{draft.title} (fix {attempt})"
                fixed = self._add(fix_key, call.stage, new_draft, call.parent, attempt=attempt, fixes=failed)
                draft = new_draft
            else:
                draft = self.draft_of(fixed)
            step = fixed if fixed.finished else self.execution.check_and_execute(call, fixed, draft)
        return step

    def _add(
        self,
        key: str,
        stage: Stage,
        draft: Draft,
        parent: StepRecord | None,
        attempt: int = 0,
        fixes: StepRecord | None = None,
    ) -> StepRecord:
        store, run = self.ctx.store, self.ctx.run
        base = fixes or parent
        diff = unified_diff(self.notebook_of(base), draft.notebook) if base and base.output_dir else ""

        def materialise(step_id: int) -> dict[str, Any]:
            step_dir = self.ctx.workspace.step_dir(run.id, step_id, key)
            write_notebook(draft.notebook, step_dir / contract.INPUT_NOTEBOOK)
            return {"output_dir": str(step_dir), "diff": diff}

        return store.add_step(
            StepRecord(
                run_id=run.id,
                key=key,
                stage=stage,
                title=draft.title,
                plan=draft.plan,
                block=draft.block,
                block_kind=draft.block_kind,
                parent_id=base.id if base else None,
                info=draft.info,
                tokens=draft.tokens,
                cost_usd=draft.cost_usd,
                attempt=attempt,
                status="pending",
                created_at=time.time(),
            ),
            materialise,
        )

    # -- reading steps back ------------------------------------------------------------------

    def notebook_of(self, step: StepRecord):
        return read(str(Path(step.output_dir or "") / contract.INPUT_NOTEBOOK))

    def draft_of(self, step: StepRecord) -> Draft:
        return Draft(
            notebook=self.notebook_of(step),
            title=step.title,
            plan=step.plan,
            block=step.block,
            block_kind=step.block_kind,
            info=dict(step.info),
            tokens=step.tokens,
            cost_usd=step.cost_usd,
        )

    def solution(self, step: StepRecord) -> Solution:
        if step.score is None or step.id is None:
            raise ValueError(f"step {step.key} has no score; only scored steps are solutions")
        return Solution(
            step_id=step.id,
            notebook=self.notebook_of(step),
            score=step.score,
            output_dir=step.output_dir or "",
            title=step.title,
            info=dict(step.info),
        )
