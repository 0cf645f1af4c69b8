"""Whole offline runs driven over HTTP by a real `jupyter server` process: every gate answered
through the API, two runs at once, and a server restart in the middle of both.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import psutil
import pytest
from live_server import LiveServer

from mlestar_lab.agent.lock import LOCK_FILE, agent_alive
from mlestar_lab.agent.supervisor import LOST_AGENT
from mlestar_lab.store.models import GATES
from mlestar_lab.strategist.offline.recipe import TRAINING, read_recipe

# Whole runs on a shared 2-core machine: generous limits, the tests wait on real conditions.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
USER_MARK = "# tuned by hand"
SMALL = {"models": 2, "outer_steps": 1, "ensemble_rounds": 1, "workers": 1, "time_budget": "4m"}
FINISHED = ("finished", "failed", "stopped")


@pytest.fixture
def root(tmp_path: Path, demo_task_dir: Path, binary_task_dir: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(demo_task_dir, root / "competitions" / "diabetes")
    shutil.copytree(binary_task_dir, root / "competitions" / "cancer")
    return root


@pytest.fixture
def server(root: Path, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(root, root / "mlestar-runs", tmp_path / "server.log")
    live.start()
    yield live
    if live.process is not None:
        live.stop()
    for lock in (root / "mlestar-runs").glob(f"runs/*/{LOCK_FILE}"):
        _kill_agent(lock.parent)


def _kill_agent(run_dir: Path) -> None:
    if agent_alive(run_dir):
        pid = int((run_dir / LOCK_FILE).read_text().strip())
        os.killpg(pid, signal.SIGKILL)
        psutil.wait_procs([psutil.Process(pid)], timeout=10)


def _ok(result: tuple[int, Any], status: int = 200) -> Any:
    code, body = result
    assert code == status, body
    return body


class User:
    """Answers each pending decision through the API as a demanding user would."""

    def __init__(self, server: LiveServer, run_id: str):
        self.server, self.run_id = server, run_id
        self.refinements: list[int] = []
        self.gates: set[str] = set()

    def answer(self, decision: dict[str, Any]) -> dict[str, Any]:
        request, gate = decision["request"], decision["gate"]
        self.gates.add(gate)
        if gate == "retrieval":
            return {"action": "edit", "families": ["lightgbm", "random_forest"], "reason": "two trees"}
        if gate == "ablation":
            if request["chosen"] == TRAINING:
                return {"action": "approve"}
            return {"action": "edit", "block": TRAINING, "reason": "refine the training loop"}
        if gate == "refinement":
            self.refinements.append(decision["step_id"])
            if len(self.refinements) == 1:
                code = f"{USER_MARK}\n{request['code']}"
                return {"action": "edit", "code": code, "plan": "the same, marked", "reason": "mine"}
            if len(self.refinements) == 2:
                return {"action": "edit", "plan": "average 3 seeds", "reason": "less variance"}
            return {"action": "reject", "reason": "too slow for what it promises"}
        return {"action": "approve", "reason": f"fine ({gate})"}

    def step(self) -> str | None:
        """Answer what is pending; the run's status once it is over."""
        run = _ok(self.server.call("GET", "runs", self.run_id))["run"]
        for decision in _ok(self.server.call("GET", "runs", self.run_id, "decisions?status=pending"))[
            "decisions"
        ]:
            path = ("runs", self.run_id, "decisions", str(decision["id"]))
            _ok(self.server.call("POST", *path, body=self.answer(decision)))
            again = self.server.call("POST", *path, body={"action": "approve"})
            assert again[0] == 409 and "already answered" in again[1]["message"]
        return run["status"] if run["status"] in FINISHED else None


def _step(server: LiveServer, run_id: str, step_id: int) -> dict[str, Any]:
    return _ok(server.call("GET", "runs", run_id, "steps", str(step_id)))["step"]


def test_a_full_run_through_the_api_with_every_gate_asking(server: LiveServer, root: Path) -> None:
    body = {"task": "competitions/diabetes", "gates": "ask", "inner_steps": 3, **SMALL}
    run = _ok(server.call("POST", "runs", body=body), 201)
    user = User(server, run["id"])
    assert server.wait(user.step, "the run to finish", timeout=600) == "finished"
    assert user.gates == set(GATES)

    detail = server.wait(
        lambda: (got := _ok(server.call("GET", "runs", run["id"])))["alive"] is False and got,
        "the agent to exit",
        timeout=30,
    )
    assert detail["pending_decisions"] == []
    refinements = [_step(server, run["id"], step_id) for step_id in user.refinements]
    code_edit, plan_edit, rejected = refinements
    assert code_edit["decided_by"] == "user-edited" and code_edit["plan"] == "the same, marked"
    assert code_edit["title"].endswith("(edited by the user)") and USER_MARK in code_edit["diff"]
    executed = nbformat.read(code_edit["notebook_path"], as_version=4)
    assert any(USER_MARK in cell.source for cell in executed.cells), "the user's code is what ran"

    assert plan_edit["decided_by"] == "user-edited" and plan_edit["plan"] == "average 3 seeds"
    assert plan_edit["status"] == "ok" and "average 3 seeds" in plan_edit["title"]
    recipe = read_recipe(nbformat.read(plan_edit["notebook_path"], as_version=4))
    assert recipe is not None and recipe.training.seeds == 3, "the user's plan is what ran"

    assert rejected["status"] == "rejected" and rejected["decided_by"] == "user-rejected"
    assert "too slow" in rejected["reason"] and rejected["notebook_path"] is None

    submission = pd.read_csv(detail["run"]["submission_path"])
    sample = pd.read_csv(root / "competitions" / "diabetes" / "sample_submission.csv")
    assert list(submission.columns) == list(sample.columns) and len(submission) == len(sample)


def _waiting_at_ablation(server: LiveServer, run_id: str) -> dict[str, Any] | None:
    pending = _ok(server.call("GET", "runs", run_id, "decisions?status=pending"))["decisions"]
    return pending[0] if pending and pending[0]["gate"] == "ablation" else None


def _finished_steps(server: LiveServer, run_id: str) -> dict[int, float]:
    steps = _ok(server.call("GET", "runs", run_id))["steps"]
    return {s["id"]: _step(server, run_id, s["id"])["finished_at"] for s in steps if s["status"] == "ok"}


def test_two_runs_at_once_survive_a_server_restart(server: LiveServer, root: Path, tmp_path: Path) -> None:
    """Run A's agent outlives the server and is re-attached; run B's dies meanwhile and is resumed."""
    body = {
        **SMALL,
        "models": 1,
        "inner_steps": 1,
        "ensemble_rounds": 0,
        "time_budget": "6m",
        "gates": {"ablation": "ask"},
    }
    a = _ok(server.call("POST", "runs", body={"task": "competitions/diabetes", **body}), 201)
    b = _ok(server.call("POST", "runs", body={"task": "competitions/cancer", **body}), 201)
    decisions = {
        run["id"]: server.wait(lambda r=run: _waiting_at_ablation(server, r["id"]), "ablation gate")
        for run in (a, b)
    }
    before = {run["id"]: _finished_steps(server, run["id"]) for run in (a, b)}
    assert all(len(steps) >= 2 for steps in before.values()), before

    server.stop()
    assert agent_alive(a["run_dir"]) and agent_alive(b["run_dir"]), "agents outlive the server"
    _kill_agent(Path(b["run_dir"]))
    server.start()

    a_now = _ok(server.call("GET", "runs", a["id"]))
    assert a_now["alive"] and a_now["run"]["status"] == "running", "run A is re-attached"
    assert [d["id"] for d in a_now["pending_decisions"]] == [decisions[a["id"]]["id"]]
    b_now = _ok(server.call("GET", "runs", b["id"]))["run"]
    assert b_now["status"] == "interrupted" and b_now["error"] == LOST_AGENT
    _ok(server.call("POST", "runs", b["id"], "resume"))
    again = server.wait(lambda: _waiting_at_ablation(server, b["id"]), "run B to wait again")
    assert again["id"] == decisions[b["id"]]["id"], "the resumed run waits for the same decision"

    for run_id, decision in decisions.items():
        _ok(server.call("POST", "runs", run_id, "decisions", str(decision["id"]), body={"action": "approve"}))
    for run, task in ((a, "diabetes"), (b, "cancer")):
        final = server.wait(
            lambda r=run: (
                (got := _ok(server.call("GET", "runs", r["id"]))["run"])["status"] in FINISHED and got
            ),
            f"run {run['id']} to finish",
        )
        assert final["status"] == "finished", final["error"]
        after = _finished_steps(server, run["id"])
        assert {k: after[k] for k in before[run["id"]]} == before[run["id"]], "nothing finished is redone"
        sample = pd.read_csv(root / "competitions" / task / "sample_submission.csv")
        submission = pd.read_csv(final["submission_path"])
        assert list(submission.columns) == list(sample.columns) and len(submission) == len(sample)
        assert Path(final["submission_path"]).is_relative_to(run["run_dir"]), "each run writes its own"
