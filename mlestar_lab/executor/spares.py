"""Workers started ahead of time, one notebook each: the warm half of "one OS process per notebook".

A cold notebook pays for a Python start, the papermill imports and a kernel start before its
first cell runs (≈ 1 s on 2 cores). A spare is a worker process that has paid all of that while
other notebooks were running and now waits on stdin for the notebook it will run. It runs exactly
one notebook in a kernel that has run nothing before, then exits like any worker, so nothing can
leak from one notebook to the next.

A spare is only usable by a request it was prepared for: the same kernel, memory limit (the
worker's RLIMIT_DATA is set before the kernel starts) and environment (the kernel inherits it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from mlestar_lab.executor.limits import PARENT_PID_VARIABLE, child_environment
from mlestar_lab.executor.models import ExecutionRequest
from mlestar_lab.executor.tree import ProcessTree
from mlestar_lab.executor.worker import NO_LIMIT, STANDBY


@dataclass(frozen=True)
class Profile:
    """What a worker must know before its kernel starts."""

    kernel_name: str
    memory_limit_mb: int | None
    env: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, request: ExecutionRequest) -> Profile:
        return cls(request.kernel_name, request.memory_limit_mb, tuple(sorted(request.env.items())))


class Spare:
    """One standby worker and its log (the kernel writes there for the worker's whole life)."""

    def __init__(self, profile: Profile, folder: Path, number: int) -> None:
        self.profile = profile
        self.log_path = folder / f"standby-{number}.log"
        env = child_environment(dict(profile.env), default_threads=os.cpu_count() or 1)
        env[PARENT_PID_VARIABLE] = str(os.getpid())
        limit = NO_LIMIT if profile.memory_limit_mb is None else str(profile.memory_limit_mb)
        command = [sys.executable, "-m", "mlestar_lab.executor.worker", STANDBY, profile.kernel_name, limit]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def hand_over(self, request_file: Path, result_file: Path) -> subprocess.Popen[bytes] | None:
        """Give this spare its notebook; None when it died meanwhile (the caller starts a cold one)."""
        stdin = self.process.stdin
        if stdin is None or not self.alive():
            self.discard()
            return None
        try:
            stdin.write((json.dumps([str(request_file), str(result_file)]) + "\n").encode())
            stdin.close()
        except OSError:
            self.discard()
            return None
        return self.process

    def merge_log(self, into: Path) -> None:
        """Append what the kernel and the standby phase printed to the notebook's log."""
        try:
            text = self.log_path.read_bytes()
        except FileNotFoundError:
            return
        if text:
            with open(into, "ab") as handle:
                handle.write(b"--- kernel and standby output ---\n" + text)
        self.log_path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Stop an unused spare and its kernel."""
        if self.process.poll() is None:
            # Not reaped yet, so the pid is still this worker's even if it exits meanwhile.
            ProcessTree(self.process.pid).kill()
        self.process.wait()
        if self.process.stdin is not None and not self.process.stdin.closed:
            # The reader is gone: a line still buffered after a failed hand-over cannot be flushed.
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        self.log_path.unlink(missing_ok=True)


class SparePool:
    """Keeps up to `size` spares for the profile of the latest request.

    A spare is started (by `replenish`) right after one was handed a notebook, so the start-up
    overlaps that notebook. The thread calling `replenish` must outlive the spares it starts: they
    are bound to it with PR_SET_PDEATHSIG (the executor pool's own threads are).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._folder = Path(tempfile.mkdtemp(prefix="mlestar-spares-"))
        self._spares: list[Spare] = []
        self._started = 0
        self._closed = False
        self._lock = threading.Lock()

    def take(self, request: ExecutionRequest) -> Spare | None:
        """A live spare prepared for `request`, if any; spares prepared for anything else are stopped."""
        profile = Profile.of(request)
        with self._lock:
            stale = [spare for spare in self._spares if spare.profile != profile or not spare.alive()]
            self._spares = [spare for spare in self._spares if spare not in stale]
            chosen = self._spares.pop(0) if self._spares and not self._closed else None
        for spare in stale:
            spare.discard()
        return chosen

    def replenish(self, request: ExecutionRequest) -> None:
        """Start one spare for requests like `request`, unless there are `size` of them already.

        One per notebook handed over, never a burst: on a busy machine a spare's start-up takes CPU
        from the notebooks running beside it.
        """
        profile = Profile.of(request)
        with self._lock:
            if not self._closed and len(self._spares) < self.size:
                self._started += 1
                self._spares.append(Spare(profile, self._folder, self._started))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for spare in spares:
            spare.discard()
        # A notebook still running on a spare taken earlier removes its own log when it ends.
        shutil.rmtree(self._folder, ignore_errors=True)
