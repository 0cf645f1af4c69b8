"""Creating, executing and resuming runs: the entry points the CLI, server and widget share.

A run is created from a task folder once: the Task and the fixed fold assignment are written
into the run folder, so a resumed run validates on exactly the same rows with exactly the same
task definition. Executing a run replays the loop; finished steps are never recomputed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mlestar_lab.agent.budget import Budget
from mlestar_lab.agent.config import RunConfig, default_memory_limit_mb
from mlestar_lab.agent.context import Interrupted, RunContext
from mlestar_lab.agent.lock import agent_lock
from mlestar_lab.agent.loop import Agent
from mlestar_lab.agent.verify import ScoreVerifier
from mlestar_lab.errors import UserError
from mlestar_lab.executor.backend import open_executor
from mlestar_lab.fsutil import atomic_write_text
from mlestar_lab.llm.usage import SpendLedger
from mlestar_lab.store.models import RunRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.strategist.registry import make_strategist
from mlestar_lab.task.folds import make_folds, write_folds
from mlestar_lab.task.inventory import read_table
from mlestar_lab.task.load import load_task
from mlestar_lab.task.model import Task

log = logging.getLogger(__name__)
TASK_FILE = "task.json"
FOLDS_FILE = "folds.csv"
RESUMABLE = ("created", "running", "interrupted", "failed")


def create_run(workspace: Workspace, store: RunStore, task_dir: str | Path, config: RunConfig) -> RunRecord:
    """Read the task folder (failing fast on bad input) and record a new run with its folds."""
    strategist = make_strategist(config.strategist, config.model, config.seed)
    # The model the settings resolved to is pinned, so a resumed run asks the same model.
    config = config.model_copy(update={"model": strategist.model})
    task = load_task(Path(task_dir).resolve(), dict(config.task_overrides) or None)
    run_id = workspace.new_run_id(task.name)
    run_dir = workspace.run_dir(run_id)
    atomic_write_text(run_dir / TASK_FILE, task.model_dump_json(indent=2))
    train = read_table(Path(task.root) / task.train_file)
    write_folds(make_folds(task, train, config.seed), run_dir / FOLDS_FILE)
    now = time.time()
    return store.create_run(
        RunRecord(
            id=run_id,
            task_name=task.name,
            task_dir=task.root,
            run_dir=str(run_dir),
            strategist=config.strategist,
            model=config.model,
            config=config.model_dump(),
            budget_seconds=config.time_budget,
            metric=task.metric,
            higher_is_better=task.higher_is_better,
            created_at=now,
            updated_at=now,
        )
    )


def load_run_task(run: RunRecord) -> Task:
    path = Path(run.run_dir) / TASK_FILE
    if not Path(run.task_dir).is_dir():
        raise UserError(f"the task folder {run.task_dir} of run {run.id} is gone; restore it to resume")
    return Task.model_validate_json(path.read_text(encoding="utf-8"))


def ensure_resumable(run: RunRecord) -> RunRecord:
    if run.status not in RESUMABLE:
        raise UserError(f"run {run.id} is {run.status}; only unfinished runs can be resumed")
    return run


def execute_run(
    workspace: Workspace, store: RunStore, run_id: str, cancel: threading.Event | None = None
) -> RunRecord:
    """Run (or resume) the loop of `run_id` until it finishes, fails or is cancelled."""
    run = ensure_resumable(store.get_run(run_id))
    with agent_lock(run.run_dir, run.id):
        return _execute_locked(workspace, store, run, cancel)


def _execute_locked(
    workspace: Workspace, store: RunStore, run: RunRecord, cancel: threading.Event | None
) -> RunRecord:
    config = RunConfig.model_validate(run.config)
    task = load_run_task(run)
    train = read_table(Path(task.root) / task.train_file)
    memory = config.memory_limit_mb or default_memory_limit_mb(config.workers)
    ledger = SpendLedger(config.max_tokens, config.max_cost_usd, run.tokens, run.cost_usd)
    ledger.on_change = _spend_recorder(store, run.id, ledger)
    budget = Budget(config.time_budget, spent_before=run.elapsed_seconds, exhausted=ledger.exhausted)
    try:
        executor = open_executor(config.executor, config.workers, config.scheduler, config.dask_data)
    except UserError as exc:
        return store.update_run(run.id, status="failed", error=str(exc), elapsed_seconds=budget.elapsed())
    strategist = make_strategist(
        config.strategist, config.model, config.seed, ledger=ledger, run_dir=Path(run.run_dir)
    )
    run = store.update_run(run.id, status="running", error=None)
    with executor as pool:
        if config.executor == "dask":
            # The cluster decides how many notebooks run at once: one per Dask worker thread.
            config = config.model_copy(update={"workers": pool.workers})
        ctx = RunContext(
            store=store,
            workspace=workspace,
            run=run,
            config=config,
            task=task,
            strategist=strategist,
            pool=pool,
            budget=budget,
            verifier=ScoreVerifier(task, train),
            folds_path=Path(run.run_dir) / FOLDS_FILE,
            memory_limit_mb=memory,
            threads_per_notebook=pool.threads_per_notebook,
            cancel=cancel or threading.Event(),
            spend=ledger,
        )
        try:
            Agent(ctx).run()
        except (Interrupted, KeyboardInterrupt):
            ctx.cancel.set()
            pool.cancel_all()
            return store.update_run(run.id, status="interrupted", elapsed_seconds=budget.elapsed())
        except UserError as exc:
            return store.update_run(run.id, status="failed", error=str(exc), elapsed_seconds=budget.elapsed())
        except BaseException as exc:
            pool.cancel_all()
            store.update_run(
                run.id,
                status="failed",
                error=f"{type(exc).__name__}: {exc}",
                elapsed_seconds=budget.elapsed(),
            )
            raise
    return store.update_run(run.id, status="finished", elapsed_seconds=budget.elapsed())


def _spend_recorder(store: RunStore, run_id: str, ledger: SpendLedger) -> Callable[[int, float], None]:
    """Keep the run's token and cost totals current; announce once that the spend cap is reached."""
    announced = threading.Event()

    def record(tokens: int, cost_usd: float) -> None:
        store.update_run(run_id, tokens=tokens, cost_usd=cost_usd)
        if ledger.exhausted() and not announced.is_set():
            announced.set()
            payload = {"stopped": "model spend cap reached", "tokens": tokens, "cost_usd": cost_usd}
            store.add_event(run_id, "budget", payload)

    return record
