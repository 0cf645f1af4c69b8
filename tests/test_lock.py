"""One agent per run: a second agent on a live run is refused; a dead agent frees the run."""

from __future__ import annotations

import pytest

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.agent.lock import agent_alive, agent_lock
from mlestar_lab.errors import UserError
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace


def test_a_run_held_by_a_live_agent_cannot_be_resumed_twice(tmp_path, demo_task_dir):
    ws = Workspace(tmp_path / "ws")
    store = RunStore(ws.db_path)
    run = create_run(ws, store, demo_task_dir, RunConfig(time_budget=60))
    assert not agent_alive(run.run_dir)
    with agent_lock(run.run_dir, run.id):
        assert agent_alive(run.run_dir)
        with pytest.raises(UserError, match="being executed by another agent"):
            execute_run(ws, store, run.id)
    assert not agent_alive(run.run_dir)
    assert store.get_run(run.id).status == "created", "the refused attempt changed nothing"
