"""Running several notebooks at once: `ExecutorPool`.

Each notebook already runs in its own OS process tree (see `execute`), so the pool only needs
threads in the parent to wait on them; the cores are shared out by giving every notebook an equal
slice of BLAS/OpenMP threads. While notebooks run, the pool keeps one spare worker per slot
started ahead of time (see `spares.py`), so the next notebook does not wait for a Python start,
the papermill imports and a kernel start.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from mlestar_lab.executor.backend import NotebookExecutor
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.process import ExecutionRequestError, execute
from mlestar_lab.executor.spares import SparePool


class ExecutorPool(NotebookExecutor):
    """Up to `workers` notebooks at a time (default: one per CPU); a context manager.

    Leaving the `with` block on an exception (Ctrl-C included) kills the running notebooks first.
    `warm=False` starts every worker cold, when the notebook is submitted.
    """

    def __init__(self, workers: int | None = None, warm: bool = True) -> None:
        if workers is not None and workers < 1:
            raise ExecutionRequestError(f"an executor pool needs at least 1 worker, not {workers}")
        cpus = os.cpu_count() or 1
        self.workers = workers or cpus
        self.threads_per_notebook = max(1, cpus // self.workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="mlestar-executor")
        self._lock = threading.Lock()
        self._cancels: set[threading.Event] = set()
        self._spares = SparePool(self.workers) if warm else None

    def submit(self, request: ExecutionRequest) -> Future[ExecutionResult]:
        return self._submit(request)[0]

    def map(self, requests: Iterable[ExecutionRequest]) -> list[ExecutionResult]:
        """Run all requests concurrently; results in the order of `requests`.

        If waiting is interrupted or a request is refused, the notebooks of this call are killed
        before the exception propagates.
        """
        submitted = [self._submit(request) for request in requests]
        try:
            return [future.result() for future, _ in submitted]
        except BaseException:
            for _, cancel in submitted:
                cancel.set()
            raise

    def cancel_all(self) -> None:
        """Kill every running notebook and make every queued one return "cancelled" at once."""
        with self._lock:
            for cancel in self._cancels:
                cancel.set()

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)
        if self._spares is not None:
            self._spares.close()

    def _submit(self, request: ExecutionRequest) -> tuple[Future[ExecutionResult], threading.Event]:
        if "OMP_NUM_THREADS" not in request.env:
            env = {**request.env, "OMP_NUM_THREADS": str(self.threads_per_notebook)}
            request = request.model_copy(update={"env": env})
        cancel = threading.Event()
        with self._lock:
            self._cancels.add(cancel)
        try:
            future = self._executor.submit(self._run, request, cancel)
        except BaseException:
            self._forget(cancel)
            raise
        return future, cancel

    def _run(self, request: ExecutionRequest, cancel: threading.Event) -> ExecutionResult:
        try:
            return execute(request, cancel, self._spares)
        finally:
            self._forget(cancel)

    def _forget(self, cancel: threading.Event) -> None:
        with self._lock:
            self._cancels.discard(cancel)
