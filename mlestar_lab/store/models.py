"""The records every front end reads: runs, steps and events (schema version 1).

These models are the contract between the agent, the CLI, the server extension, the
JupyterLab panel (mirrored in TypeScript) and the ipywidgets panel. Change them only by adding
optional fields, and bump `SCHEMA_VERSION` when a field changes meaning.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1

RunStatus = Literal["created", "running", "finished", "failed", "interrupted", "stopped"]
Stage = Literal["task", "retrieval", "candidate", "merge", "ablation", "refinement", "ensemble", "submission"]
StepStatus = Literal[
    "pending",  # recorded, not started
    "running",  # executing now (or was, when the agent died)
    "ok",  # executed, scored
    "error",  # a cell raised (after the debugger gave up)
    "timeout",  # wall-clock limit reached
    "killed",  # out of memory or killed by a signal
    "rejected",  # stopped by a checker or a user before it ran
    "skipped",  # not run: out of budget, or made redundant
]
FINISHED_STEP_STATUSES: frozenset[str] = frozenset(
    {"ok", "error", "timeout", "killed", "rejected", "skipped"}
)
DecidedBy = Literal["auto", "user-approved", "user-rejected", "user-edited"]
Severity = Literal["error", "warning", "info"]


class Finding(BaseModel):
    """One observation of a checker (leakage, data usage, submission, score check)."""

    checker: str
    severity: Severity
    message: str
    block: str | None = None
    line: int | None = None


class ErrorInfo(BaseModel):
    """Why an execution failed: the cell and block that raised and the exception."""

    cell_index: int | None = None
    block: str | None = None
    ename: str = ""
    evalue: str = ""
    traceback: str = ""


class RunRecord(BaseModel):
    id: str
    task_name: str
    task_dir: str
    run_dir: str
    strategist: str
    model: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    status: RunStatus = "created"
    stage: Stage | None = None
    budget_seconds: float | None = None
    elapsed_seconds: float = 0.0
    metric: str = ""
    higher_is_better: bool = True
    best_score: float | None = None
    best_step_id: int | None = None
    submission_path: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    schema_version: int = SCHEMA_VERSION


class StepRecord(BaseModel):
    id: int | None = None
    run_id: str
    key: str = Field(description="Deterministic name of the step within its run; replay looks it up.")
    parent_id: int | None = None
    stage: Stage
    title: str = ""
    block: str | None = None
    block_kind: str | None = None
    plan: str = ""
    diff: str = ""
    status: StepStatus = "pending"
    score: float | None = None
    delta: float | None = Field(
        default=None, description="Score change against the parent, signed so that > 0 is better."
    )
    runtime: float | None = None
    notebook_path: str | None = None
    output_dir: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    error: ErrorInfo | None = None
    reason: str | None = None
    info: dict[str, Any] = Field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0
    decided_by: DecidedBy = "auto"
    decision_reason: str | None = None
    attempt: int = 0
    created_at: float = 0.0
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STEP_STATUSES


class Event(BaseModel):
    seq: int
    time: float
    run_id: str
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict)
