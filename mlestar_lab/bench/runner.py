"""The bench loop: per task, the agent, then each baseline, each graded on the hidden answers.

Systems run one after another on the same machine, so none steals cores from another. After
every task the results (JSON, markdown, plot) are rewritten atomically: a bench stopped after
three hours keeps everything it measured, and running it again simply starts over.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.bench.agent import AgentOutcome, run_agent
from mlestar_lab.bench.baseline_worker import BaselineRun, hard_limit, run_baseline, worker_command
from mlestar_lab.bench.grading import AnswerKey, Grade, grade_file, load_answer_key
from mlestar_lab.bench.plot import write_plot
from mlestar_lab.bench.report import relative_improvement, render_markdown, summarize
from mlestar_lab.errors import UserError
from mlestar_lab.fsutil import atomic_write_json, atomic_write_text
from mlestar_lab.store.workspace import Workspace

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
PLOT_FILE = "score_vs_time.png"


class BenchError(UserError):
    """Bench input that cannot work: folders, task names, baseline names."""


@dataclass(frozen=True)
class BenchSettings:
    tasks_dir: Path
    answers_dir: Path
    out: Path
    budget: float
    baselines: tuple[str, ...]
    seed: int
    command: str
    tasks: tuple[str, ...] = ()
    workers: int | None = None


@dataclass(frozen=True)
class BenchTask:
    name: str
    task_dir: Path
    key: AnswerKey


def select_tasks(settings: BenchSettings) -> list[BenchTask]:
    """Task folders (sorted) that have answers, each key read up front so a bad one fails in seconds."""
    for label, folder in (("TASKS_DIR", settings.tasks_dir), ("--answers", settings.answers_dir)):
        if not folder.is_dir():
            raise BenchError(f"{label} {folder} is not a folder — check the path")
    folders = sorted(p for p in settings.tasks_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if settings.tasks:
        known = {p.name for p in folders}
        unknown = [name for name in settings.tasks if name not in known]
        if unknown:
            raise BenchError(
                f"--tasks names {', '.join(unknown)}, not in {settings.tasks_dir} "
                f"(there: {', '.join(sorted(known)) or 'no task folders'})"
            )
        folders = [p for p in folders if p.name in settings.tasks]
    chosen = [p for p in folders if (settings.answers_dir / p.name).is_dir()]
    if not chosen and any(p.stem == "train" for p in settings.tasks_dir.iterdir()):
        raise BenchError(
            f"{settings.tasks_dir} is one competition folder; TASKS_DIR is the folder holding one such "
            f"folder per task — pass {settings.tasks_dir.parent} and --tasks {settings.tasks_dir.name}"
        )
    if not chosen:
        raise BenchError(
            f"no task folder in {settings.tasks_dir} has an answers folder of the same name in "
            f"{settings.answers_dir} — pass the folder that holds <task>/answers.csv"
        )
    return [BenchTask(p.name, p, load_answer_key(settings.answers_dir / p.name)) for p in chosen]


def run_bench(settings: BenchSettings, tasks: list[BenchTask], say: Callable[[str], None]) -> dict[str, Any]:
    """Run every task; the results so far are on disk after each one (and an empty table before the
    first, so the files of an earlier bench in the same folder are never mistaken for this one's)."""
    results: dict[str, Any] = {
        "command": settings.command,
        "settings": {
            "tasks_dir": str(settings.tasks_dir),
            "answers_dir": str(settings.answers_dir),
            "budget_seconds": settings.budget,
            "baselines": list(settings.baselines),
            "seed": settings.seed,
            "workers": settings.workers,
            "cores": os.cpu_count(),
            "machine": platform.platform(),
            "started_at": time.time(),
        },
        "tasks": [],
    }
    results["summary"] = summarize([], settings.baselines)
    write_results(settings.out, results)
    workspace = Workspace(settings.out / "workspace")
    for index, task in enumerate(tasks, 1):
        say(f"[{index}/{len(tasks)}] {task.name}: agent ({settings.budget:.0f} s budget)")
        entry = _task_header(task)
        entry["agent"] = _agent_entry(workspace, task, settings)
        for system in settings.baselines:
            say(f"[{index}/{len(tasks)}] {task.name}: {system}")
            entry[system] = _baseline_entry(system, task, settings)
        results["tasks"].append(entry)
        results["summary"] = summarize(results["tasks"], settings.baselines)
        write_results(settings.out, results)
        say(f"[{index}/{len(tasks)}] {task.name}: " + _one_line(entry, settings.baselines))
    return results


def write_results(out: Path, results: dict[str, Any]) -> None:
    atomic_write_json(out / RESULTS_JSON, results)
    atomic_write_text(out / RESULTS_MD, render_markdown(results))
    write_plot(results, out / PLOT_FILE)


def _task_header(task: BenchTask) -> dict[str, Any]:
    return {
        "task": task.name,
        "task_type": task.key.task_type,
        "metric": task.key.metric,
        "higher_is_better": task.key.higher_is_better,
    }


def _graded(grade: Grade) -> dict[str, Any]:
    return {"test_score": grade.score, "valid": grade.valid, "error": grade.error}


def _failed(error: str) -> dict[str, Any]:
    return {"test_score": None, "valid": False, "error": error}


def _agent_entry(workspace: Workspace, task: BenchTask, settings: BenchSettings) -> dict[str, Any]:
    values: dict[str, Any] = {"time_budget": settings.budget, "seed": settings.seed}
    if settings.workers is not None:
        values["workers"] = settings.workers
    config = RunConfig.model_validate(values)
    started = time.perf_counter()
    try:
        outcome = run_agent(workspace, task.task_dir, config)
    except Exception as exc:
        seconds = time.perf_counter() - started
        return {"val_score": None, "seconds": seconds, **_failed(f"{type(exc).__name__}: {exc}")}
    return _agent_fields(outcome, task.key, workspace)


def _agent_fields(outcome: AgentOutcome, key: AnswerKey, workspace: Workspace) -> dict[str, Any]:
    if outcome.submission is None:
        graded = _failed(f"run {outcome.status}: {outcome.error or 'no submission'}")
    else:
        graded = _graded(grade_file(outcome.submission, key))
    note = None
    if outcome.metric != key.metric:
        note = f"the agent validated on {outcome.metric}, the task is graded on {key.metric}"
    entry: dict[str, Any] = {
        "val_score": outcome.val_score,
        "seconds": outcome.seconds,
        **graded,
        "run_id": outcome.run_id,
        "workspace": str(workspace.root),
        "run_dir": outcome.run_dir,
        "status": outcome.status,
        "note": note,
        "submission": outcome.submission,
        "final_val_score": outcome.final_val_score,
        "curve": outcome.curve,
        "initial": None,
        "improvement_val": None,
        "improvement_test": None,
        "gap": _gap(outcome.val_score, graded["test_score"]),
    }
    if outcome.initial is not None:
        initial_grade = grade_file(outcome.initial.submission, key)
        entry["initial"] = {
            "step_id": outcome.initial.step_id,
            "title": outcome.initial.title,
            "val_score": outcome.initial.val_score,
            "submission": outcome.initial.submission,
            **_graded(initial_grade),
        }
        entry["improvement_val"] = relative_improvement(
            key.metric, outcome.final_val_score, outcome.initial.val_score
        )
        entry["improvement_test"] = relative_improvement(
            key.metric, graded["test_score"], initial_grade.score
        )
    return entry


def _gap(val: float | None, test: float | None) -> float | None:
    return None if val is None or test is None else abs(val - test)


def _baseline_entry(system: str, task: BenchTask, settings: BenchSettings) -> dict[str, Any]:
    out_dir = settings.out / "baselines" / task.name / system
    command = worker_command(
        system, task.task_dir, out_dir, settings.seed, settings.budget, max(1, os.cpu_count() or 1)
    )
    run = run_baseline(system, command, out_dir, hard_limit(settings.budget))
    return baseline_fields(run, task.key)


def baseline_fields(run: BaselineRun, key: AnswerKey) -> dict[str, Any]:
    """A baseline's row: its own validation score, and its hidden test score or why there is none."""
    graded = _failed(run.error) if run.submission is None else _graded(grade_file(run.submission, key))
    return {
        "val_score": run.val_score,
        "seconds": run.seconds,
        **graded,
        "submission": run.submission,
        "gap": _gap(run.val_score, graded["test_score"]),
        "curve": run.curve,
        "info": run.info,
    }


def _one_line(entry: dict[str, Any], baselines: tuple[str, ...]) -> str:
    parts = []
    for system in ("agent", *baselines):
        row = entry[system]
        shown = f"{row['test_score']:.4g}" if row["test_score"] is not None else f"invalid ({row['error']})"
        parts.append(f"{system} test {shown} in {row['seconds']:.0f} s")
    return ", ".join(parts)
