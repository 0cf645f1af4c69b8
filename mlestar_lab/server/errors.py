"""The one translation from exceptions to HTTP answers, so every route fails the same way.

The store and the agent API raise the same errors for the CLI and the server; only here do they
become status codes. Anything not listed is a bug: a 500 whose traceback goes to the server log,
never to the client (it could quote paths or values the client must not see).

Malformed JSON and pydantic's `ValidationError` are turned into `BadRequest` where the request is
parsed (`request_model`), not here: the same exceptions raised while reading a corrupted run store
are the server's fault, not the client's.
"""

from __future__ import annotations

import json
from http.client import responses
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from tornado.web import HTTPError

from mlestar_lab.errors import RunNotFound, UserError
from mlestar_lab.kaggle.errors import KaggleNotFound, KaggleUnavailable
from mlestar_lab.store.decisions import DecisionConflict, DecisionNotFound
from mlestar_lab.store.store import StepNotFound, StoreConflict

M = TypeVar("M", bound=BaseModel)


class RunBusy(UserError):
    """The run's agent is alive, so it cannot be resumed (or is not, so it cannot be stopped)."""


class BadRequest(UserError):
    """A request the server cannot read: malformed JSON, a bad query argument, a path outside the root."""


class UnknownRoute(UserError):
    """A path under the API prefix that no route serves."""


NOT_FOUND = (RunNotFound, StepNotFound, DecisionNotFound, KaggleNotFound, UnknownRoute)
# Kaggle itself failed or the connection to it dropped: the request was fine, the upstream was not.
BAD_GATEWAY = (KaggleUnavailable,)
CONFLICT = (DecisionConflict, StoreConflict, RunBusy)


def translate(exc: BaseException) -> tuple[int, str] | None:
    """(status, message) for an error the client caused; None for a server bug."""
    if isinstance(exc, HTTPError):
        detail = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        return exc.status_code, detail or exc.reason or responses.get(exc.status_code, "error")
    if isinstance(exc, NOT_FOUND):
        return 404, str(exc)
    if isinstance(exc, CONFLICT):
        return 409, str(exc)
    if isinstance(exc, BAD_GATEWAY):
        return 502, str(exc)
    if isinstance(exc, UserError):
        return 400, str(exc)
    return None


def request_model(model: type[M], data: object) -> M:
    """`data` validated as `model`; a `BadRequest` naming each bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from None


def parse_json_object(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def validation_message(exc: ValidationError) -> str:
    """Name each bad field, e.g. `gates.merge: Input should be 'auto' or 'ask'`."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "invalid request: " + "; ".join(parts)
