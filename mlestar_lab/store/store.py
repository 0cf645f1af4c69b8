"""The run store: runs, steps and an append-only event log in one SQLite file (WAL).

It is the single source of truth shared by the agent process (the writer), the Jupyter server
(reads, and writes the user's decisions), the CLI and the widget, possibly all at once, so:

- WAL journal: readers never block the writer and never see a half-applied transaction.
- `synchronous=FULL`: a `kill -9` of the agent cannot lose a committed step under either NORMAL
  or FULL in WAL mode (the commit is in the OS's hands before COMMIT returns). FULL also fsyncs
  the WAL at every commit, so an OS crash or power loss cannot lose one either. The store
  writes a handful of rows per executed notebook, seconds apart, so that fsync costs nothing
  noticeable, while losing a finished step would mean recomputing a notebook.
- Every write is one `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two
  writers queue on `busy_timeout` instead of failing with "database is locked" when a read
  transaction tries to become a write.
- One connection per thread (and per process, after a fork), never shared; the connections of
  finished threads are closed.
- Every change writes its event in the same transaction, so the event log is exactly the list
  of committed changes, gap-free and ordered by `seq`.
- Every text value passes through `redact` before it is written (see `mlestar_lab.store.redact`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlestar_lab.errors import RunNotFound, UserError
from mlestar_lab.store.decisions import DecisionLog
from mlestar_lab.store.models import Event, RunRecord, Stage, StepRecord
from mlestar_lab.store.rows import (
    apply,
    check_fields,
    event_from_row,
    fetch_run,
    from_row,
    insert_event,
    insert_row,
    redacted,
    to_row,
)
from mlestar_lab.store.schema import RUN_JSON_FIELDS, STEP_JSON_FIELDS, migrate

RUN_FIELDS = tuple(RunRecord.model_fields)
STEP_FIELDS = tuple(StepRecord.model_fields)
_RUN_FIXED = frozenset({"id", "created_at", "schema_version"})
_STEP_FIXED = frozenset({"id", "run_id", "key", "created_at"})
_CHANGE_VALUE_LIMIT = 300
_EVENT_VALUE_LIMIT = 4000


class StepNotFound(UserError):
    """A step id that the run store does not know."""


class StoreConflict(ValueError):
    """A record that already exists: a run id or a step key (per run) used twice."""


class RunStore(DecisionLog):
    """Runs, steps, events and decisions in the SQLite file at `path` (created with its folder if
    missing)."""

    def __init__(self, path: Path, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._connections: dict[int, sqlite3.Connection] = {}  # thread ident → its connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            migrate(self._conn(), str(self.path))
        except BaseException as exc:
            self.close()
            if not isinstance(exc, sqlite3.DatabaseError):
                raise
            raise UserError(
                f"{self.path} is not a usable mlestar run store ({exc}); move it away or set MLESTAR_HOME "
                "to another folder"
            ) from exc

    # -- connections and transactions -------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise UserError(
                f"{self.path}: SQLite refused WAL mode (got {mode!r}); put the workspace on a local disk"
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._local.conn, self._local.pid = conn, os.getpid()
        self._register(conn)
        return conn

    def _register(self, conn: sqlite3.Connection) -> None:
        """Remember this thread's connection; close those of threads that have finished.

        Without this, an agent that runs each notebook from a fresh thread would keep three file
        descriptors per finished thread open until it ran out. In a forked child the parent's
        connections are forgotten, never closed: they are the parent's to close.
        """
        if self._pid != os.getpid():
            self._pid, self._lock, self._connections = os.getpid(), threading.Lock(), {}
        me = threading.get_ident()
        alive = {t.ident for t in threading.enumerate()}
        with self._lock:
            stale = [self._connections.pop(i) for i in list(self._connections) if i == me or i not in alive]
            self._connections[me] = conn
        for old in stale:
            old.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # also when COMMIT itself failed (disk full …)
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connections this process opened (the store reopens lazily if used again)."""
        with self._lock:
            connections, self._connections = self._connections, {}
            self._local = threading.local()
        if self._pid == os.getpid():
            for conn in connections.values():
                conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> RunRecord:
        now = time.time()
        record = redacted(run.model_copy(update={"created_at": run.created_at or now, "updated_at": now}))
        row = to_row(record, RUN_JSON_FIELDS)
        with self._write() as conn:
            if fetch_run(conn, record.id) is not None:
                raise StoreConflict(f"a run with id {record.id!r} already exists; pick a new id")
            insert_row(conn, "runs", row)
            payload = {k: row[k] for k in ("task_name", "strategist", "model", "status", "metric")}
            insert_event(conn, record.id, "run.created", payload, _CHANGE_VALUE_LIMIT)
            return self._get_run(conn, record.id)

    def get_run(self, run_id: str) -> RunRecord:
        return self._get_run(self._conn(), run_id)

    def _get_run(self, conn: sqlite3.Connection, run_id: str) -> RunRecord:
        record = fetch_run(conn, run_id)
        if record is None:
            raise RunNotFound(f"no run {run_id!r} — `mlestar runs` lists them")
        return record

    def find_run(self, prefix: str) -> RunRecord:
        """The run whose id is `prefix`, or the only run whose id starts with it."""
        conn = self._conn()
        exact = fetch_run(conn, prefix)
        if exact is not None:
            return exact
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id", (len(prefix), prefix)
            )
        ]
        if not prefix or not ids:
            raise RunNotFound(f"no run {prefix!r} — `mlestar runs` lists them")
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
            raise UserError(f"{prefix!r} matches {len(ids)} runs ({shown}) — give more of the run id")
        return self._get_run(conn, ids[0])

    def list_runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        rows = self._conn().execute("SELECT * FROM runs ORDER BY created_at, id").fetchall()
        return [from_row(RunRecord, r, RUN_JSON_FIELDS) for r in rows]

    def update_run(self, run_id: str, **fields: Any) -> RunRecord:
        check_fields("run", fields, RUN_FIELDS, _RUN_FIXED)
        with self._write() as conn:
            current = self._get_run(conn, run_id)
            changes = apply(conn, "runs", current, fields, RUN_JSON_FIELDS, where=("id", run_id))
            if changes:
                insert_event(conn, run_id, "run.updated", {"changes": changes}, _CHANGE_VALUE_LIMIT)
            return self._get_run(conn, run_id)

    # -- steps ------------------------------------------------------------------------------

    def add_step(
        self, step: StepRecord, materialise: Callable[[int], dict[str, Any]] | None = None
    ) -> StepRecord:
        """Record a new step; its id is assigned here and `key` must be new within the run.

        `materialise(step_id)` runs inside the same transaction (it writes the step's folder and
        returns the fields that point at it), so an agent killed half-way leaves either no step at
        all or a step whose notebook is on disk — never a row a resume cannot read back.
        """
        if step.id is not None:
            raise ValueError(f"add_step assigns step ids; got a step with id={step.id} (use update_step)")
        record = redacted(step.model_copy(update={"created_at": step.created_at or time.time()}))
        row = to_row(record, STEP_JSON_FIELDS)
        del row["id"]
        with self._write() as conn:
            self._get_run(conn, record.run_id)
            existing = self._step_by_key(conn, record.run_id, record.key)
            if existing is not None:
                raise StoreConflict(
                    f"run {record.run_id!r} already has a step with key {record.key!r} (step {existing.id}); "
                    "look it up with step_by_key instead of adding it again"
                )
            if record.parent_id is not None:
                self._get_step(conn, record.parent_id)
            step_id = insert_row(conn, "steps", row)
            payload = {
                "step_id": step_id,
                **{k: row[k] for k in ("key", "stage", "status", "title", "parent_id")},
            }
            insert_event(conn, record.run_id, "step.added", payload, _CHANGE_VALUE_LIMIT)
            if materialise is not None:
                fields = materialise(step_id)
                check_fields("step", fields, STEP_FIELDS, _STEP_FIXED)
                changes = apply(
                    conn, "steps", self._get_step(conn, step_id), fields, STEP_JSON_FIELDS, ("id", step_id)
                )
                if changes:
                    payload = {"step_id": step_id, "key": record.key, "changes": changes}
                    insert_event(conn, record.run_id, "step.updated", payload, _CHANGE_VALUE_LIMIT)
            return self._get_step(conn, step_id)

    def update_step(self, step_id: int, **fields: Any) -> StepRecord:
        check_fields("step", fields, STEP_FIELDS, _STEP_FIXED)
        with self._write() as conn:
            current = self._get_step(conn, step_id)
            changes = apply(conn, "steps", current, fields, STEP_JSON_FIELDS, where=("id", step_id))
            if changes:
                payload = {"step_id": step_id, "key": current.key, "changes": changes}
                insert_event(conn, current.run_id, "step.updated", payload, _CHANGE_VALUE_LIMIT)
            return self._get_step(conn, step_id)

    def get_step(self, step_id: int) -> StepRecord:
        return self._get_step(self._conn(), step_id)

    def _get_step(self, conn: sqlite3.Connection, step_id: int) -> StepRecord:
        row = conn.execute("SELECT * FROM steps WHERE id = ?", (step_id,)).fetchone()
        if row is None:
            raise StepNotFound(f"no step {step_id} — list the steps of its run to see their ids")
        return from_row(StepRecord, row, STEP_JSON_FIELDS)

    def step_by_key(self, run_id: str, key: str) -> StepRecord | None:
        return self._step_by_key(self._conn(), run_id, key)

    def _step_by_key(self, conn: sqlite3.Connection, run_id: str, key: str) -> StepRecord | None:
        row = conn.execute("SELECT * FROM steps WHERE run_id = ? AND key = ?", (run_id, key)).fetchone()
        return None if row is None else from_row(StepRecord, row, STEP_JSON_FIELDS)

    def steps(self, run_id: str, stage: Stage | None = None) -> list[StepRecord]:
        """The run's steps in the order they were added (optionally one stage only)."""
        query, args = "SELECT * FROM steps WHERE run_id = ?", [run_id]
        if stage is not None:
            query, args = query + " AND stage = ?", [*args, stage]
        rows = self._conn().execute(query + " ORDER BY id", args).fetchall()
        return [from_row(StepRecord, r, STEP_JSON_FIELDS) for r in rows]

    # -- events -----------------------------------------------------------------------------

    def add_event(self, run_id: str, kind: str, payload: dict[str, Any] | None = None) -> Event:
        """Append one of the agent's own events ("stage.started", "log" …); long strings are cut."""
        if not kind:
            raise ValueError("an event needs a kind, e.g. 'stage.started' or 'log'")
        with self._write() as conn:
            self._get_run(conn, run_id)
            seq = insert_event(conn, run_id, kind, dict(payload or {}), _EVENT_VALUE_LIMIT)
            row = conn.execute("SELECT * FROM events WHERE seq = ?", (seq,)).fetchone()
            return event_from_row(row)

    def events(self, run_id: str | None = None, since: int = 0, limit: int = 1000) -> list[Event]:
        """Events with `seq > since`, oldest first, at most `limit` (page on with the last `seq`)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        query, args = "SELECT * FROM events WHERE seq > ?", [since]
        if run_id is not None:
            query, args = query + " AND run_id = ?", [*args, run_id]
        rows = self._conn().execute(query + " ORDER BY seq LIMIT ?", [*args, limit]).fetchall()
        return [event_from_row(r) for r in rows]

    def last_seq(self) -> int:
        """The sequence number of the newest event (0 when there is none)."""
        return int(self._conn().execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
