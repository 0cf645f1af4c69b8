"""The workspace: the folder holding the run store (`mlestar.db`) and every run's files.

Layout::

    <root>/mlestar.db
    <root>/runs/<run_id>/steps/<NNNN>-<key>/   one folder per step (notebooks, outputs)

Paths are computed, never created, by this class (except `open_store`, which must create the
database), so importing or constructing a Workspace touches no disk. Step folders are derived
from the step id and key only, so a resumed run finds the folders of its finished steps again.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from mlestar_lab.errors import UserError
from mlestar_lab.store.store import RunStore

ENV_HOME = "MLESTAR_HOME"
DEFAULT_DIRNAME = "mlestar-runs"
DB_FILENAME = "mlestar.db"
RUNS_DIRNAME = "runs"
STEPS_DIRNAME = "steps"

_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_RUN_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]|\.(?!\.))*")
_MAX_NAME = 48


def default_root() -> Path:
    """`$MLESTAR_HOME` if set, else `./mlestar-runs` (relative to the current directory)."""
    home = os.environ.get(ENV_HOME, "").strip()
    return Path(home).expanduser() if home else Path.cwd() / DEFAULT_DIRNAME


def safe_name(text: str, fallback: str = "run") -> str:
    """`text` as a lowercase file name: letters, digits, `.`, `_`, `-` only, at most 48 characters.

    Lowercase because macOS and Windows file systems ignore case: two names differing only in
    case must not map to one folder there and two folders elsewhere.
    """
    name = _UNSAFE.sub("-", text.strip().lower()).strip("-._")[:_MAX_NAME].strip("-._")
    return name or fallback


class Workspace:
    """The folder of one user's runs (default: see `default_root`)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()

    @property
    def db_path(self) -> Path:
        return self.root / DB_FILENAME

    def open_store(self) -> RunStore:
        """The run store of this workspace, creating the folder and database on first use."""
        self.root.mkdir(parents=True, exist_ok=True)
        return RunStore(self.db_path)

    def new_run_id(self, task_name: str) -> str:
        """A fresh run id: `<task>-<UTC yyyymmdd-hhmmss>-<4 hex>`.

        UTC so ids of one task sort by start time even across a daylight-saving change; the
        random suffix separates runs started in the same second, and an id whose folder exists
        already is never returned.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        while True:
            run_id = f"{safe_name(task_name, 'task')}-{stamp}-{secrets.token_hex(2)}"
            if not self.run_dir(run_id).exists():
                return run_id

    def run_dir(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id):
            raise UserError(
                f"{run_id!r} is not a valid run id (lowercase letters, digits, '.', '_', '-') — "
                "`mlestar runs` lists the runs"
            )
        return self.root / RUNS_DIRNAME / run_id

    def step_dir(self, run_id: str, step_id: int, key: str) -> Path:
        """`runs/<run_id>/steps/<NNNN>-<safe key>`: sorted by step id, readable by key."""
        if step_id < 0:
            raise ValueError(f"step ids are positive, got {step_id}")
        return self.run_dir(run_id) / STEPS_DIRNAME / f"{step_id:04d}-{safe_name(key, 'step')}"
