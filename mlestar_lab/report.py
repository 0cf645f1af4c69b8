"""A run, read back as the sections every front end shows: stages, steps, ablations, plans, ensembles.

Plain data built from the run store only, so the CLI (`mlestar show`), the server and the widget
present the same facts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mlestar_lab.kaggle.records import PUSH, SUBMIT
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore

STAGE_ORDER = ["task", "retrieval", "candidate", "merge", "ablation", "refinement", "ensemble", "submission"]


def run_report(store: RunStore, run_id: str) -> dict[str, Any]:
    run = store.get_run(run_id)
    steps = store.steps(run.id)
    return {
        "run": run.model_dump(),
        "stages": _stages(steps),
        "steps": [_step_row(s) for s in steps if s.output_dir],
        "retrieval": _retrieval(steps),
        "ablations": _ablations(steps),
        "ensembles": [_step_row(s) for s in steps if s.stage == "ensemble" and s.output_dir],
        "findings": _findings(steps),
        "failures": [_step_row(s) for s in steps if s.status in ("error", "timeout", "killed", "rejected")],
        "submission": _submission(run, steps),
        "model_use": _model_use(steps),
        "sources": _sources(steps),
        "kaggle": {"kernel": _last(steps, PUSH), "submission": _last(steps, SUBMIT)},
    }


def _last(steps: list[StepRecord], kind: str) -> dict[str, Any] | None:
    """The latest Kaggle push or submission with what Kaggle last said of it (no notebook of its own)."""
    found = [s for s in steps if s.key.startswith(kind + "/")]
    return found[-1].model_dump(mode="json") if found else None


def _step_row(step: StepRecord) -> dict[str, Any]:
    return {
        "id": step.id,
        "key": step.key,
        "stage": step.stage,
        "title": step.title,
        "status": step.status,
        "score": step.score,
        "delta": step.delta,
        "runtime": step.runtime,
        "block": step.block,
        "plan": step.plan,
        "notebook": step.notebook_path,
        "reason": step.reason,
        "info": step.info,
        "tokens": step.tokens,
        "cost_usd": step.cost_usd,
        "finished_at": step.finished_at,
        "decided_by": step.decided_by,
    }


def _stages(steps: list[StepRecord]) -> list[dict[str, Any]]:
    grouped: dict[str, list[StepRecord]] = defaultdict(list)
    for step in steps:
        if step.output_dir:
            grouped[step.stage].append(step)
    return [
        {
            "stage": stage,
            "steps": len(grouped[stage]),
            "ok": sum(s.status == "ok" for s in grouped[stage]),
            "failed": sum(s.status in ("error", "timeout", "killed", "rejected") for s in grouped[stage]),
            "runtime": sum(s.runtime or 0.0 for s in grouped[stage]),
        }
        for stage in STAGE_ORDER
        if grouped.get(stage)
    ]


def _model_use(steps: list[StepRecord]) -> list[dict[str, Any]]:
    """Tokens and estimated cost of the strategist's model calls, per stage (every step counts,
    notebook or not: retrieval and ablation choices cost tokens too)."""
    grouped: dict[str, list[StepRecord]] = defaultdict(list)
    for step in steps:
        if step.tokens or step.cost_usd:
            grouped[step.stage].append(step)
    return [
        {
            "stage": stage,
            "steps": len(grouped[stage]),
            "tokens": sum(s.tokens for s in grouped[stage]),
            "cost_usd": sum(s.cost_usd for s in grouped[stage]),
        }
        for stage in STAGE_ORDER
        if grouped.get(stage)
    ]


def _sources(steps: list[StepRecord]) -> list[dict[str, str]]:
    """The web pages retrieval was grounded on."""
    for step in steps:
        if step.key == "retrieval":
            return list(step.info.get("llm", {}).get("sources", []))
    return []


def _retrieval(steps: list[StepRecord]) -> list[dict[str, Any]]:
    for step in steps:
        if step.key == "retrieval":
            return [
                {
                    "name": f["name"],
                    "title": f["title"],
                    "description": f["description"],
                    "source": f.get("source", ""),
                }
                for f in step.info.get("families", [])
            ]
    return []


def _ablations(steps: list[StepRecord]) -> list[dict[str, Any]]:
    """One entry per outer step: the ablation table, the chosen block, and the plans tried on it."""
    outer = []
    for step in steps:
        if step.stage == "ablation" and step.key.count("/") == 1:
            t = step.key.split("/")[1]
            refinements = [_step_row(s) for s in steps if s.key.startswith(f"refine/{t}/")]
            outer.append(
                {
                    "outer_step": int(t),
                    "base_step": step.info.get("base_step"),
                    "base_score": step.score,
                    "table": step.info.get("table", []),
                    "chosen_block": step.block,
                    "reason": step.plan,
                    "refinements": refinements,
                }
            )
    return outer


def _findings(steps: list[StepRecord]) -> list[dict[str, Any]]:
    """Checker findings, each message once, with the steps it was raised on."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for step in steps:
        for finding in step.findings:
            key = (finding.checker, finding.severity, finding.message)
            entry = seen.setdefault(key, {**finding.model_dump(), "steps": []})
            entry["steps"].append(step.id)
    return list(seen.values())


def _submission(run: RunRecord, steps: list[StepRecord]) -> dict[str, Any] | None:
    for step in steps:
        if step.key == "submission":
            return {
                "path": run.submission_path,
                "source_step": step.info.get("source_step"),
                "title": step.title,
                "score": step.score,
            }
    return None
