"""The executor a run uses, local or Dask: one interface, `NotebookExecutor`, and `open_executor`.

The agent only submits requests, cancels everything on a stop and reads how many notebooks run at
once; both backends give that, so the loop does not know where its notebooks run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import Future
from types import TracebackType
from typing import Literal, TypeVar

from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.process import ExecutionRequestError

ExecutorKind = Literal["local", "dask"]
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = ("local", "dask")
E = TypeVar("E", bound="NotebookExecutor")


class NotebookExecutor(ABC):
    """What both backends share; leaving the `with` block on an exception (Ctrl-C included)
    cancels every notebook before the executor shuts down."""

    workers: int
    threads_per_notebook: int

    @abstractmethod
    def submit(self, request: ExecutionRequest) -> Future[ExecutionResult]: ...

    @abstractmethod
    def cancel_all(self) -> None: ...

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None: ...

    def __enter__(self: E) -> E:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.cancel_all()
        self.shutdown(wait=True)


def open_executor(
    kind: ExecutorKind, workers: int | None = None, scheduler: str | None = None, data: str = "auto"
) -> NotebookExecutor:
    """The local pool of `workers` processes, or a client of the Dask cluster at `scheduler`."""
    if kind == "local":
        from mlestar_lab.executor.pool import ExecutorPool

        return ExecutorPool(workers)
    if kind == "dask":
        if not scheduler:
            raise ExecutionRequestError(
                "the Dask executor needs the scheduler's address: --scheduler tcp://HOST:PORT"
            )
        from mlestar_lab.executor.remote.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, data=data)  # type: ignore[arg-type]
    raise ExecutionRequestError(f"unknown executor {kind!r}; use one of {', '.join(EXECUTOR_KINDS)}")
