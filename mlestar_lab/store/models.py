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
# Where the loop may stop for a user's decision; each is "auto" or "ask" per run.
Gate = Literal["retrieval", "candidate", "merge", "ablation", "refinement", "ensemble", "submission"]
GATES: tuple[str, ...] = (
    "retrieval",
    "candidate",
    "merge",
    "ablation",
    "refinement",
    "ensemble",
    "submission",
)
GateMode = Literal["auto", "ask"]
DecisionStatus = Literal["pending", "approved", "rejected", "edited"]
DecisionAction = Literal["approve", "reject", "edit"]
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


class DecisionAnswer(BaseModel):
    """A user's answer. `reason` reaches later plans; an edit carries what the gate lets one change:
    `code` (with `block`) for a notebook step, `block` for the ablation's choice, `families` for
    the retrieval shortlist, `step_id` for the submission."""

    action: DecisionAction
    reason: str | None = None
    plan: str | None = None
    code: str | None = None
    block: str | None = None
    families: list[str] | None = None
    step_id: int | None = None
    by: str = "user"


class Decision(BaseModel):
    """A pending or answered question of a gate. `request` holds everything needed to judge it
    (title, plan, diff, scores, checker findings) and `editable`, the edit fields it accepts."""

    id: int | None = None
    run_id: str
    key: str = Field(description="Deterministic within the run (the gated step's key); replay finds it.")
    gate: Gate
    step_id: int | None = None
    status: DecisionStatus = "pending"
    title: str = ""
    request: dict[str, Any] = Field(default_factory=dict)
    answer: DecisionAnswer | None = None
    created_at: float = 0.0
    answered_at: float | None = None
