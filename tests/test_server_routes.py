"""The REST routes against a real Jupyter server and run store, without starting any agent:
extension setup, authentication, creating runs, and every way a request can be refused.

Runs here are recorded through the same Python API the CLI uses (`create_run`), and steps and
decisions through the run store, exactly as the agent would write them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from traitlets import TraitError

from mlestar_lab.server.app import MlestarServerExtension
from mlestar_lab.server.errors import BadRequest
from mlestar_lab.server.runs import RunService
from mlestar_lab.server.schemas import CreateRunRequest
from mlestar_lab.store.models import Decision, RunRecord, StepRecord

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures")


async def test_extension_is_enabled_with_the_configured_workspace(
    jp_serverapp: Any, service: RunService, workspace_dir: Path
) -> None:
    assert "mlestar_lab" in jp_serverapp.extension_manager.extension_apps
    assert service.workspace.root == workspace_dir.resolve()
    assert (workspace_dir / "mlestar.db").is_file()


@pytest.fixture
def jp_server_config_default() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"mlestar_lab": True}}}


async def test_workspace_defaults_to_the_server_root(
    jp_configurable_serverapp: Any,
    jp_server_config_default: dict[str, Any],
    jp_root_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLESTAR_HOME", raising=False)
    app = jp_configurable_serverapp(config=jp_server_config_default)
    service = app.web_app.settings["mlestar_lab.service"]
    assert service.workspace.root == (jp_root_dir / "mlestar-runs").resolve()
    assert service.defaults.gates == "auto" and service.defaults.strategist == "offline"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("default_gates", "sometimes"),
        ("default_time_budget", "soon"),
        ("dask_scheduler", "localhost:8786"),
        ("dask_data", "sometimes"),
    ],
)
def test_bad_defaults_are_refused_when_the_extension_is_configured(name: str, value: str) -> None:
    with pytest.raises(TraitError, match=rf"MlestarServerExtension(\.| instance.*){name}|'{name}' trait"):
        MlestarServerExtension(**{name: value})


ROUTES = [
    ("GET", "runs"),
    ("POST", "runs"),
    ("GET", "runs/x"),
    ("POST", "runs/x/stop"),
    ("POST", "runs/x/resume"),
    ("GET", "runs/x/steps/1"),
    ("GET", "runs/x/decisions"),
    ("POST", "runs/x/decisions/1"),
    ("GET", "tasks"),
    ("GET", "events"),
    ("GET", "snapshot"),
    ("GET", "openapi.json"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_wrong_token_is_rejected(api: Any, method: str, path: str) -> None:
    status, body = await api(method, *path.split("/"), headers={"Authorization": "token wrong"})
    assert status == 403
    assert body["message"]


async def test_a_request_without_token_is_rejected(http_server_client: Any, jp_base_url: str) -> None:
    for method, body in (("GET", None), ("POST", "{}")):
        response = await http_server_client.fetch(
            f"{jp_base_url}mlestar/api/runs", method=method, body=body, raise_error=False
        )
        assert response.code == 403
        assert json.loads(response.body)["message"]


async def test_runs_list_and_detail(
    api: Any,
    service: RunService,
    record_run: Callable[[], RunRecord],
    ask: Callable[..., Decision],
) -> None:
    assert await api("GET", "runs") == (200, {"runs": []})
    run = record_run()
    status, body = await api("GET", "runs")
    assert status == 200 and [r["id"] for r in body["runs"]] == [run.id]
    assert body["runs"][0]["status"] == "created" and body["runs"][0]["metric"] == "rmse"
    decision = ask(run)
    status, detail = await api("GET", "runs", run.id)
    assert status == 200
    assert detail["run"]["id"] == run.id and detail["alive"] is False
    assert [d["id"] for d in detail["pending_decisions"]] == [decision.id]
    assert {"stages", "steps", "ablations", "ensembles", "findings", "submission"} <= set(detail)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "task: Field required"),
        ({"task": "competitions/diabetes", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"task": "competitions/diabetes", "gates": "merge=often"}, "merge=often"),
        ({"task": "competitions/diabetes", "gates": "speed=ask"}, "unknown gate 'speed'"),
        ({"task": "competitions/diabetes", "gates": {"merge": "often"}}, "gates."),
        ({"task": "competitions/diabetes", "gates": {"speed": "ask"}}, "unknown gate(s) speed"),
        ({"task": "competitions/diabetes", "time_budget": "soon"}, "cannot read the duration 'soon'"),
        (
            {"task": "competitions/diabetes", "workers": 0},
            "workers: Input should be greater than or equal to 1",
        ),
        ({"task": "competitions/diabetes", "scheduler": "cluster:8786"}, "write it as tcp://HOST:PORT"),
        (
            {"task": "competitions/diabetes", "scheduler": "tcp://cluster:8786", "workers": 2},
            "the cluster decides how many notebooks run at once",
        ),
        ({"task": "competitions/nothing"}, "is not a folder under the server root"),
        ({"task": "competitions"}, "no train.csv in"),
    ],
)
async def test_create_run_rejects_bad_bodies(
    api: Any, task_rel: str, workspace_dir: Path, body: dict[str, Any], needle: str
) -> None:
    status, reply = await api("POST", "runs", body=body)
    assert status == 400, reply
    assert needle in reply["message"]
    assert str(workspace_dir.parent) not in reply["message"], "paths are named relative to the root"
    assert (await api("GET", "runs"))[1]["runs"] == []
    assert not (workspace_dir / "runs").exists()


async def test_run_settings_take_the_body_over_the_configured_defaults(service: RunService) -> None:
    config = service.config(CreateRunRequest(task="t"))
    assert (config.time_budget, config.workers, config.gates, config.strategist) == (300, 1, {}, "offline")
    config = service.config(
        CreateRunRequest(
            task="t",
            time_budget="90s",
            gates="ablation=ask,submission=ask",
            workers=2,
            seed=7,
            models=2,
            outer_steps=1,
            inner_steps=2,
            ensemble_rounds=0,
            notebook_timeout="2m",
        )
    )
    assert config.time_budget == 90 and config.notebook_timeout == 120
    assert config.gates == {"ablation": "ask", "submission": "ask"}
    assert (config.workers, config.seed, config.models, config.outer_steps) == (2, 7, 2, 1)
    assert (config.inner_steps, config.ensemble_rounds) == (2, 0)
    assert service.config(CreateRunRequest(task="t", gates={"merge": "ask"})).gates == {"merge": "ask"}


async def test_a_run_goes_to_the_dask_scheduler_asked_for_or_configured(
    service: RunService, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.config(CreateRunRequest(task="t")).executor == "local"
    asked = service.config(CreateRunRequest(task="t", scheduler=" tcp://10.0.0.5:8786 ", dask_data="ship"))
    assert (asked.executor, asked.scheduler, asked.dask_data) == ("dask", "tcp://10.0.0.5:8786", "ship")
    with pytest.raises(BadRequest, match="the cluster decides how many notebooks run at once"):
        service.config(CreateRunRequest(task="t", scheduler="tcp://10.0.0.5:8786", workers=2))
    with pytest.raises(BadRequest, match="write it as tcp://HOST:PORT"):
        service.config(CreateRunRequest(task="t", scheduler="10.0.0.5:8786"))
    configured = replace(service.defaults, scheduler="tcp://cluster:8786")
    monkeypatch.setattr(service, "defaults", configured)
    default = service.config(CreateRunRequest(task="t"))
    assert (default.executor, default.scheduler, default.dask_data) == ("dask", "tcp://cluster:8786", "auto")
    assert service.config(CreateRunRequest(task="t", scheduler="")).executor == "local"


@pytest.mark.parametrize(
    ("raw", "needle"), [("{nope", "not valid JSON"), ("[1, 2]", "must be a JSON object")]
)
async def test_create_run_rejects_malformed_json(api: Any, raw: str, needle: str) -> None:
    status, reply = await api("POST", "runs", raw=raw)
    assert status == 400 and needle in reply["message"]


@pytest.mark.parametrize(
    "task", ["../outside/diabetes", "/etc", "OUTSIDE", "sneaky", "competitions/../../outside"]
)
async def test_create_run_refuses_paths_outside_the_root(
    api: Any, outside_task: Path, workspace_dir: Path, task: str
) -> None:
    task = str(outside_task) if task == "OUTSIDE" else task
    status, reply = await api("POST", "runs", body={"task": task})
    assert status == 400, reply
    assert "server root" in reply["message"]
    assert (await api("GET", "runs"))[1]["runs"] == []
    assert not (workspace_dir / "runs").exists()


async def test_unknown_ids_are_404(
    api: Any, service: RunService, record_run: Callable[[], RunRecord]
) -> None:
    run = record_run()
    other = record_run()
    step = service.store.add_step(StepRecord(run_id=other.id, key="retrieval", stage="retrieval"))
    for method, parts in [
        ("GET", ("runs", "nope")),
        ("POST", ("runs", "nope", "stop")),
        ("POST", ("runs", "nope", "resume")),
        ("GET", ("runs", "nope", "decisions")),
        ("GET", ("runs", run.id, "steps", "999")),
        ("GET", ("runs", run.id, "steps", str(step.id))),
        ("POST", ("runs", run.id, "decisions", "999")),
        ("GET", ("events",)),
    ]:
        kwargs = {"params": {"run": "nope", "timeout": "0"}} if parts == ("events",) else {}
        body = {"action": "approve"} if "decisions" in parts and method == "POST" else None
        status, reply = await api(method, *parts, body=body, **kwargs)
        assert status == 404, (method, parts, reply)
        assert reply["message"]


async def test_stop_and_resume_refuse_what_cannot_apply(
    api: Any, service: RunService, record_run: Callable[[], RunRecord]
) -> None:
    run = record_run()
    status, reply = await api("POST", "runs", run.id, "stop")
    assert status == 409 and "not running" in reply["message"]
    service.store.update_run(run.id, status="finished")
    status, reply = await api("POST", "runs", run.id, "resume")
    assert status == 400 and "only unfinished runs can be resumed" in reply["message"]


async def test_a_server_bug_is_a_500_with_no_details_and_a_logged_traceback(
    api: Any,
    service: RunService,
    jp_serverapp: Any,
    caplog: pytest.LogCaptureFixture,
    record_run: Callable[[], RunRecord],
) -> None:
    """A corrupted run row is the server's problem: 500, traceback in the log, no token anywhere."""
    run = record_run()
    with sqlite3.connect(service.store.path) as conn:
        conn.execute("UPDATE runs SET config = 'not json' WHERE id = ?", (run.id,))
    token = jp_serverapp.identity_provider.token
    status, reply = await api("GET", "runs", run.id, params={"token": token})
    assert status == 500
    assert reply == {"message": "internal server error: see the Jupyter server log"}
    logged = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert logged and logged[-1].exc_info[0].__name__ == "JSONDecodeError"
    assert all(token not in caplog.handler.format(r) for r in caplog.records)


async def test_a_cookie_session_needs_the_xsrf_token(
    http_server_client: Any, jp_base_url: str, jp_serverapp: Any, task_rel: str
) -> None:
    """A browser's cookie alone cannot start a run: the page must echo the `_xsrf` cookie."""
    token = jp_serverapp.identity_provider.token
    login = await http_server_client.fetch(f"{jp_base_url}mlestar/api/runs?token={token}")
    cookies = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie"))
    assert cookies.startswith("username-"), "the token logged the browser in"
    body = json.dumps({"task": task_rel, "gates": {"retrieval": "ask"}})
    url = f"{jp_base_url}mlestar/api/runs"

    forged = await http_server_client.fetch(
        url, method="POST", body=body, headers={"Cookie": cookies}, raise_error=False
    )
    assert forged.code == 403 and "xsrf" in forged.body.decode().lower()
    listed = await http_server_client.fetch(url, headers={"Cookie": cookies})
    assert json.loads(listed.body)["runs"] == [], "the forged request started nothing"

    invalid = json.dumps({"task": "no/such/folder"})
    genuine = await http_server_client.fetch(
        url,
        method="POST",
        body=invalid,
        headers={"Cookie": f"{cookies}; _xsrf=echoed", "X-XSRFToken": "echoed"},
        raise_error=False,
    )
    assert genuine.code == 400, "with the token echoed, the request reaches validation"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "nothing/here"), ("POST", "runs/x/explode"), ("GET", "")]
)
async def test_an_unknown_api_path_is_a_json_404(api: Any, method: str, path: str) -> None:
    status, body = await api(method, *path.split("/"))
    assert status == 404
    assert "no route" in body["message"] and "openapi.json" in body["message"]


async def test_an_unknown_api_path_still_needs_the_token(api: Any) -> None:
    status, _ = await api("GET", "nothing", headers={"Authorization": "token wrong"})
    assert status == 403
