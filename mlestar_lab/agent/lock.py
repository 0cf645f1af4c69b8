"""One agent per run: an exclusive lock on a file in the run folder, held while the loop runs.

The kernel releases a `flock` when its holder dies, even by `kill -9`, so a run whose lock is free
but whose status says "running" has lost its agent and can be resumed; a run whose lock is held
must not be resumed a second time.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlestar_lab.errors import UserError

LOCK_FILE = "agent.lock"


@contextmanager
def agent_lock(run_dir: str | Path, run_id: str) -> Iterator[None]:
    path = Path(run_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise UserError(
                f"run {run_id} is being executed by another agent (pid {holder}); stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def agent_alive(run_dir: str | Path) -> bool:
    """Whether some process holds the run's agent lock right now."""
    path = Path(run_dir) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False
