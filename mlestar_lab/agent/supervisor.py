"""Agent processes: one detached `mlestar resume RUN` per executing run, for the server and notebooks.

A run must outlive the browser tab, the Jupyter server and the notebook kernel that started it, so
the agent is its own OS process in its own session, and its starter keeps no state that a restart
would lose: whether an agent is alive is read from the run folder's `agent.lock` (an flock the
kernel releases when the agent dies, even by `kill -9`), and the pid to signal is the one the lock
holder wrote into it.

The only in-memory state is the list of children this supervisor spawned, for the seconds between
spawning and the child taking its lock (so a double click on "resume" cannot start two agents)
and to reap them so they do not linger as zombies.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from mlestar_lab.agent.lock import LOCK_FILE, agent_alive
from mlestar_lab.executor.limits import is_secret
from mlestar_lab.store.models import RunRecord
from mlestar_lab.store.store import RunStore

AGENT_LOG = "agent.log"
STOP_WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.1
JUPYTER_PREFIXES = ("JUPYTER", "JPY_")
LOST_AGENT = "the agent process ended without finishing the run (server restart or crash); resume it"
LOG_TAIL_LINES = 8


def agent_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The starter's environment without Jupyter's own credentials (`JUPYTER_TOKEN`,
    `JUPYTERHUB_API_TOKEN`, …): the agent needs the strategist's API keys, never the server's."""
    return {
        name: value
        for name, value in environ.items()
        if not (name.upper().startswith(JUPYTER_PREFIXES) and is_secret(name))
    }


class AgentSupervisor:
    """Starts, signals and observes the agent processes of one workspace (the server's, or the one a
    notebook's `mlestar_lab.client.Lab` uses)."""

    def __init__(self, workspace_root: Path, logger: logging.Logger | None = None) -> None:
        self.workspace_root = workspace_root
        self.log = logger or logging.getLogger(__name__)
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._exit_codes: dict[str, int] = {}
        self._lock = threading.Lock()

    def command(self, run_id: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "mlestar_lab",
            "--workspace",
            str(self.workspace_root),
            "resume",
            run_id,
            "--quiet",
        ]

    def spawn(self, run: RunRecord) -> int:
        """Start the agent of `run` detached from this process; its output goes to `agent.log`."""
        run_dir = Path(run.run_dir)
        with self._lock, open(run_dir / AGENT_LOG, "ab") as out:
            child = subprocess.Popen(
                self.command(run.id),
                cwd=self.workspace_root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=agent_environment(os.environ),
            )
            self._children[run.id] = child
        self.log.info("started the agent of run %s (pid %d)", run.id, child.pid)
        return child.pid

    def alive(self, run: RunRecord) -> bool:
        """An agent holds the run's lock, or a child this supervisor spawned has not exited yet."""
        return agent_alive(run.run_dir) or self._child_running(run.id)

    def stop(self, run: RunRecord) -> bool:
        """SIGTERM the run's agent (the CLI turns it into an interrupted, resumable run) and wait
        up to `STOP_WAIT_SECONDS` for it to let go of the run; False if nothing was running."""
        pid = self._lock_holder(run) or self._child_pid(run.id)
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while self.alive(run) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        return True

    def recover(self, store: RunStore) -> list[str]:
        """Mark "running" runs whose agent is gone as interrupted (resumable); their ids."""
        lost = [run.id for run in store.list_runs() if self.observe(store, run).error == LOST_AGENT]
        if lost:
            self.log.warning("runs whose agent was gone, now interrupted: %s", ", ".join(lost))
        return lost

    def observe(self, store: RunStore, run: RunRecord) -> RunRecord:
        """`run`, marked interrupted (resumable) if its agent died without saying so.

        The agent sets "running" only while holding its lock and leaves that status before
        releasing it, so "running" with a free lock means the agent died without a word. An agent
        that failed before taking the lock left the status alone: its exit code and the end of its
        log say why.
        """
        if run.status == "running" and not self.alive(run):
            return store.update_run(run.id, status="interrupted", error=LOST_AGENT)
        with self._lock:
            self._reap()
            code = self._exit_codes.pop(run.id, None)
        if code is not None and run.status in ("created", "interrupted") and not self.alive(run):
            why = f"the agent exited with code {code} before it started the run: {self._log_tail(run)}"
            return store.update_run(run.id, status="interrupted", error=why)
        return run

    def _log_tail(self, run: RunRecord) -> str:
        try:
            lines = (Path(run.run_dir) / AGENT_LOG).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            return f"(no {AGENT_LOG}: {exc.strerror})"
        return " | ".join(line.strip() for line in lines[-LOG_TAIL_LINES:] if line.strip()) or "(empty log)"

    def children(self) -> dict[str, int]:
        """Run id → pid of the children this supervisor spawned that are still running."""
        with self._lock:
            self._reap()
            return {run_id: child.pid for run_id, child in self._children.items()}

    def _lock_holder(self, run: RunRecord) -> int | None:
        if not agent_alive(run.run_dir):
            return None
        text = (Path(run.run_dir) / LOCK_FILE).read_text(encoding="utf-8").strip()
        return int(text) if text.isdigit() else None

    def _child_running(self, run_id: str) -> bool:
        return self._child_pid(run_id) is not None

    def _child_pid(self, run_id: str) -> int | None:
        with self._lock:
            self._reap()
            child = self._children.get(run_id)
            return None if child is None else child.pid

    def _reap(self) -> None:
        for run_id, child in list(self._children.items()):
            code = child.poll()
            if code is not None:
                del self._children[run_id]
                if code != 0:
                    self._exit_codes[run_id] = code
