"""Candidates on a Dask distributed cluster: `DaskExecutor`, a drop-in for `ExecutorPool`.

Each candidate is one Dask task that runs the notebook on a worker with the same `execute` as on
one machine (its own process tree, time and memory limits). Task data is read in place when the
workers share the agent's storage, and otherwise shipped once per worker; the executed notebook,
predictions and submission come back into the candidate's output folder, so the run store sees
the same files as with the local pool.

A worker that dies takes its candidate with it. The candidate is started once more on another
worker (by the scheduler, or by this client when the scheduler's own `allowed-failures` gave up
first) and after a second death it is reported as killed; the run goes on either way.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from mlestar_lab.executor.backend import NotebookExecutor
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.outputs import find_artifacts
from mlestar_lab.executor.process import ExecutionRequestError, check_request, clear_outputs
from mlestar_lab.executor.remote.bundle import digest, pack, unpack
from mlestar_lab.executor.remote.task import MAX_STARTS, Payload, Reply, run_candidate, sha256_of
from mlestar_lab.store.models import ErrorInfo

DataMode = Literal["auto", "ship", "shared"]
DATA_MODES: tuple[DataMode, ...] = ("auto", "ship", "shared")
CONNECT_TIMEOUT_SECONDS = 30.0
log = logging.getLogger(__name__)


def import_distributed() -> Any:
    """`distributed`, imported only when a Dask executor is asked for (it is an optional extra)."""
    try:
        import distributed
    except ImportError as exc:
        raise ExecutionRequestError(
            "the Dask executor needs the `distributed` package: pip install 'mlestar-lab[dask]'"
        ) from exc
    return distributed


class DaskExecutor(NotebookExecutor):
    """Runs notebooks on the Dask cluster at `scheduler` (tcp://HOST:PORT); a context manager.

    `workers` is the number of notebooks the cluster runs at once (its worker threads).
    `data`: "shared" when every worker sees the agent's folders under the same paths, "ship" to
    send the task data along, "auto" to read in place where possible and ship otherwise.
    """

    def __init__(self, scheduler: str, data: DataMode = "auto", timeout: float | None = None) -> None:
        timeout = CONNECT_TIMEOUT_SECONDS if timeout is None else timeout
        if data not in DATA_MODES:
            raise ExecutionRequestError(f"unknown data mode {data!r}; use one of {', '.join(DATA_MODES)}")
        distributed = import_distributed()
        self._distributed = distributed
        try:
            self._client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except OSError as exc:
            raise ExecutionRequestError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}; start one with `dask scheduler` "
                "and workers with `dask worker <address>`, then pass its address"
            ) from exc
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError as exc:
            self._client.close()
            raise ExecutionRequestError(
                f"no Dask worker joined the scheduler at {scheduler} within {timeout:g} s; "
                f"start workers with `dask worker {scheduler}`"
            ) from exc
        nthreads = {
            address: info["nthreads"] for address, info in self._client.scheduler_info()["workers"].items()
        }
        cpus = self._client.run(os.cpu_count)
        self.scheduler = scheduler
        self.workers = sum(nthreads.values())
        self.threads_per_notebook = min(max(1, (cpus.get(a) or 1) // n) for a, n in nthreads.items())
        self._ship = data == "ship"
        self._data = data
        self._threads = ThreadPoolExecutor(
            max_workers=max(4, 2 * self.workers), thread_name_prefix="mlestar-dask"
        )
        self._lock = threading.Lock()
        self._shipped: dict[str, Any] = {}
        self._cancel_events: set[str] = set()
        self._cancelled_events: set[str] = set()

    def submit(self, request: ExecutionRequest) -> Future[ExecutionResult]:
        return self._threads.submit(self._run, request)

    def map(self, requests: Iterable[ExecutionRequest]) -> list[ExecutionResult]:
        """Run all requests on the cluster; results in the order of `requests`."""
        futures = [self.submit(request) for request in requests]
        try:
            return [future.result() for future in futures]
        except BaseException:
            self.cancel_all()
            raise

    def cancel_all(self) -> None:
        """Kill every running notebook (within about a second) and every queued one."""
        with self._lock:
            names = list(self._cancel_events)
            self._cancelled_events.update(names)
        for name in names:
            self._distributed.Event(name, client=self._client).set()

    def shutdown(self, wait: bool = True) -> None:
        self._threads.shutdown(wait=wait)
        self._client.close()

    # -- one candidate -------------------------------------------------------------------------

    def _run(self, request: ExecutionRequest) -> ExecutionResult:
        request = check_request(request)
        clear_outputs(Path(request.output_dir))
        cancel_event = f"mlestar-cancel-{uuid.uuid4().hex}"
        with self._lock:
            self._cancel_events.add(cancel_event)
        try:
            return self._run_until_done(request, self._payload(request, cancel_event))
        finally:
            with self._lock:
                self._cancel_events.discard(cancel_event)
                self._cancelled_events.discard(cancel_event)

    def _cancelled(self, cancel_event: str) -> bool:
        with self._lock:
            return cancel_event in self._cancelled_events

    def _run_until_done(self, request: ExecutionRequest, payload: Payload) -> ExecutionResult:
        starts: list[str] = []
        while True:
            key = f"mlestar-candidate-{uuid.uuid4().hex}"
            bundles = self._bundles(payload["paths"]) if self._ship else {}
            task = {**payload, "key": key, "previous_starts": starts}
            future = self._client.submit(run_candidate, task, bundles, key=key, pure=False)
            try:
                reply: Reply = future.result()
            except self._distributed.KilledWorker:
                # The scheduler's allowed-failures ran out before ours: start it again here.
                recorded = self._client.get_metadata(key, default=[]) or ["an unknown worker"]
                starts = [*starts, *recorded]
                if len(starts) >= MAX_STARTS:
                    return _lost(starts)
                log.warning(
                    "Dask worker %s died running %s; starting it again", starts[-1], request.notebook_path
                )
                continue
            except CancelledError:
                if self._cancelled(payload["cancel_event"]):
                    return ExecutionResult(status="killed", reason="cancelled")
                return _failed("the Dask scheduler dropped the task (is it still running?)")
            except Exception as exc:
                # A fault of the cluster or of this package on the worker, not of the notebook:
                # the candidate fails with the reason and the run goes on.
                return _failed(f"the Dask task failed: {type(exc).__name__}: {exc}")
            if reply["outcome"] == "need_data":
                # "auto" found no shared storage on that worker: ship from now on.
                self._ship = True
                continue
            if reply["outcome"] == "lost":
                return _lost(reply["starts"])
            return self._collect(request, reply)

    def _payload(self, request: ExecutionRequest, cancel_event: str) -> Payload:
        notebook = Path(request.notebook_path)
        output_dir = Path(request.output_dir)
        paths = {
            path: [digest(Path(path)), "file" if Path(path).is_file() else "dir"]
            for path in _paths_in(request.parameters)
            if not Path(path).resolve().is_relative_to(output_dir)
        }
        return {
            "notebook_path": str(notebook),
            "notebook": notebook.read_bytes(),
            "notebook_sha256": sha256_of(notebook),
            "output_dir": str(output_dir),
            "parameters": request.parameters,
            "paths": paths,
            "timeout": request.timeout,
            "memory_limit_mb": request.memory_limit_mb,
            "kernel_name": request.kernel_name,
            "env": request.env,
            "data": self._data,
            "cancel_event": cancel_event,
        }

    def _bundles(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        """Scattered bundles by digest; each version of a folder is packed and sent only once."""
        bundles = {}
        for path, (name, _) in paths.items():
            with self._lock:
                if name not in self._shipped:
                    self._shipped[name] = self._client.scatter(pack(Path(path)), hash=False)
                bundles[name] = self._shipped[name]
        return bundles

    def _collect(self, request: ExecutionRequest, reply: Reply) -> ExecutionResult:
        """The worker's result with this machine's paths, after unpacking shipped output files."""
        result = ExecutionResult.model_validate(reply["result"])
        output_dir = Path(request.output_dir)
        if reply["files"] is not None:
            unpack(reply["files"], output_dir)
        artifacts = find_artifacts(output_dir)
        starts = reply["starts"]
        if len(starts) > 1:
            log.warning(
                "%s ran again on Dask worker %s after %s died", request.notebook_path, starts[-1], starts[0]
            )
        return result.model_copy(
            update={
                "executed_notebook": artifacts.executed_notebook,
                "submission_path": artifacts.submission_path if result.submission_path else None,
                "oof_path": artifacts.oof_path if result.oof_path else None,
                "test_predictions_path": artifacts.test_predictions_path
                if result.test_predictions_path
                else None,
                "starts": starts,
            }
        )


def _paths_in(parameters: dict[str, Any]) -> list[str]:
    """Parameter values (or list items) that name an existing absolute path on this machine."""
    found: list[str] = []
    for value in parameters.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and os.path.isabs(item) and os.path.exists(item):
                found.append(item)
    return found


def _failed(reason: str) -> ExecutionResult:
    return ExecutionResult(status="error", reason=reason, error=ErrorInfo(ename="DaskError", evalue=reason))


def _lost(starts: list[str]) -> ExecutionResult:
    where = ", then ".join(starts)
    reason = f"the Dask worker running it died {len(starts)} times ({where}); not started again"
    return ExecutionResult(
        status="killed", reason=reason, error=ErrorInfo(ename="WorkerDied", evalue=reason), starts=starts
    )
