"""The end of a run: ensemble rounds over saved OOF predictions, then the validated submission."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mlestar_lab.agent.budget import LoopPlan, ensemble_seconds
from mlestar_lab.agent.context import RunContext, attempt_of
from mlestar_lab.agent.members import choose_members
from mlestar_lab.agent.runner import StepRunner
from mlestar_lab.checks.submission import validate_submission
from mlestar_lab.errors import UserError
from mlestar_lab.notebook import contract
from mlestar_lab.store.models import Finding, StepRecord
from mlestar_lab.strategist.base import Attempt

MAX_ENSEMBLE_MEMBERS = 6
# Valid submissions offered at the submission gate.
SUBMISSION_CHOICES = 5
SOLUTION_STAGES = ("candidate", "merge", "refinement", "ablation", "ensemble")


class Finisher:
    def __init__(self, ctx: RunContext, steps: StepRunner):
        self.ctx = ctx
        self.steps = steps

    def note_best(self, step: StepRecord) -> None:
        run = self.ctx.run
        if self.ctx.better(step.score, run.best_score):
            self.ctx.run = self.ctx.store.update_run(
                run.id, best_score=step.score, best_step_id=step.id, elapsed_seconds=self.ctx.budget.elapsed()
            )

    def ensembles(self, plan: LoopPlan, best_single: StepRecord | None) -> None:
        members = self._members()
        if len(members) < 2 or plan.ensemble_rounds == 0:
            return
        solutions = [self.steps.solution(m) for m in members]
        member_dirs = [m.output_dir for m in members]
        history: list[Attempt] = []
        for r in range(1, plan.ensemble_rounds + 1):
            if not self.ctx.budget.allows(ensemble_seconds(plan.notebook_seconds), 0.0):
                break
            step = self.steps.run(
                f"ensemble/{r}",
                "ensemble",
                lambda h=list(history): self.ctx.strategist.plan_ensemble(self.ctx.task, solutions, h),
                parent=best_single,
                params={contract.PARAM_MEMBER_DIRS: member_dirs},
            )
            if step is None:
                break
            history.append(attempt_of(step, None))
            self.note_best(step)

    def _members(self) -> list[StepRecord]:
        """Up to six scored solutions with saved predictions, best first: see `choose_members`."""
        key = "ensemble/members"
        recorded = self.ctx.store.step_by_key(self.ctx.run.id, key)
        by_id = {s.id: s for s in self.ctx.store.steps(self.ctx.run.id)}
        if recorded is not None:
            return [by_id[i] for i in recorded.info["step_ids"]]
        pool = [
            s
            for s in by_id.values()
            if s.stage in ("candidate", "merge", "refinement")
            and s.status == "ok"
            and s.score is not None
            and (Path(s.output_dir or "") / contract.OOF_FILE).exists()
            and (Path(s.output_dir or "") / contract.TEST_PREDICTIONS_FILE).exists()
        ]
        members = choose_members(
            self.ctx.rank(pool), list(by_id.values()), MAX_ENSEMBLE_MEMBERS, self.ctx.task.id_column
        )
        self.steps.record(
            key,
            "ensemble",
            f"Ensemble members ({len(members)})",
            {"step_ids": [m.id for m in members]},
            plan="\n".join(f"#{m.id} {m.title}: {m.score:.6g}" for m in members),
        )
        return members

    def submit(self) -> StepRecord:
        """Copy the best valid submission into the run folder; fall back down the ranking if invalid.

        At the submission gate the user may approve it, choose another valid one, or submit none.
        """
        key = "submission"
        done = self.ctx.store.step_by_key(self.ctx.run.id, key)
        if done is not None:
            return done
        gates = self.steps.review.gates
        valid, rejected = self._valid_submissions(SUBMISSION_CHOICES if gates.asks("submission") else 1)
        if not valid:
            raise UserError(
                "no scored solution wrote a valid submission "
                f"(first problem: {rejected[0]['findings'][0]['message'] if rejected else 'no solution'})"
            )
        step, findings = valid[0]
        decided: dict[str, Any] = {}
        decision = gates.ask(
            key,
            "submission",
            f"Submit #{step.id} {step.title} ({step.score:.6g})?",
            {"proposed": step.id, "choices": [_choice(s, f) for s, f in valid], "rejected": rejected},
            step.id,
        )
        if decision is not None and decision.answer is not None:
            answer = decision.answer
            if decision.status == "rejected":
                return self.steps.record(
                    key,
                    "submission",
                    "No submission: rejected by the user",
                    {"proposed": step.id, "rejected": rejected},
                    status="rejected",
                    reason=f"rejected by the user: {answer.reason}",
                    decided_by="user-rejected",
                    decision_reason=answer.reason,
                )
            if decision.status == "edited" and answer.step_id is not None:
                step, findings = next((s, f) for s, f in valid if s.id == answer.step_id)
            who = "user-edited" if decision.status == "edited" else "user-approved"
            decided = {"decided_by": who, "decision_reason": answer.reason}
        return self._copy_submission(key, step, findings, rejected, decided)

    def _valid_submissions(
        self, wanted: int
    ) -> tuple[list[tuple[StepRecord, list[Finding]]], list[dict[str, Any]]]:
        """Up to `wanted` scored solutions with a valid submission (best first), and the invalid ones
        met on the way."""
        sample = Path(self.ctx.task.root) / self.ctx.task.sample_submission_file
        scored = [
            s
            for s in self.ctx.store.steps(self.ctx.run.id)
            if s.stage in SOLUTION_STAGES and s.status == "ok" and s.score is not None
        ]
        valid: list[tuple[StepRecord, list[Finding]]] = []
        rejected: list[dict[str, Any]] = []
        for step in self.ctx.rank(scored):
            path = Path(step.output_dir or "") / contract.SUBMISSION_FILE
            findings = validate_submission(path, sample, self.ctx.task)
            if any(f.severity == "error" for f in findings):
                rejected.append({"step": step.id, "findings": [f.model_dump() for f in findings]})
                continue
            valid.append((step, findings))
            if len(valid) == wanted:
                break
        return valid, rejected

    def _copy_submission(
        self,
        key: str,
        step: StepRecord,
        findings: list[Finding],
        rejected: list[dict[str, Any]],
        decided: dict[str, Any],
    ) -> StepRecord:
        source = Path(step.output_dir or "") / contract.SUBMISSION_FILE
        target = Path(self.ctx.run.run_dir) / contract.SUBMISSION_FILE
        shutil.copyfile(source, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)
        record = self.steps.record(
            key,
            "submission",
            f"Submission from #{step.id} {step.title}",
            {"source_step": step.id, "rejected": rejected},
            parent_id=step.id,
            score=step.score,
            findings=findings,
            notebook_path=step.notebook_path,
            output_dir=step.output_dir,
            **decided,
        )
        self.ctx.run = self.ctx.store.update_run(
            self.ctx.run.id, best_score=step.score, best_step_id=step.id, submission_path=str(target)
        )
        return record


def _choice(step: StepRecord, findings: list[Finding]) -> dict[str, Any]:
    return {
        "step_id": step.id,
        "title": step.title,
        "stage": step.stage,
        "score": step.score,
        "findings": [f.model_dump() for f in findings],
    }
