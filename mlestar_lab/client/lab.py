"""The notebook entry point: one workspace, its run store and the agent processes it starts.

`Lab` does what `mlestar run` and the server's "create run" do, through the same functions
(`create_run`, the `AgentSupervisor` that spawns `mlestar resume RUN` detached), so a run started
from a notebook is an ordinary run: it outlives the kernel, shows up in `mlestar runs` and in the
JupyterLab panel, and can be answered from any of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.agent.supervisor import AgentSupervisor
from mlestar_lab.client.kaggle import (
    KAGGLE_ROOT,
    check_writable,
    competition_dir,
    kaggle_workspace,
    on_kaggle,
)
from mlestar_lab.client.options import run_config
from mlestar_lab.client.run import Run
from mlestar_lab.errors import TaskError, UserError
from mlestar_lab.formatting import fmt_seconds
from mlestar_lab.store.models import GateMode
from mlestar_lab.store.workspace import ENV_HOME, Workspace, default_root
from mlestar_lab.task.config import ALLOWED_KEYS

DEMO_DIRNAME = "demo-competition"


def workspace_root(workspace: str | os.PathLike[str] | None = None, kaggle_root: Path = KAGGLE_ROOT) -> Path:
    """The folder given, else `$MLESTAR_HOME`, else `/kaggle/working/mlestar-runs` inside Kaggle,
    else `./mlestar-runs`; always absolute, because the agent process starts in it."""
    if workspace is not None:
        root = Path(workspace).expanduser()
    elif not os.environ.get(ENV_HOME, "").strip() and on_kaggle(kaggle_root):
        root = kaggle_workspace(kaggle_root)
    else:
        root = default_root()
    return root.resolve()


class Lab:
    """Runs of one workspace, for a notebook: `Lab().start("path/to/competition", time_budget="5m")`."""

    def __init__(self, workspace: str | os.PathLike[str] | None = None, kaggle_root: Path = KAGGLE_ROOT):
        self.kaggle_root = kaggle_root
        self.workspace = Workspace(check_writable(workspace_root(workspace, kaggle_root)))
        self.store = self.workspace.open_store()
        self.agents = AgentSupervisor(self.workspace.root)

    def __repr__(self) -> str:
        return f"<mlestar Lab {self.workspace.root}: {len(self.store.list_runs())} runs>"

    def start(
        self,
        task: str | os.PathLike[str],
        time_budget: float | str = "10m",
        gates: str | dict[str, GateMode] = "auto",
        **options: Any,
    ) -> Run:
        """Record a run on the competition folder `task` and start its agent; returns at once.

        Options are the CLI's: `workers`, `models`, `outer_steps`, `inner_steps`,
        `ensemble_rounds`, `notebook_timeout`, `memory_limit_mb`, `seed`, `strategist`, `model`,
        `scheduler` (a Dask cluster, "tcp://HOST:8786") with `dask_data`, and task settings such
        as `target` or `metric`. `gates="ask"` (or "ablation=ask", …)
        makes the run wait for your answer there.
        """
        folder = Path(task).expanduser()
        if not folder.is_dir():
            raise UserError(f"{folder} is not a folder: pass the competition folder (train, test, sample)")
        config = run_config(time_budget, gates, **options)
        try:
            record = create_run(self.workspace, self.store, folder, config)
        except TaskError as exc:
            # The folder may be read-only (Kaggle's input): say how to fix it without writing there.
            raise TaskError(
                f"{exc} — or pass the task settings to start(), e.g. metric='rmse', target='price' "
                f"({', '.join(ALLOWED_KEYS)})"
            ) from exc
        self.agents.spawn(record)
        return Run(self, record.id)

    def start_kaggle(self, competition: str, **settings: Any) -> Run:
        """Start a run on a competition added to this Kaggle notebook (`/kaggle/input/<slug>`)."""
        return self.start(competition_dir(competition, self.kaggle_root), **settings)

    def attach(self, run_id: str) -> Run:
        """A handle on an existing run, by id or a unique prefix of it."""
        return Run(self, self.store.find_run(run_id).id)

    def runs(self) -> pd.DataFrame:
        """Every run of the workspace, oldest first."""
        rows = [
            {
                "id": r.id,
                "task": r.task_name,
                "status": r.status,
                "metric": r.metric,
                "best_score": r.best_score,
                "elapsed": fmt_seconds(r.elapsed_seconds),
                "strategist": r.strategist,
            }
            for r in self.store.list_runs()
        ]
        columns = ["id", "task", "status", "metric", "best_score", "elapsed", "strategist"]
        return pd.DataFrame(rows, columns=columns).set_index("id")

    def demo_task(self) -> Path:
        """The bundled demo competition (diabetes progression, RMSE), built in the workspace."""
        from mlestar_lab.demo.competition import build_demo_task

        return build_demo_task(self.workspace.root / DEMO_DIRNAME)
