"""The route table: the one list from which tornado's URL patterns and the OpenAPI document are made.

A route added here is served and documented at once; a route cannot be served undocumented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jupyter_server.utils import url_path_join
from pydantic import BaseModel

from mlestar_lab.kaggle.status import KaggleStatus
from mlestar_lab.server import handlers as h
from mlestar_lab.server import kaggle_handlers as k
from mlestar_lab.server.schemas import (
    CreateRunRequest,
    DecisionList,
    EventPage,
    KaggleDownload,
    KaggleDownloadRequest,
    KagglePullRequest,
    KagglePushRequest,
    KaggleSubmitRequest,
    RunDetail,
    RunList,
    Snapshot,
    StepDetail,
    TaskList,
)
from mlestar_lab.store.models import Decision, DecisionAnswer, RunRecord, StepRecord

API_PREFIX = ("mlestar", "api")
# Path parameter → the regular expression tornado matches it with.
PARAMETERS = {"run_id": r"[^/]+", "step_id": r"\d+", "decision_id": r"\d+"}


@dataclass(frozen=True)
class Query:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    summary: str
    response: type[BaseModel] | None
    request: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = (400,)
    query: tuple[Query, ...] = ()


@dataclass(frozen=True)
class Route:
    path: str
    handler: type[h.MlestarHandler]
    operations: tuple[Operation, ...] = field(default_factory=tuple)

    def pattern(self) -> str:
        """The tornado pattern, without the server's base URL (the ExtensionApp prepends it)."""
        regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>{PARAMETERS[m.group(1)]})", self.path)
        return url_path_join("/", *API_PREFIX, regex.strip("/"))


ROUTES: tuple[Route, ...] = (
    Route(
        "/runs",
        h.RunsHandler,
        (
            Operation("get", "Every run of the workspace, oldest first.", RunList),
            Operation(
                "post",
                "Create a run on a competition folder under the server root and start its agent.",
                RunRecord,
                request=CreateRunRequest,
                status=201,
            ),
        ),
    ),
    Route(
        "/runs/{run_id}",
        h.RunHandler,
        (Operation("get", "A run as `mlestar show` reports it.", RunDetail, errors=(404,)),),
    ),
    Route(
        "/runs/{run_id}/stop",
        h.StopHandler,
        (
            Operation(
                "post", "SIGTERM the run's agent: the run becomes interrupted.", RunRecord, errors=(404, 409)
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/resume",
        h.ResumeHandler,
        (Operation("post", "Start an agent that continues the run.", RunRecord, errors=(400, 404, 409)),),
    ),
    Route(
        "/runs/{run_id}/steps/{step_id}",
        h.StepHandler,
        (
            Operation(
                "get",
                "One step, with its executed notebook's path under the root.",
                StepDetail,
                errors=(404,),
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/decisions",
        h.DecisionsHandler,
        (
            Operation(
                "get",
                "The run's decisions, oldest first.",
                DecisionList,
                errors=(400, 404),
                query=(Query("status", "string", "pending, approved, rejected or edited"),),
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/decisions/{decision_id}",
        h.DecisionHandler,
        (
            Operation(
                "post",
                "Answer a pending decision (approve, reject with a reason, or edit).",
                Decision,
                request=DecisionAnswer,
                errors=(400, 404, 409),
            ),
        ),
    ),
    Route(
        "/tasks",
        h.TasksHandler,
        (Operation("get", "Competition folders under the server root.", TaskList),),
    ),
    Route(
        "/events",
        h.EventsHandler,
        (
            Operation(
                "get",
                "Long poll: events after `since`, waiting up to `timeout` seconds for one.",
                EventPage,
                errors=(400, 404),
                query=(
                    Query("since", "integer", "Last sequence number seen (default 0)."),
                    Query("run", "string", "Only this run's events."),
                    Query(
                        "timeout",
                        "number",
                        f"Seconds to wait (default {h.DEFAULT_WAIT:g}, max {h.MAX_WAIT:g}).",
                    ),
                ),
            ),
        ),
    ),
    Route(
        "/snapshot",
        h.SnapshotHandler,
        (
            Operation(
                "get", "All runs, pending decisions and the last event's seq, for reconnects.", Snapshot
            ),
        ),
    ),
    Route(
        "/kaggle/download",
        k.KaggleDownloadHandler,
        (
            Operation(
                "post",
                "Download a Kaggle competition into a task folder under the root "
                "(files unzipped, metric mapped).",
                KaggleDownload,
                request=KaggleDownloadRequest,
                status=201,
                errors=(400, 404, 502),
            ),
        ),
    ),
    Route(
        "/kaggle/pull",
        k.KagglePullHandler,
        (
            Operation(
                "post",
                "Import a Kaggle notebook as an initial candidate of a new run and start its agent.",
                RunRecord,
                request=KagglePullRequest,
                status=201,
                errors=(400, 404, 502),
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/kaggle/push",
        k.KagglePushHandler,
        (
            Operation(
                "post",
                "Push the run's final solution as a Kaggle kernel (competition data source, internet off).",
                StepRecord,
                request=KagglePushRequest,
                status=201,
                errors=(400, 404, 502),
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/kaggle/status",
        k.KaggleStatusHandler,
        (
            Operation(
                "get",
                "Ask Kaggle how the run's last kernel and submission are doing; saved on their steps.",
                KaggleStatus,
                errors=(400, 404, 502),
            ),
        ),
    ),
    Route(
        "/runs/{run_id}/kaggle/submit",
        k.KaggleSubmitHandler,
        (
            Operation(
                "post",
                "Submit the run's submission.csv to its competition; recorded on the run.",
                StepRecord,
                request=KaggleSubmitRequest,
                status=201,
                errors=(400, 404, 502),
            ),
        ),
    ),
    Route(
        "/openapi.json",
        h.OpenApiHandler,
        (Operation("get", "This document.", None, errors=()),),
    ),
)


def tornado_handlers() -> list[tuple[str, type[h.MlestarHandler]]]:
    """The routes, then a catch-all under the prefix so that a wrong path is a JSON 404."""
    unknown = (url_path_join("/", *API_PREFIX) + "(?:/.*)?", h.UnknownRouteHandler)
    return [*((route.pattern(), route.handler) for route in ROUTES), unknown]
