"""The processes of one execution: the worker, its kernel and whatever the notebook started.

jupyter_client starts the kernel in a session of its own, so killing the worker's process group
would miss it; and a process whose parent died is re-parented away from the tree. The tree is
therefore walked by parent links on every poll and every process ever seen is remembered, so a
kill reaches all of them.
"""

from __future__ import annotations

import time

import psutil

_KILL_WAIT_SECONDS = 5.0
_MIB = 1024 * 1024


class ProcessTree:
    def __init__(self, root_pid: int) -> None:
        self._root = psutil.Process(root_pid)
        self._seen: dict[int, psutil.Process] = {root_pid: self._root}

    def _refresh(self) -> list[psutil.Process]:
        try:
            children = self._root.children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for child in children:
            self._seen.setdefault(child.pid, child)
        return [self._root, *children]

    def rss_mb(self) -> float:
        """Resident memory of the live tree in MiB (shared pages count once per process)."""
        total = 0
        for process in self._refresh():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / _MIB

    def kill(self) -> None:
        """SIGKILL the root first (so it cannot report a half-truth), then everything else seen.

        The root is not waited for here: it is the caller's `Popen` child, and reaping it here
        would lose its exit status.
        """
        self._refresh()
        for process in self._seen.values():
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        others = [process for pid, process in self._seen.items() if pid != self._root.pid]
        deadline = time.monotonic() + _KILL_WAIT_SECONDS
        while any(_alive(process) for process in others) and time.monotonic() < deadline:
            time.sleep(0.02)


def _alive(process: psutil.Process) -> bool:
    """Running and not a zombie: a killed process whose new parent has not reaped it yet is gone."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
