"""What the REST API does, as plain blocking Python: the handlers run these methods in a thread.

Everything goes through the same functions as the CLI (`create_run`, `ensure_resumable`,
`answer_decision`, `run_report`) and the run store, so a run created or answered here behaves
exactly like one driven from a terminal; the only server-specific parts are confining paths to
the server root and supervising the agent processes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.agent.config import RunConfig, parse_duration, parse_gates
from mlestar_lab.agent.lifecycle import RESUMABLE, create_run, ensure_resumable
from mlestar_lab.agent.supervisor import AgentSupervisor
from mlestar_lab.errors import UserError
from mlestar_lab.report import run_report
from mlestar_lab.server.errors import BadRequest, RunBusy, request_model
from mlestar_lab.server.paths import find_tasks, relative_to_root, resolve_under_root
from mlestar_lab.server.schemas import (
    CreateRunRequest,
    DecisionList,
    EventPage,
    RunDetail,
    RunList,
    Snapshot,
    StepDetail,
    TaskList,
)
from mlestar_lab.store.models import Decision, DecisionAnswer, DecisionStatus, RunRecord
from mlestar_lab.store.store import RunStore, StepNotFound
from mlestar_lab.store.workspace import Workspace

EVENT_PAGE = 1000


@dataclass(frozen=True)
class Defaults:
    """The extension's configured defaults for new runs (see `MlestarServerExtension`)."""

    strategist: str = "offline"
    gates: str = "auto"
    time_budget: str = "10m"
    workers: int | None = None
    memory_limit_mb: int | None = None
    scheduler: str = ""
    dask_data: str = "auto"


class RunService:
    def __init__(
        self,
        root: Path,
        workspace: Workspace,
        store: RunStore,
        defaults: Defaults,
        logger: logging.Logger | None = None,
    ) -> None:
        self.root = root
        self.workspace = workspace
        self.store = store
        self.defaults = defaults
        self.agents = AgentSupervisor(workspace.root.resolve(), logger)

    # -- runs -------------------------------------------------------------------------------

    def list_runs(self) -> RunList:
        return RunList(runs=[self.agents.observe(self.store, run) for run in self.store.list_runs()])

    def create(self, request: CreateRunRequest) -> RunRecord:
        """Validate, record the run (task, folds) and start its agent; the client then follows events."""
        task_dir = resolve_under_root(self.root, request.task)
        if not task_dir.is_dir():
            raise BadRequest(f"{request.task!r} is not a folder under the server root")
        config = self.config(request)
        try:
            run = create_run(self.workspace, self.store, task_dir, config)
        except UserError as exc:
            # The task loader names files by absolute path; the client knows them by the root's.
            raise BadRequest(str(exc).replace(f"{self.root.resolve()}{os.sep}", "")) from exc
        self.agents.spawn(run)
        return run

    def config(self, request: CreateRunRequest) -> RunConfig:
        """The request's settings over the extension's defaults, validated like the CLI's flags."""
        gates = request.gates if request.gates is not None else self.defaults.gates
        values: dict[str, Any] = {
            "strategist": request.strategist or self.defaults.strategist,
            "model": request.model,
            "time_budget": parse_duration(str(request.time_budget or self.defaults.time_budget)),
            "gates": parse_gates(gates) if isinstance(gates, str) else gates,
        }
        if request.notebook_timeout is not None:
            values["notebook_timeout"] = parse_duration(str(request.notebook_timeout))
        scheduler = (request.scheduler if request.scheduler is not None else self.defaults.scheduler).strip()
        if scheduler:
            if request.workers is not None:
                raise BadRequest("runs on a Dask cluster: the cluster decides how many notebooks run at once")
            dask_data = request.dask_data or self.defaults.dask_data
            values.update(executor="dask", scheduler=scheduler, dask_data=dask_data)
        optional = {
            "workers": None if scheduler else request.workers or self.defaults.workers,
            "memory_limit_mb": request.memory_limit_mb or self.defaults.memory_limit_mb,
            "seed": request.seed,
            "models": request.models,
            "outer_steps": request.outer_steps,
            "inner_steps": request.inner_steps,
            "ensemble_rounds": request.ensemble_rounds,
            "max_tokens": request.max_tokens,
            "max_cost_usd": request.max_cost_usd,
        }
        values.update({name: value for name, value in optional.items() if value is not None})
        return request_model(RunConfig, values)

    def detail(self, run_id: str) -> RunDetail:
        run = self.agents.observe(self.store, self.store.get_run(run_id))
        report = run_report(self.store, run.id)
        if report["submission"] is not None:
            # The panel downloads the submission through Jupyter's files API, relative to the root.
            report["submission"]["download"] = relative_to_root(self.root, report["submission"]["path"])
        return RunDetail(
            **report,
            # A finished run's agent may take a moment to exit; it executes nothing any more.
            alive=run.status in RESUMABLE and self.agents.alive(run),
            pending_decisions=self.store.decisions(run.id, "pending"),
        )

    def stop(self, run_id: str) -> RunRecord:
        run = self.store.get_run(run_id)
        if not self.agents.stop(run):
            raise RunBusy(f"run {run_id} is not running ({run.status}); nothing to stop")
        return self.store.get_run(run_id)

    def resume(self, run_id: str) -> RunRecord:
        run = ensure_resumable(self.store.get_run(run_id))
        if self.agents.alive(run):
            raise RunBusy(f"run {run_id} is already running; stop it first")
        self.agents.spawn(run)
        return run

    def recover(self) -> list[str]:
        return self.agents.recover(self.store)

    # -- steps and decisions ----------------------------------------------------------------

    def step(self, run_id: str, step_id: int) -> StepDetail:
        self.store.get_run(run_id)
        step = self.store.get_step(step_id)
        if step.run_id != run_id:
            raise StepNotFound(f"run {run_id} has no step {step_id}")
        return StepDetail(step=step, notebook=relative_to_root(self.root, step.notebook_path))

    def decisions(self, run_id: str, status: str | None) -> DecisionList:
        if status is not None and status not in get_args(DecisionStatus):
            raise BadRequest(f"status {status!r}: use one of {', '.join(get_args(DecisionStatus))}")
        self.store.get_run(run_id)
        return DecisionList(decisions=self.store.decisions(run_id, status))  # type: ignore[arg-type]

    def answer(self, run_id: str, decision_id: int, answer: DecisionAnswer) -> Decision:
        self.store.get_run(run_id)
        return answer_decision(self.store, run_id, decision_id, answer)

    # -- discovery and following ------------------------------------------------------------

    def tasks(self) -> TaskList:
        return TaskList(tasks=find_tasks(self.root, skip=(self.workspace.root,)))

    def events(self, since: int, run_id: str | None) -> EventPage:
        """Events after `since`; `last_seq` is where the next call picks up without a gap.

        `last_seq()` is read before the events: writes commit in `seq` order, so every event up
        to it that matches is in this page unless the page is full.
        """
        newest = self.store.last_seq()
        events = self.store.events(run_id, since, EVENT_PAGE)
        if len(events) == EVENT_PAGE:
            return EventPage(events=events, last_seq=events[-1].seq)
        last = max([since, newest, *(e.seq for e in events[-1:])])
        return EventPage(events=events, last_seq=last)

    def check_run(self, run_id: str) -> None:
        self.store.get_run(run_id)

    def snapshot(self) -> Snapshot:
        newest = self.store.last_seq()
        runs = [self.agents.observe(self.store, run) for run in self.store.list_runs()]
        pending = [d for run in runs for d in self.store.decisions(run.id, "pending")]
        return Snapshot(runs=runs, pending_decisions=pending, last_seq=newest)
