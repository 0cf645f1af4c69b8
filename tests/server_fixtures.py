"""Fixtures of the server extension tests: a Jupyter server with the extension, a competition
under its root, helpers to call the API, and a teardown that leaves no agent process behind.

Loaded by the `test_server_*.py` modules through `pytest_plugins`, next to pytest-jupyter's own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.server.handlers import SERVICE_SETTING
from mlestar_lab.server.runs import RunService
from mlestar_lab.store.models import Decision, RunRecord

AGENT_MODULE = "mlestar_lab"
Api = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def workspace_dir(jp_root_dir: Path) -> Path:
    return jp_root_dir / "mlestar-runs"


@pytest.fixture
def jp_server_config(workspace_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"mlestar_lab": True}},
        "MlestarServerExtension": {
            "workspace": str(workspace_dir),
            "workers": 1,
            "default_time_budget": "5m",
        },
    }


@pytest.fixture
def task_rel(jp_root_dir: Path, demo_task_dir: Path) -> str:
    """The diabetes demo competition copied to `<root>/competitions/diabetes`."""
    shutil.copytree(demo_task_dir, jp_root_dir / "competitions" / "diabetes")
    return "competitions/diabetes"


@pytest.fixture
def service(jp_serverapp: Any) -> RunService:
    return jp_serverapp.web_app.settings[SERVICE_SETTING]


@pytest.fixture
def record_run(service: RunService, task_rel: str) -> Callable[[], RunRecord]:
    """Record a run on the demo competition through `create_run`, as the CLI does, without an agent."""
    return lambda: create_run(service.workspace, service.store, service.root / task_rel, RunConfig(workers=1))


@pytest.fixture
def ask(service: RunService) -> Callable[..., Decision]:
    """Record a pending retrieval decision of a run, as the agent's gate does."""

    def add(run: RunRecord, key: str = "gate/retrieval") -> Decision:
        request = {"families": [], "available_families": ["linear", "lightgbm"], "editable": ["families"]}
        return service.store.add_decision(
            Decision(run_id=run.id, key=key, gate="retrieval", title="Build candidates?", request=request)
        )

    return add


@pytest.fixture
def outside_task(tmp_path: Path, demo_task_dir: Path, jp_root_dir: Path) -> Path:
    """A valid competition outside the root, and a symlink to it inside the root."""
    outside = tmp_path / "outside" / "diabetes"
    outside.parent.mkdir()
    shutil.copytree(demo_task_dir, outside)
    (jp_root_dir / "sneaky").symlink_to(outside, target_is_directory=True)
    return outside


@pytest.fixture
def api(jp_fetch: Callable[..., Awaitable[HTTPResponse]], no_orphan_agents: None) -> Api:
    """`await api("GET", "runs", ...)` → (status, parsed JSON body), for any status."""

    async def call(method: str, *parts: str, body: Any = None, raw: str | None = None, **kwargs: Any):
        if method == "POST":
            kwargs["body"] = raw if raw is not None else json.dumps({} if body is None else body)
        try:
            response = await jp_fetch("mlestar", "api", *parts, method=method, **kwargs)
        except HTTPClientError as exc:
            assert exc.response is not None, exc
            response = exc.response
        return response.code, json.loads(response.body or b"null")

    return call


@pytest.fixture
def no_orphan_agents(workspace_dir: Path) -> Iterator[None]:
    """Kill (by process group) every agent of this test's workspace, then check none is left."""
    yield
    agents = _agents(workspace_dir)
    for proc in agents:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    psutil.wait_procs(agents, timeout=10)
    assert _agents(workspace_dir) == []


def _agents(workspace_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if AGENT_MODULE in cmdline and str(workspace_dir) in cmdline and proc.info["status"] != "zombie":
            found.append(proc)
    return found
