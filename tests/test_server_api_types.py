"""labextension/src/api.ts mirrors the pydantic models field for field and literal for literal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from mlestar_lab.kaggle.download import CompetitionInfo
from mlestar_lab.kaggle.status import KaggleStatus
from mlestar_lab.server import schemas
from mlestar_lab.store import models

API_TS = Path(__file__).resolve().parents[1] / "labextension" / "src" / "api.ts"
REQUESTS = {
    "DecisionAnswer": models.DecisionAnswer,
    "CreateRunRequest": schemas.CreateRunRequest,
    "KaggleDownloadRequest": schemas.KaggleDownloadRequest,
    "KagglePullRequest": schemas.KagglePullRequest,
    "KagglePushRequest": schemas.KagglePushRequest,
    "KaggleSubmitRequest": schemas.KaggleSubmitRequest,
}
RESPONSES = {
    m.__name__: m
    for m in (
        models.RunRecord,
        models.StepRecord,
        models.Event,
        models.Decision,
        models.Finding,
        models.ErrorInfo,
        schemas.ErrorResponse,
        schemas.RunList,
        schemas.RunDetail,
        schemas.StepDetail,
        schemas.DecisionList,
        schemas.TaskFolder,
        schemas.TaskList,
        schemas.EventPage,
        schemas.Snapshot,
        schemas.KaggleDownload,
        CompetitionInfo,
        KaggleStatus,
    )
}
LITERALS = (
    "RunStatus",
    "Stage",
    "StepStatus",
    "DecidedBy",
    "Gate",
    "GateMode",
    "DecisionStatus",
    "DecisionAction",
    "Severity",
)


def interfaces(text: str) -> dict[str, dict[str, bool]]:
    """Interface name → {field: optional?} from `export interface X { ... }` blocks."""
    found = {}
    for name, body in re.findall(r"export interface (\w+) \{(.*?)\n\}", text, re.S):
        fields = re.findall(r"^  (\w+)(\??):", body, re.M)
        found[name] = {field: mark == "?" for field, mark in fields}
    return found


def literal_unions(text: str) -> dict[str, set[str]]:
    return {
        name: set(re.findall(r"'([^']*)'", union))
        for name, union in re.findall(r"export type (\w+) =(.*?);", text, re.S)
    }


@pytest.fixture(scope="module")
def api_text() -> str:
    return API_TS.read_text(encoding="utf-8")


def test_every_model_has_an_interface_and_nothing_else_is_declared(api_text: str) -> None:
    assert set(interfaces(api_text)) == set(REQUESTS) | set(RESPONSES)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_interfaces_carry_every_field(api_text: str, name: str) -> None:
    model: type[BaseModel] = RESPONSES[name]
    fields = interfaces(api_text)[name]
    assert list(fields) == list(model.model_fields), f"{name} fields differ (order included)"
    assert not any(fields.values()), f"{name}: a response always carries every field; drop the '?'"


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_request_interfaces_mark_exactly_the_optional_fields(api_text: str, name: str) -> None:
    model: type[BaseModel] = REQUESTS[name]
    fields = interfaces(api_text)[name]
    assert list(fields) == list(model.model_fields)
    optional = {f: not info.is_required() for f, info in model.model_fields.items()}
    assert fields == optional


@pytest.mark.parametrize("name", LITERALS)
def test_literal_unions_match(api_text: str, name: str) -> None:
    assert literal_unions(api_text)[name] == set(get_args(getattr(models, name)))
