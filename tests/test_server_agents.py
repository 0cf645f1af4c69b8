"""Runs created, stopped, resumed, answered and recovered through the API, with real agent processes.

Each run asks at the retrieval gate, so its agent loads the task and waits for the decision
without executing a notebook: the life cycle is exercised at the cost of a process start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psutil
import pytest

from mlestar_lab.agent.supervisor import LOST_AGENT
from mlestar_lab.server.runs import RunService

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures")

ASK_RETRIEVAL = {"gates": {"retrieval": "ask"}, "workers": 1, "time_budget": "5m"}


async def wait_for(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60.0) -> Any:
    """Poll `check` every 0.2 s until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.2)
    return value


async def _waiting_decision(api: Any, run_id: str) -> dict[str, Any]:
    """The pending decision, once the run's agent is alive, running and waiting for it."""

    async def waiting() -> dict[str, Any] | None:
        status, detail = await api("GET", "runs", run_id)
        assert status == 200
        running = detail["run"]["status"] == "running" and detail["alive"]
        return detail["pending_decisions"][0] if running and detail["pending_decisions"] else None

    return await wait_for(waiting, what="the agent to wait at the retrieval gate")


async def _status(api: Any, run_id: str, wanted: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        run = (await api("GET", "runs", run_id))[1]["run"]
        return run if run["status"] == wanted else None

    return await wait_for(reached, what=f"run {run_id} to be {wanted}")


def _agent_pid(service: RunService, run_id: str) -> int:
    pid = service.agents.children()[run_id]
    assert psutil.Process(pid).is_running()
    return pid


async def test_create_stop_resume_and_reject(api: Any, service: RunService, task_rel: str) -> None:
    status, run = await api("POST", "runs", body={"task": task_rel, **ASK_RETRIEVAL})
    assert status == 201 and run["status"] == "created"
    assert run["config"]["gates"] == {"retrieval": "ask"} and run["budget_seconds"] == 300
    decision = await _waiting_decision(api, run["id"])
    assert decision["gate"] == "retrieval" and decision["request"]["editable"] == ["families"]

    status, reply = await api("POST", "runs", run["id"], "resume")
    assert status == 409 and "already running" in reply["message"]

    pid = _agent_pid(service, run["id"])
    status, stopped = await api("POST", "runs", run["id"], "stop")
    assert status == 200 and stopped["status"] == "interrupted"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (await api("GET", "runs", run["id"]))[1]["alive"] is False

    status, _ = await api("POST", "runs", run["id"], "resume")
    assert status == 200
    again = await _waiting_decision(api, run["id"])
    assert again["id"] == decision["id"], "a resumed run waits for the same decision"

    reject = {"action": "reject", "reason": "these families are too slow"}
    status, answered = await api("POST", "runs", run["id"], "decisions", str(decision["id"]), body=reject)
    assert status == 200 and answered["status"] == "rejected"
    failed = await _status(api, run["id"], "failed")
    assert "these families are too slow" in failed["error"]
    status, reply = await api("POST", "runs", run["id"], "decisions", str(decision["id"]), body=reject)
    assert status == 409

    status, page = await api("GET", "events", params={"since": "0", "run": run["id"], "timeout": "0"})
    kinds = [e["kind"] for e in page["events"]]
    assert kinds[0] == "run.created" and "decision.pending" in kinds and "decision.answered" in kinds


async def test_a_killed_agent_is_recovered_as_interrupted(
    api: Any, service: RunService, task_rel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "jupyter-secret-0123456789")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-0123456789")
    status, run = await api("POST", "runs", body={"task": task_rel, **ASK_RETRIEVAL})
    assert status == 201
    await _waiting_decision(api, run["id"])
    pid = _agent_pid(service, run["id"])
    environ = psutil.Process(pid).environ()
    assert "JUPYTER_TOKEN" not in environ, "the agent never gets the server's credentials"
    assert environ["GEMINI_API_KEY"] == "gemini-key-0123456789", "it keeps the strategist's"
    os.kill(pid, signal.SIGKILL)
    psutil.Process(pid).wait(timeout=10)
    status, detail = await api("GET", "runs", run["id"])
    assert detail["run"]["status"] == "interrupted" and detail["run"]["error"] == LOST_AGENT
    assert detail["alive"] is False, "a dead agent is seen at once, not at the next server start"

    status, _ = await api("POST", "runs", run["id"], "resume")
    assert status == 200
    await _waiting_decision(api, run["id"])
    assert service.recover() == [], "a live agent is observed, never marked interrupted"


async def test_an_agent_that_cannot_start_says_why(
    api: Any, service: RunService, task_rel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = [sys.executable, "-c", "import sys; print('boom: no such strategist'); sys.exit(3)"]
    monkeypatch.setattr(service.agents, "command", lambda run_id: failing)
    status, run = await api("POST", "runs", body={"task": task_rel, **ASK_RETRIEVAL})
    assert status == 201

    async def explained() -> dict[str, Any] | None:
        listed = (await api("GET", "runs"))[1]["runs"]
        return listed[0] if listed[0]["status"] == "interrupted" else None

    failed = await wait_for(explained, what="the failed start to be recorded")
    assert "exited with code 3" in failed["error"] and "boom: no such strategist" in failed["error"]
    assert (await api("GET", "runs", run["id"]))[1]["run"]["error"] == failed["error"]
