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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlestar_lab.agent.budget import MIN_NOTEBOOK_TIMEOUT
from mlestar_lab.agent.context import Interrupted, RunContext
from mlestar_lab.agent.review import NOTEBOOK_GATES, StepReview
from mlestar_lab.agent.spend import charge_step, charged
from mlestar_lab.checks.leakage import check_leakage
from mlestar_lab.checks.usage import check_data_usage
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.llm.usage import Tally
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import read
from mlestar_lab.notebook.diff import unified_diff
from mlestar_lab.store.models import ErrorInfo, Finding, Stage, StepRecord
from mlestar_lab.strategist.base import Draft, Solution

LEAKAGE_FIX_ROUNDS = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepCall:
    """What the loop asked for: the step's key and stage, the solution it builds on, extra parameters."""

    key: str
    stage: Stage
    parent: StepRecord | None
    params: dict[str, Any]
    reserve: float


class StepRunner:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.review = StepReview(ctx, self.notebook_of)

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
            step = self._check_and_execute(call, step, draft)
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
            step = fixed if fixed.finished else self._check_and_execute(call, fixed, draft)
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

    def _check_and_execute(self, call: StepCall, step: StepRecord, draft: Draft) -> StepRecord:
        """Leaky code is fixed or rejected before it runs; clean code is executed and scored."""
        store, task = self.ctx.store, self.ctx.task
        findings = check_leakage(draft.notebook, task)
        for _ in range(LEAKAGE_FIX_ROUNDS):
            if not _blocking(findings):
                break
            with self.ctx.spend.tally() as used:
                try:
                    fixed = self.ctx.strategist.fix_leakage(task, draft, findings)
                except Exception as exc:
                    log.exception("the strategist's leakage fix failed on %s", call.key)
                    fixed, why = None, f"the leakage fix failed: {type(exc).__name__}: {exc}"
                    findings.append(Finding(checker="leakage", severity="info", message=why))
            step = charge_step(self.ctx.store, step, used)
            if fixed is None:
                break
            draft = fixed
            write_notebook(draft.notebook, Path(step.output_dir or "") / contract.INPUT_NOTEBOOK)
            step = self._record_fix(step, draft)
            findings = check_leakage(draft.notebook, task)
        findings += check_data_usage(draft.notebook, task)
        if _blocking(findings):
            return store.update_step(
                step.id,
                status="rejected",
                findings=findings,
                finished_at=time.time(),
                reason="data leakage: " + "; ".join(f.message for f in findings if f.severity == "error"),
            )
        store.update_step(step.id, status="running", findings=findings, reason=None)
        result = self.ctx.pool.submit(self._request(call, step)).result()
        if self.ctx.cancel.is_set() and result.status != "ok":
            store.update_step(step.id, status="pending", reason="interrupted; resumable")
            raise Interrupted("the run was stopped")
        return self._record_result(step, result, findings, call.parent)

    def _request(self, call: StepCall, step: StepRecord) -> ExecutionRequest:
        ctx = self.ctx
        timeout = ctx.budget.notebook_timeout(ctx.config.notebook_timeout, call.reserve)
        parameters = {
            contract.PARAM_DATA_DIR: ctx.task.root,
            contract.PARAM_FOLDS_FILE: str(ctx.folds_path),
            contract.PARAM_SEED: ctx.config.seed,
            contract.PARAM_N_JOBS: ctx.threads_per_notebook,
            contract.PARAM_TIME_LIMIT: round(timeout, 1),
            **call.params,
        }
        return ExecutionRequest(
            notebook_path=str(Path(step.output_dir or "") / contract.INPUT_NOTEBOOK),
            output_dir=step.output_dir or "",
            parameters=parameters,
            timeout=timeout,
            memory_limit_mb=ctx.memory_limit_mb,
        )

    def _record_result(
        self, step: StepRecord, result: ExecutionResult, findings: list[Finding], parent: StepRecord | None
    ) -> StepRecord:
        fields: dict[str, Any] = {
            "runtime": result.runtime,
            "notebook_path": result.executed_notebook,
            "finished_at": time.time(),
        }
        if result.starts:
            # The Dask workers it ran on: two when the first died under it and it ran again elsewhere.
            fields["info"] = {**step.info, "workers": result.starts}
        if result.status == "ok":
            score, score_findings = self.ctx.verifier.check(result.score, result.oof_path)
            findings = findings + score_findings
            if score is None:
                fields.update(
                    status="error",
                    reason="the notebook printed no score and saved no out-of-fold predictions to score",
                )
            else:
                fields.update(
                    status="ok", score=score, delta=self.ctx.delta(score, parent.score if parent else None)
                )
        else:
            fields.update(status=result.status, error=result.error, reason=result.reason)
        return self.ctx.store.update_step(step.id, findings=findings, **fields)

    def _record_fix(self, step: StepRecord, draft: Draft) -> StepRecord:
        """The step as it will run: the fixed notebook's diff against its parent, the fix's notes."""
        assert step.id is not None
        parent = self.ctx.store.get_step(step.parent_id) if step.parent_id is not None else None
        diff = unified_diff(self.notebook_of(parent), draft.notebook) if parent and parent.output_dir else ""
        return self.ctx.store.update_step(step.id, diff=diff, info={**step.info, **draft.info})

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


def _blocking(findings: list[Finding]) -> bool:
    return any(f.severity == "error" and f.checker == "leakage" for f in findings)
