"""One papermill execution inside the worker, described as an ExecutionResult.

Every way a notebook can go wrong that papermill can see (a cell raised, the kernel died, the
kernel could not start) becomes a status and a one-line reason here; nothing is raised for a fault
of the notebook.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Any

from nbclient.exceptions import DeadKernelError
from papermill import execute_notebook
from papermill.exceptions import PapermillExecutionError

from mlestar_lab.executor.kernel import WorkerKernelManager, is_start_failure
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult, ExecutionStatus
from mlestar_lab.executor.outputs import (
    executed_path,
    find_artifacts,
    last_started_cell,
    locate,
    log_tail,
    read_executed,
    signal_name,
    stdout_text,
    strip_ansi,
    tail,
)
from mlestar_lab.executor.prepared import PreparedKernel
from mlestar_lab.notebook.contract import PARAM_OUTPUT_DIR, parse_score
from mlestar_lab.store.models import ErrorInfo

_REASON_CHARS = 300
START_ATTEMPTS = 3
START_BACKOFF_SECONDS = 0.5


@dataclass(frozen=True)
class _Outcome:
    status: ExecutionStatus
    reason: str | None = None
    error: ErrorInfo | None = None
    start_failed: bool = False


def _one_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:_REASON_CHARS]


def run(request: ExecutionRequest, kernel: PreparedKernel | None = None) -> ExecutionResult:
    """Execute the notebook with papermill and describe the outcome; never raises for notebook faults.

    A prepared `kernel` (started ahead of time by a standby worker) is used by the first attempt.
    A kernel that dies before it answers has run no cell, so its start is retried (with a short
    backoff) before the notebook is reported as failed.
    """
    output_dir = request.output_dir
    started = time.monotonic()
    for attempt in range(1, START_ATTEMPTS + 1):
        outcome = _execute_once(request, kernel if attempt == 1 else None)
        if not outcome.start_failed or attempt == START_ATTEMPTS:
            break
        time.sleep(START_BACKOFF_SECONDS * attempt)
    if outcome.start_failed:
        outcome = _Outcome(
            "error",
            reason=f"the kernel did not start ({START_ATTEMPTS} attempts): {outcome.reason}; "
            f"log: {log_tail(output_dir)}",
            error=outcome.error,
        )
    return _result(outcome, output_dir, time.monotonic() - started)


def _execute_once(request: ExecutionRequest, kernel: PreparedKernel | None) -> _Outcome:
    if kernel is None:
        with tempfile.TemporaryDirectory(prefix="mlestar-kernel-") as sockets:
            WorkerKernelManager.socket_dir = sockets
            WorkerKernelManager.last_exit_code = None
            return _papermill(request, {"kernel_manager_class": WorkerKernelManager})
    try:
        try:
            kernel.move_to(request.output_dir)
        except Exception as exc:
            # Nothing of the notebook has run: the next attempt starts a kernel the ordinary way.
            reason = f"the prepared kernel was not usable: {type(exc).__name__}: {_one_line(str(exc))}"
            return _Outcome("error", reason=reason, start_failed=True)
        return _papermill(request, {"km": kernel.manager})
    finally:
        kernel.shutdown()


def _papermill(request: ExecutionRequest, kernel_options: dict[str, Any]) -> _Outcome:
    parameters: dict[str, Any] = {**request.parameters, PARAM_OUTPUT_DIR: request.output_dir}
    try:
        execute_notebook(
            request.notebook_path,
            str(executed_path(request.output_dir)),
            parameters=parameters,
            kernel_name=request.kernel_name,
            cwd=request.output_dir,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
            # Every output is collected by the time the last cell replies; a graceful shutdown
            # can only add a wait (up to 5 s when a kernel is slow to answer) and leave the
            # kernel's own subprocesses behind, while "immediate" kills its process group.
            shutdown_kernel="immediate",
            **kernel_options,
        )
    except PapermillExecutionError as exc:
        return _cell_failure(exc, request.output_dir)
    except DeadKernelError:
        return _dead_kernel(request.output_dir, WorkerKernelManager.last_exit_code)
    except Exception as exc:
        return _Outcome(
            "error",
            reason=f"{type(exc).__name__}: {_one_line(str(exc))}",
            error=ErrorInfo(ename=type(exc).__name__, evalue=str(exc), traceback=traceback.format_exc()),
            start_failed=is_start_failure(exc),
        )
    return _Outcome("ok")


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
