"""Running one recorded step: guard it (leakage, data usage), execute its notebook, score it.

Separate from the runner's memoisation (runner.py) because this half is what every step does the
same way, whichever stage proposed it: the leakage checker may ask the strategist for one fix,
a blocking finding rejects the step without running it, and a clean notebook goes to the
executor with the run's budget-derived time limit before its score is verified.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from mlestar_lab.agent.context import Interrupted, RunContext
from mlestar_lab.agent.spend import charge_step
from mlestar_lab.checks.leakage import check_leakage
from mlestar_lab.checks.usage import check_data_usage
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.diff import unified_diff
from mlestar_lab.store.models import Finding, Stage, StepRecord
from mlestar_lab.strategist.base import Draft

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


class StepExecution:
    def __init__(self, ctx: RunContext, notebook_of: Callable[[StepRecord], NotebookNode]) -> None:
        self.ctx = ctx
        self.notebook_of = notebook_of

    def check_and_execute(self, call: StepCall, step: StepRecord, draft: Draft) -> StepRecord:
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


def _blocking(findings: list[Finding]) -> bool:
    return any(f.severity == "error" and f.checker == "leakage" for f in findings)
