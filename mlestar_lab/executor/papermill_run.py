"""One papermill execution inside the worker, described as an ExecutionResult.

Every way a notebook can go wrong that papermill can see (a cell raised, the kernel died, the
kernel could not start) becomes a status and a one-line reason here; nothing is raised for a fault
of the notebook.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any, ClassVar

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from papermill import execute_notebook
from papermill.exceptions import PapermillExecutionError

from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult, ExecutionStatus
from mlestar_lab.executor.outputs import (
    executed_path,
    find_artifacts,
    last_started_cell,
    locate,
    read_executed,
    signal_name,
    stdout_text,
    strip_ansi,
    tail,
)
from mlestar_lab.notebook.contract import PARAM_OUTPUT_DIR, parse_score
from mlestar_lab.store.models import ErrorInfo

_REASON_CHARS = 300


class ExitRecordingKernelManager(AsyncKernelManager):
    """A kernel manager that remembers how the kernel process ended.

    nbclient only says "Kernel died"; the exit status (a signal for `kill -9`, a code for
    `os._exit`) is what tells a crash from an out-of-memory kill. One worker runs one kernel, so
    a class-level record is enough.
    """

    last_exit_code: ClassVar[int | None] = None

    async def _async_is_alive(self) -> bool:
        alive = await super()._async_is_alive()
        if not alive and self.provisioner is not None:
            code = await self.provisioner.poll()
            if code is not None:
                ExitRecordingKernelManager.last_exit_code = code
        return alive

    is_alive = _async_is_alive


@dataclass(frozen=True)
class _Outcome:
    status: ExecutionStatus
    reason: str | None = None
    error: ErrorInfo | None = None


def _one_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:_REASON_CHARS]


def run(request: ExecutionRequest) -> ExecutionResult:
    """Execute the notebook with papermill and describe the outcome; never raises for notebook faults."""
    output_dir = request.output_dir
    parameters: dict[str, Any] = {**request.parameters, PARAM_OUTPUT_DIR: output_dir}
    started = time.monotonic()
    try:
        execute_notebook(
            request.notebook_path,
            str(executed_path(output_dir)),
            parameters=parameters,
            kernel_name=request.kernel_name,
            cwd=output_dir,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
            kernel_manager_class=ExitRecordingKernelManager,
            # Every output is collected by the time the last cell replies; a graceful shutdown
            # can only add a wait (up to 5 s when a kernel is slow to answer) and leave the
            # kernel's own subprocesses behind, while "immediate" kills its process group.
            shutdown_kernel="immediate",
        )
        outcome = _Outcome("ok")
    except PapermillExecutionError as exc:
        outcome = _cell_failure(exc, output_dir)
    except DeadKernelError:
        outcome = _dead_kernel(output_dir, ExitRecordingKernelManager.last_exit_code)
    except Exception as exc:
        outcome = _Outcome(
            "error",
            reason=f"{type(exc).__name__}: {_one_line(str(exc))}",
            error=ErrorInfo(ename=type(exc).__name__, evalue=str(exc), traceback=traceback.format_exc()),
        )
    return _result(outcome, output_dir, time.monotonic() - started)


def _cell_failure(exc: PapermillExecutionError, output_dir: str) -> _Outcome:
    location = locate(read_executed(output_dir), exc.cell_index)
    error = ErrorInfo(
        cell_index=exc.cell_index,
        block=location.block if location else None,
        ename=exc.ename,
        evalue=exc.evalue,
        traceback=strip_ansi("\n".join(exc.traceback)),
    )
    where = f" in {location.describe()}" if location else ""
    if exc.ename == "MemoryError":
        return _Outcome("killed", reason=f"out of memory: MemoryError{where}", error=error)
    message = f"{exc.ename}: {_one_line(exc.evalue)}" if exc.evalue.strip() else exc.ename
    return _Outcome("error", reason=f"{message}{where}", error=error)


def _dead_kernel(output_dir: str, exit_code: int | None) -> _Outcome:
    location = last_started_cell(read_executed(output_dir))
    where = f" in {location.describe()}" if location else ""
    if exit_code is not None and exit_code < 0:
        outcome: ExecutionStatus = "killed"
        reason = f"killed by signal {signal_name(-exit_code)}{where}"
    else:
        outcome = "error"
        how = f"exited with code {exit_code}" if exit_code is not None else "died"
        reason = f"the kernel {how}{where}"
    error = ErrorInfo(
        cell_index=location.index if location else None,
        block=location.block if location else None,
        ename="DeadKernelError",
        evalue=reason,
    )
    return _Outcome(outcome, reason=reason, error=error)


def _result(outcome: _Outcome, output_dir: str, runtime: float) -> ExecutionResult:
    stdout = stdout_text(read_executed(output_dir))
    artifacts = find_artifacts(output_dir)
    return ExecutionResult(
        status=outcome.status,
        reason=outcome.reason,
        error=outcome.error,
        score=parse_score(stdout) if outcome.status == "ok" else None,
        runtime=runtime,
        executed_notebook=artifacts.executed_notebook,
        submission_path=artifacts.submission_path,
        oof_path=artifacts.oof_path,
        test_predictions_path=artifacts.test_predictions_path,
        stdout_tail=tail(stdout),
    )
