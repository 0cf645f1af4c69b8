"""What the executor is asked to run and what it reports back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mlestar_lab.store.models import ErrorInfo

ExecutionStatus = Literal["ok", "error", "timeout", "killed"]
# The worker's stdout and stderr, which the kernel process inherits. Defined here, not beside the
# output parsing: the worker needs the name before it may import nbformat (see worker.py).
LOG_FILE = "executor.log"


class ExecutionRequest(BaseModel):
    """One notebook to execute in its own OS process.

    `parameters` are injected by papermill after the cell tagged `parameters`; `OUTPUT_DIR` is
    always set to `output_dir`. `timeout` is wall-clock seconds for the whole notebook;
    `memory_limit_mb` caps the resident memory of the whole process tree (kernel included).
    """

    notebook_path: str
    output_dir: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    timeout: float = 600.0
    memory_limit_mb: int | None = 4096
    kernel_name: str = "python3"
    env: dict[str, str] = Field(default_factory=dict)


class ExecutionResult(BaseModel):
    status: ExecutionStatus
    reason: str | None = Field(default=None, description="One line: why it did not finish ok.")
    error: ErrorInfo | None = None
    score: float | None = None
    runtime: float = 0.0
    executed_notebook: str | None = None
    submission_path: str | None = None
    oof_path: str | None = None
    test_predictions_path: str | None = None
    peak_memory_mb: float | None = None
    stdout_tail: str = ""
    starts: list[str] = Field(
        default_factory=list,
        description="Dask workers that started it, in order: two when the first one died under it.",
    )
