"""The kernel manager the worker hands to papermill, and how a failed kernel start is recognised.

Parallel notebooks start kernels from separate processes. Over TCP every kernel picks five free
ports by binding and releasing them, and nothing stops another process from taking one of them
before this kernel binds it: the kernel then dies before it ever answers. On POSIX the kernel's
sockets are therefore Unix domain sockets in a private directory of their own, which no other
kernel can claim.
"""

from __future__ import annotations

import os
from typing import ClassVar

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum

# What jupyter_client raises when the kernel process never got as far as answering kernel_info.
_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


class WorkerKernelManager(AsyncKernelManager):
    """A kernel manager with private IPC sockets that remembers how the kernel process ended.

    nbclient only says "Kernel died"; the exit status (a signal for `kill -9`, a code for
    `os._exit`) is what tells a crash from an out-of-memory kill. One worker runs one kernel at a
    time, so class-level state is enough: `socket_dir` is set by the worker before each start.
    """

    last_exit_code: ClassVar[int | None] = None
    socket_dir: ClassVar[str | None] = None

    transport = CaselessStrEnum(
        ["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp", config=True
    )

    def _ip_default(self) -> str:
        if self.transport == "ipc" and WorkerKernelManager.socket_dir is not None:
            # Short and absolute: a Unix socket path must fit in ~104 bytes, and the client and
            # the kernel run in different working directories.
            return os.path.join(WorkerKernelManager.socket_dir, "k")
        return super()._ip_default()

    async def _async_is_alive(self) -> bool:
        alive = await super()._async_is_alive()
        if not alive and self.provisioner is not None:
            code = await self.provisioner.poll()
            if code is not None:
                WorkerKernelManager.last_exit_code = code
        return alive

    is_alive = _async_is_alive


def is_start_failure(exc: BaseException) -> bool:
    """True when the kernel never became ready, so no cell of the notebook can have run."""
    return isinstance(exc, RuntimeError) and str(exc).startswith(_START_FAILURES)
