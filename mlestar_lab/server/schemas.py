"""The request and response bodies of the REST API, as pydantic models.

They exist so that validation, the OpenAPI document and the TypeScript mirror in
`labextension/src/api.ts` all derive from one definition: the handlers serialise through them and
`openapi.py` generates its schemas from them, so the three cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlestar_lab.kaggle.download import CompetitionInfo
from mlestar_lab.kaggle.status import KaggleStatus
from mlestar_lab.store.models import Decision, Event, GateMode, RunRecord, StepRecord


class CreateRunRequest(BaseModel):
    """A new run; unset fields fall back to the extension's configured defaults."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="Competition folder, relative to the server root.", min_length=1)
    time_budget: str | float | None = Field(default=None, description="Seconds, or e.g. '90s', '5m', '1.5h'.")
    gates: str | dict[str, GateMode] | None = Field(
        default=None, description="'ask', 'auto', 'ablation=ask,merge=auto' or {gate: 'ask'|'auto'}."
    )
    workers: int | None = Field(default=None, ge=1)
    seed: int | None = None
    strategist: str | None = None
    model: str | None = None
    models: int | None = Field(default=None, ge=1)
    outer_steps: int | None = Field(default=None, ge=0)
    inner_steps: int | None = Field(default=None, ge=0)
    ensemble_rounds: int | None = Field(default=None, ge=0)
    notebook_timeout: str | float | None = None
    memory_limit_mb: int | None = Field(default=None, ge=64)
    max_tokens: int | None = Field(default=None, gt=0, description="Cap on the run's model tokens.")
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Cap on the estimated model cost, US$."
    )
    scheduler: str | None = Field(
        default=None,
        description="A Dask scheduler (tcp://HOST:PORT) to run the notebooks on; '' runs them here.",
    )
    dask_data: Literal["auto", "ship", "shared"] | None = Field(
        default=None, description="How Dask workers get the task data: read in place, shipped, or auto."
    )


class ErrorResponse(BaseModel):
    message: str


class RunList(BaseModel):
    runs: list[RunRecord]


class RunDetail(BaseModel):
    """`mlestar_lab.report.run_report` (what `mlestar show` prints) plus liveness and decisions."""

    run: RunRecord
    alive: bool = Field(description="Whether an agent process is executing the run right now.")
    stages: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    retrieval: list[dict[str, Any]]
    ablations: list[dict[str, Any]]
    ensembles: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    submission: dict[str, Any] | None
    model_use: list[dict[str, Any]] = Field(description="Tokens and estimated cost per stage.")
    sources: list[dict[str, str]] = Field(description="Web pages retrieval was grounded on.")
    kaggle: KaggleStatus = Field(description="The run's last Kaggle push and submission, as last recorded.")
    pending_decisions: list[Decision]


class StepDetail(BaseModel):
    step: StepRecord
    notebook: str | None = Field(
        description="The executed notebook relative to the server root (None when outside it or not run)."
    )


class DecisionList(BaseModel):
    decisions: list[Decision]


class TaskFolder(BaseModel):
    path: str = Field(description="Relative to the server root, '/'-separated; POST runs takes it as `task`.")
    name: str
    train_file: str
    sample_submission_file: str
    test_file: str | None = None
    has_description: bool = False


class TaskList(BaseModel):
    tasks: list[TaskFolder]


class EventPage(BaseModel):
    events: list[Event]
    last_seq: int = Field(description="Pass as `since` next time: every event up to it has been seen.")


class Snapshot(BaseModel):
    """Everything a reconnecting client needs; then follow events from `last_seq`."""

    runs: list[RunRecord]
    pending_decisions: list[Decision]
    last_seq: int


class KaggleDownloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    competition: str = Field(description="The competition's slug or URL.", min_length=1)
    dir: str | None = Field(default=None, description="Target folder under the root (default: the slug).")
    force: bool = False


class KaggleDownload(BaseModel):
    task: str = Field(
        description="The task folder relative to the server root; POST runs takes it as `task`."
    )
    competition: CompetitionInfo
    files: list[str]
    problems: list[str]


class KagglePullRequest(BaseModel):
    """A public notebook as an initial candidate of a new run, which starts at once."""

    model_config = ConfigDict(extra="forbid")

    kernel: str = Field(description="OWNER/KERNEL or its URL.", min_length=1)
    task: str | None = Field(default=None, description="Task folder under the root (default: download it).")
    score_variable: str | None = None
    time_budget: str | float | None = None
    gates: str | dict[str, GateMode] | None = None


class KagglePushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: bool = False
    gpu: bool = False
    step_id: int | None = Field(default=None, description="Push this solution instead of the submitted one.")
    competition: str | None = None


class KaggleSubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str | None = None
    competition: str | None = None
