"""Thin tornado handlers: read the request, call `RunService` in a thread, write JSON.

Every blocking call (SQLite, process spawning, folder walking) goes through `blocking`, so the
event loop serving JupyterLab never waits on the disk. Errors are written by the one translator
in `errors.py`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from http.client import responses
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel

from mlestar_lab.server.errors import (
    BadRequest,
    M,
    UnknownRoute,
    parse_json_object,
    request_model,
    translate,
)
from mlestar_lab.server.runs import RunService
from mlestar_lab.server.schemas import CreateRunRequest
from mlestar_lab.store.models import DecisionAnswer

T = TypeVar("T")
SERVICE_SETTING = "mlestar_lab.service"
OPENAPI_SETTING = "mlestar_lab.openapi"
DEFAULT_WAIT = 25.0
MAX_WAIT = 60.0
POLL_SECONDS = 0.25


class MlestarHandler(APIHandler):
    """Base of every route: the service, JSON in and out, and the error translation."""

    @property
    def service(self) -> RunService:
        return self.settings[SERVICE_SETTING]

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    def body(self, model: type[M]) -> M:
        return request_model(model, parse_json_object(self.request.body))

    def reply(self, value: BaseModel | dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        text = value.model_dump_json() if isinstance(value, BaseModel) else json.dumps(value)
        self.finish(text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        known = translate(exc_info[1]) if exc_info else None
        status, message = known or (status_code, responses.get(status_code, "error"))
        if known is None and status >= 500:
            message = "internal server error: see the Jupyter server log"
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Client errors in one line, bugs with their traceback; never the query string, which may
        carry the `token` (tornado's own message would print the whole URI)."""
        where = f"{self.request.method} {self.request.path}"
        known = translate(value) if value is not None else None
        if known is None:
            self.log.error("mlestar_lab: uncaught exception in %s", where, exc_info=(typ, value, tb))
        else:
            self.log.info("mlestar_lab: %s → %d: %s", where, known[0], known[1])


class RunsHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.blocking(self.service.list_runs))

    @tornado.web.authenticated
    async def post(self) -> None:
        request = self.body(CreateRunRequest)
        self.reply(await self.blocking(self.service.create, request), status=201)


class RunHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.blocking(self.service.detail, run_id))


class StopHandler(MlestarHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str) -> None:
        self.reply(await self.blocking(self.service.stop, run_id))


class ResumeHandler(MlestarHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str) -> None:
        self.reply(await self.blocking(self.service.resume, run_id))


class StepHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str, step_id: str) -> None:
        self.reply(await self.blocking(self.service.step, run_id, int(step_id)))


class DecisionsHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        status = self.get_query_argument("status", None)
        self.reply(await self.blocking(self.service.decisions, run_id, status))


class DecisionHandler(MlestarHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str, decision_id: str) -> None:
        answer = self.body(DecisionAnswer)
        user = self.current_user
        by = getattr(user, "username", None) or str(user)
        answer = answer.model_copy(update={"by": by})
        self.reply(await self.blocking(self.service.answer, run_id, int(decision_id), answer))


class TasksHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.blocking(self.service.tasks))


class EventsHandler(MlestarHandler):
    """Long poll: answer as soon as there are events after `since`, or empty after `timeout` s."""

    closed = False

    def on_connection_close(self) -> None:
        self.closed = True

    @tornado.web.authenticated
    async def get(self) -> None:
        since = self._number("since", 0, int)
        wait = min(max(self._number("timeout", DEFAULT_WAIT, float), 0.0), MAX_WAIT)
        run_id = self.get_query_argument("run", None)
        if run_id is not None:
            await self.blocking(self.service.check_run, run_id)
        deadline = time.monotonic() + wait
        while True:
            page = await self.blocking(self.service.events, since, run_id)
            if page.events or self.closed or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        self.reply(page)

    def _number(self, name: str, default: T, kind: Callable[[str], T]) -> T:
        text = self.get_query_argument(name, None)
        if text is None:
            return default
        try:
            return kind(text)
        except ValueError:
            raise BadRequest(f"query argument {name}={text!r} is not a number") from None


class SnapshotHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(await self.blocking(self.service.snapshot))


class OpenApiHandler(MlestarHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(self.settings[OPENAPI_SETTING])


class UnknownRouteHandler(MlestarHandler):
    """Any other path under the API prefix: a JSON 404 naming the OpenAPI document, not an HTML page."""

    @tornado.web.authenticated
    def get(self) -> None:
        path = self.request.path
        document = path[: path.index("/mlestar/api") + len("/mlestar/api")] + "/openapi.json"
        raise UnknownRoute(f"no route {self.request.method} {path} in the mlestar API; see {document}")

    post = put = patch = delete = get
