"""The OpenAPI 3.1 document of the REST API, generated from the route table and pydantic models.

Component schemas come from `model_json_schema` (OpenAPI 3.1 uses JSON Schema 2020-12, which is
what pydantic emits), so the document cannot disagree with what the handlers validate and send.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mlestar_lab import __version__
from mlestar_lab.server.routes import API_PREFIX, ROUTES, Operation, Route
from mlestar_lab.server.schemas import ErrorResponse

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "Bad input (body, query or path); `message` says what to fix.",
    401: "Not authenticated.",
    403: "Not authenticated or forbidden.",
    404: "Unknown run, step or decision; on Kaggle routes, no such competition or kernel on Kaggle.",
    409: "Conflict: already answered, already running, or not running.",
    502: "Kaggle failed or the connection to it dropped; retrying later may work.",
}


def openapi_document(base_url: str = "/") -> dict[str, Any]:
    models = _models()
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    prefix = url_path_join(base_url, *API_PREFIX)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mlestar-lab server extension", "version": __version__},
        "servers": [{"url": prefix}],
        "paths": {route.path: _path_item(route) for route in ROUTES},
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"token": []}],
    }


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorResponse": ErrorResponse}
    for route in ROUTES:
        for op in route.operations:
            for model in (op.request, op.response):
                if model is not None:
                    found[model.__name__] = model
    return list(found.values())


def _path_item(route: Route) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": _param_type(name)}}
        for name in _path_params(route.path)
    ]
    return {op.method: _operation(op, params) for op in route.operations}


def _operation(op: Operation, params: list[dict[str, Any]]) -> dict[str, Any]:
    query = [
        {
            "name": q.name,
            "in": "query",
            "required": False,
            "description": q.description,
            "schema": {"type": q.type},
        }
        for q in op.query
    ]
    ok: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(op.response)}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status in sorted({*op.errors, 403}):
        responses[str(status)] = {
            "description": ERRORS[status],
            "content": {"application/json": {"schema": _ref(ErrorResponse)}},
        }
    item: dict[str, Any] = {"summary": op.summary, "parameters": params + query, "responses": responses}
    if op.request is not None:
        item["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.request)}},
        }
    return item


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _param_type(name: str) -> str:
    return "integer" if name.endswith("_id") and name != "run_id" else "string"
