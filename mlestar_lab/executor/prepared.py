"""A kernel started before its notebook is known, inside a standby worker (see `spares.py`).

Starting ipykernel and waiting for its first reply is most of a notebook's fixed cost. A standby
worker pays it while the previous notebook still runs; the kernel is brand new and has run
nothing, so no state can pass from one notebook to another. Only its working directory is
unknown at start: it is moved to the output folder with a silent request that binds no name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_core.utils import run_sync

from mlestar_lab.executor.kernel import WorkerKernelManager

READY_TIMEOUT_SECONDS = 60.0
CHDIR_TIMEOUT_SECONDS = 30.0


class KernelPreparationError(RuntimeError):
    """The prepared kernel cannot be used; the worker starts a kernel the ordinary way instead."""


class PreparedKernel:
    """A started, ready kernel with private IPC sockets, handed to papermill as `km`."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self._sockets = tempfile.TemporaryDirectory(prefix="mlestar-kernel-")
        WorkerKernelManager.socket_dir = self._sockets.name
        WorkerKernelManager.last_exit_code = None
        self.manager = WorkerKernelManager(kernel_name=kernel_name)
        self._client: BlockingKernelClient | None = None
        try:
            run_sync(self.manager.start_kernel)(cwd=self._sockets.name)
            self._client = self.manager.blocking_client()
            self._client.start_channels()
            self._client.wait_for_ready(timeout=READY_TIMEOUT_SECONDS)
        except BaseException:
            self.shutdown()
            raise

    def move_to(self, directory: str) -> None:
        """Make `directory` the kernel's working directory, as papermill's `cwd=` would have."""
        if self._client is None:
            raise KernelPreparationError("the prepared kernel has no client")
        code = f"__import__('os').chdir({directory!r})"
        reply = self._client.execute_interactive(
            code, silent=True, store_history=False, timeout=CHDIR_TIMEOUT_SECONDS
        )
        if reply["content"].get("status") != "ok":
            raise KernelPreparationError(f"the prepared kernel could not chdir: {reply['content']}")
        self._client.stop_channels()
        self._client = None

    def shutdown(self) -> None:
        """SIGKILL the kernel's process group (papermill's "immediate" shutdown) without waiting.

        jupyter_client's own shutdown interrupts, kills and then polls for the exit (≈ 0.1 s); the
        notebook is finished by now, and the executor's parent kills and reaps the whole tree.
        """
        if self._client is not None:
            self._client.stop_channels()
            self._client = None
        provisioner = self.manager.provisioner
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid:
                with contextlib.suppress(ProcessLookupError):  # already gone
                    os.killpg(pgid, signal.SIGKILL)
            elif self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        finally:
            self._sockets.cleanup()
