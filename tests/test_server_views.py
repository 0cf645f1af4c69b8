"""What the API shows of runs: steps, decisions, competition folders, events, snapshot, OpenAPI.

Runs, steps and decisions are recorded through the same Python API and run store the CLI and the
agent use; no agent process is started.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.routing import PathMatches

from mlestar_lab.server.handlers import UnknownRouteHandler
from mlestar_lab.server.routes import ROUTES
from mlestar_lab.server.runs import RunService
from mlestar_lab.store.models import Decision, RunRecord, StepRecord

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures")


async def test_step_detail_gives_the_notebook_under_the_root(
    api: Any, service: RunService, tmp_path: Path, record_run: Callable[[], RunRecord]
) -> None:
    run = record_run()
    inside = Path(run.run_dir) / "steps" / "0001-candidate" / "executed.ipynb"
    step = service.store.add_step(
        StepRecord(run_id=run.id, key="candidate/1", stage="candidate", notebook_path=str(inside))
    )
    elsewhere = service.store.add_step(
        StepRecord(
            run_id=run.id, key="candidate/2", stage="candidate", notebook_path=str(tmp_path / "x.ipynb")
        )
    )
    status, body = await api("GET", "runs", run.id, "steps", str(step.id))
    assert status == 200
    assert body["step"]["key"] == "candidate/1"
    assert body["notebook"] == f"mlestar-runs/runs/{run.id}/steps/0001-candidate/executed.ipynb"
    assert (await api("GET", "runs", run.id, "steps", str(elsewhere.id)))[1]["notebook"] is None


async def test_decisions_list_answer_and_conflict(
    api: Any,
    service: RunService,
    record_run: Callable[[], RunRecord],
    ask: Callable[..., Decision],
) -> None:
    run = record_run()
    first, second = ask(run), ask(run, key="gate/other")
    status, body = await api("GET", "runs", run.id, "decisions", params={"status": "pending"})
    assert status == 200 and [d["id"] for d in body["decisions"]] == [first.id, second.id]
    assert (await api("GET", "runs", run.id, "decisions", params={"status": "maybe"}))[0] == 400

    path = ("runs", run.id, "decisions", str(first.id))
    status, reply = await api("POST", *path, body={"action": "reject"})
    assert status == 400 and "needs a reason" in reply["message"]
    status, reply = await api("POST", *path, body={"action": "perhaps"})
    assert status == 400 and "action" in reply["message"]
    status, reply = await api("POST", *path, body={"action": "edit", "families": ["quantum"]})
    assert status == 400 and "unknown model families quantum" in reply["message"]

    edit = {"action": "edit", "families": ["linear"], "reason": "r", "by": "mallory"}
    status, answered = await api("POST", *path, body=edit)
    assert status == 200 and answered["status"] == "edited"
    assert answered["answer"]["families"] == ["linear"] and answered["answer"]["reason"] == "r"
    assert answered["answer"]["by"] not in ("mallory", "user", "")  # the authenticated user, not the body's
    status, reply = await api("POST", *path, body={"action": "approve"})
    assert status == 409 and "already answered" in reply["message"]

    status, body = await api("GET", "runs", run.id, "decisions", params={"status": "pending"})
    assert [d["id"] for d in body["decisions"]] == [second.id]
    assert len((await api("GET", "runs", run.id, "decisions"))[1]["decisions"]) == 2


async def test_tasks_lists_competitions_inside_the_root_only(
    api: Any,
    outside_task: Path,
    jp_root_dir: Path,
    service: RunService,
    record_run: Callable[[], RunRecord],
) -> None:
    record_run()
    hidden = jp_root_dir / ".hidden" / "copy"
    hidden.mkdir(parents=True)
    for name in ("train.csv", "sample_submission.csv"):
        (hidden / name).write_text("id,y\n1,2\n")
    status, body = await api("GET", "tasks")
    assert status == 200
    assert body["tasks"] == [
        {
            "path": "competitions/diabetes",
            "name": "diabetes",
            "train_file": "train.csv",
            "sample_submission_file": "sample_submission.csv",
            "test_file": "test.csv",
            "has_description": True,
        }
    ]


async def test_events_return_at_once_then_wait_then_wake_up(
    api: Any, service: RunService, record_run: Callable[[], RunRecord]
) -> None:
    run = record_run()
    status, page = await api("GET", "events", params={"since": "0"})
    assert status == 200
    assert [e["kind"] for e in page["events"]] == ["run.created"]
    assert page["last_seq"] == page["events"][-1]["seq"]

    started = time.monotonic()
    status, empty = await api("GET", "events", params={"since": str(page["last_seq"]), "timeout": "0.6"})
    assert status == 200 and empty == {"events": [], "last_seq": page["last_seq"]}
    assert time.monotonic() - started >= 0.6

    async def later() -> None:
        await asyncio.sleep(0.8)
        await asyncio.to_thread(service.store.add_event, run.id, "log", {"message": "hello"})

    task = asyncio.ensure_future(later())
    started = time.monotonic()
    status, woke = await api(
        "GET", "events", params={"since": str(page["last_seq"]), "run": run.id, "timeout": "20"}
    )
    await task
    assert status == 200 and time.monotonic() - started < 10
    assert [(e["kind"], e["payload"]) for e in woke["events"]] == [("log", {"message": "hello"})]
    assert woke["last_seq"] == woke["events"][0]["seq"]
    assert (await api("GET", "events", params={"since": "x"}))[0] == 400


async def test_snapshot_has_runs_pending_decisions_and_last_seq(
    api: Any,
    service: RunService,
    record_run: Callable[[], RunRecord],
    ask: Callable[..., Decision],
) -> None:
    run = record_run()
    decision = ask(run)
    status, snap = await api("GET", "snapshot")
    assert status == 200
    assert [r["id"] for r in snap["runs"]] == [run.id]
    assert [d["id"] for d in snap["pending_decisions"]] == [decision.id]
    assert snap["last_seq"] == service.store.last_seq()


async def test_openapi_lists_every_registered_route(api: Any, jp_serverapp: Any, jp_base_url: str) -> None:
    status, doc = await api("GET", "openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": f"{jp_base_url}mlestar/api"}]
    prefix = f"{jp_base_url}mlestar/api"
    registered = {}
    for pattern, handler in _handlers(jp_serverapp.web_app.default_router):
        if pattern.startswith(prefix) and handler is not UnknownRouteHandler:
            methods = {m for m in ("get", "post", "put", "patch", "delete") if m in vars(handler)}
            registered[_as_openapi(pattern[len(prefix) :])] = methods
    assert len(registered) == len(ROUTES)
    assert {path: set(item) for path, item in doc["paths"].items()} == registered

    schemas = doc["components"]["schemas"]
    for name in ("RunRecord", "StepRecord", "Event", "Decision", "DecisionAnswer", "CreateRunRequest"):
        assert schemas[name]["properties"]
    refs = set(_refs(doc))
    assert refs and all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)
    assert doc["paths"]["/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateRunRequest"
    }


def _handlers(router: Any) -> list[tuple[str, type]]:
    """(path pattern, handler class) of every rule tornado routes, through nested host routers."""
    found = []
    for rule in router.rules:
        if isinstance(rule.matcher, PathMatches) and isinstance(rule.target, type):
            found.append((rule.matcher.regex.pattern.removesuffix("$"), rule.target))
        elif hasattr(rule.target, "rules"):
            found.extend(_handlers(rule.target))
    return found


def _as_openapi(pattern: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []
