"""Running one notebook in a child process and watching it from outside: `execute`.

The worker cannot enforce its own limits (a cell stuck in C code never yields, an allocation
spree can take the machine down), so the parent polls the whole process tree every 0.1 s and
SIGKILLs all of it on a time limit, a memory limit or a cancellation.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from mlestar_lab.errors import UserError
from mlestar_lab.executor.limits import PARENT_PID_VARIABLE, child_environment, secret_names
from mlestar_lab.executor.models import LOG_FILE, ExecutionRequest, ExecutionResult, ExecutionStatus
from mlestar_lab.executor.outputs import (
    find_artifacts,
    last_started_cell,
    log_tail,
    read_executed,
    signal_name,
    stdout_text,
    tail,
)
from mlestar_lab.executor.spares import SparePool
from mlestar_lab.executor.tree import ProcessTree
from mlestar_lab.fsutil import atomic_write_json
from mlestar_lab.notebook.contract import EXECUTED_NOTEBOOK, OOF_FILE, SUBMISSION_FILE, TEST_PREDICTIONS_FILE
from mlestar_lab.store.models import ErrorInfo

POLL_SECONDS = 0.1
REQUEST_FILE = "executor_request.json"
RESULT_FILE = "executor_result.json"
# Files a previous execution in the same folder may have left; a stale submission must never be
# mistaken for the output of this run.
_OUTPUT_FILES = (EXECUTED_NOTEBOOK, SUBMISSION_FILE, OOF_FILE, TEST_PREDICTIONS_FILE, RESULT_FILE)


class ExecutionRequestError(UserError):
    """A request the executor refuses to run; the message says what to fix."""


@dataclass(frozen=True)
class _Verdict:
    """Why the parent stopped the worker."""

    status: ExecutionStatus
    reason: str
    ename: str | None


def execute(
    request: ExecutionRequest, cancel: threading.Event | None = None, spares: SparePool | None = None
) -> ExecutionResult:
    """Run one notebook in its own process tree and wait for the outcome; thread-safe.

    With `spares`, a worker started ahead of time for this kind of request runs it when one is
    ready. Setting `cancel` kills the tree and yields status "killed" with reason "cancelled".
    Every process the notebook started is killed when this returns, whatever the outcome.
    """
    request = check_request(request)
    output_dir = Path(request.output_dir)
    clear_outputs(output_dir)
    if cancel is not None and cancel.is_set():
        return ExecutionResult(status="killed", reason="cancelled")
    request_file, result_file = output_dir / REQUEST_FILE, output_dir / RESULT_FILE
    atomic_write_json(request_file, request.model_dump(mode="json"))
    spare = spares.take(request) if spares is not None else None
    started = time.monotonic()
    with open(output_dir / LOG_FILE, "wb") as log:
        worker = spare.hand_over(request_file, result_file) if spare is not None else None
        if worker is None:
            spare = None
            worker = _start_worker(request, request_file, result_file, log)
    tree = ProcessTree(worker.pid)
    try:
        if spares is not None:
            spares.replenish(request)
        verdict, peak_mb = _watch(worker, tree, request, cancel, started)
    finally:
        tree.kill()
        worker.wait()
        if spare is not None:
            spare.merge_log(output_dir / LOG_FILE)
    runtime = time.monotonic() - started
    if verdict is None and worker.returncode < 0:
        verdict = _Verdict("killed", f"killed by signal {signal_name(-worker.returncode)}", "Killed")
    if verdict is not None:
        return _stopped(verdict, output_dir, runtime, peak_mb)
    return _reported(result_file, output_dir, worker.returncode, runtime, peak_mb)


def _start_worker(
    request: ExecutionRequest, request_file: Path, result_file: Path, log: BinaryIO
) -> subprocess.Popen[bytes]:
    env = child_environment(request.env, default_threads=os.cpu_count() or 1)
    env[PARENT_PID_VARIABLE] = str(os.getpid())
    command = [sys.executable, "-m", "mlestar_lab.executor.worker", str(request_file), str(result_file)]
    return subprocess.Popen(
        command,
        cwd=request.output_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def clear_outputs(output_dir: Path) -> None:
    for name in _OUTPUT_FILES:
        (output_dir / name).unlink(missing_ok=True)


def check_request(request: ExecutionRequest) -> ExecutionRequest:
    """The request with absolute paths and its output folder created; refused with what to fix."""
    notebook = Path(request.notebook_path).expanduser().resolve()
    output_dir = Path(request.output_dir).expanduser().resolve()
    if not notebook.is_file():
        raise ExecutionRequestError(f"notebook not found: {notebook}; pass the path of an existing .ipynb")
    if notebook.parent == output_dir and notebook.name in _OUTPUT_FILES:
        raise ExecutionRequestError(
            f"{notebook} is where the executor writes its output; run a copy from another name"
        )
    if request.timeout <= 0:
        raise ExecutionRequestError(f"timeout must be a positive number of seconds, not {request.timeout}")
    if request.memory_limit_mb is not None and request.memory_limit_mb <= 0:
        raise ExecutionRequestError(
            f"memory_limit_mb must be positive or None, not {request.memory_limit_mb}"
        )
    secrets = secret_names(request.env)
    if secrets:
        raise ExecutionRequestError(
            f"request env carries secrets ({', '.join(secrets)}); notebooks must never see keys or tokens"
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    return request.model_copy(update={"notebook_path": str(notebook), "output_dir": str(output_dir)})


def _watch(
    worker: subprocess.Popen[bytes],
    tree: ProcessTree,
    request: ExecutionRequest,
    cancel: threading.Event | None,
    started: float,
) -> tuple[_Verdict | None, float | None]:
    """Poll until the worker exits (verdict None) or must be stopped; also the peak tree RSS."""
    peak: float | None = None
    limit = request.memory_limit_mb
    while worker.poll() is None:
        if cancel is not None and cancel.is_set():
            return _Verdict("killed", "cancelled", None), peak
        if time.monotonic() - started > request.timeout:
            reason = f"exceeded the {request.timeout:g} s time limit"
            return _Verdict("timeout", reason, "TimeoutError"), peak
        used = tree.rss_mb()
        peak = used if peak is None else max(peak, used)
        if limit is not None and used > limit:
            reason = f"out of memory: used {used:,.0f} MiB, limit {limit:,} MiB"
            return _Verdict("killed", reason, "MemoryError"), peak
        # Returns as soon as the worker exits: a finished notebook costs no polling delay.
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(POLL_SECONDS)
    return None, peak


def _stopped(verdict: _Verdict, output_dir: Path, runtime: float, peak_mb: float | None) -> ExecutionResult:
    """The result of a worker that did not finish on its own, from the notebook it left behind."""
    nb = read_executed(output_dir)
    location = last_started_cell(nb)
    reason = verdict.reason
    error = None
    if verdict.ename is not None:
        if location is not None:
            reason = f"{reason} in {location.describe()}"
        error = ErrorInfo(
            cell_index=location.index if location else None,
            block=location.block if location else None,
            ename=verdict.ename,
            evalue=reason,
        )
    return ExecutionResult(
        status=verdict.status,
        reason=reason,
        error=error,
        runtime=runtime,
        executed_notebook=find_artifacts(output_dir).executed_notebook,
        peak_memory_mb=peak_mb,
        stdout_tail=tail(stdout_text(nb)),
    )


def _reported(
    result_file: Path, output_dir: Path, returncode: int, runtime: float, peak_mb: float | None
) -> ExecutionResult:
    """The worker's own account, with the parent's runtime and memory; a crash if there is none."""
    try:
        result = ExecutionResult.model_validate_json(result_file.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        reason = f"the executor worker exited with code {returncode} without a result: {log_tail(output_dir)}"
        return ExecutionResult(
            status="error",
            reason=reason,
            runtime=runtime,
            executed_notebook=find_artifacts(output_dir).executed_notebook,
            peak_memory_mb=peak_mb,
        )
    return result.model_copy(update={"runtime": runtime, "peak_memory_mb": peak_mb})
