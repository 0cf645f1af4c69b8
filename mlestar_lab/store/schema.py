"""The database schema of the run store and its forward migrations.

Each migration is a tuple of SQL statements; migration N (1-based) moves a database from schema
version N-1 to N and is recorded in `schema_version`. Databases are only ever migrated forward:
a database written by a newer mlestar-lab is refused rather than misread. To change the schema,
append a migration (never edit a released one) and add the matching optional field to the
record models; `tests/test_store.py` checks that every model field has a column.
"""

from __future__ import annotations

import sqlite3
import time

from mlestar_lab.errors import UserError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            task_name TEXT NOT NULL,
            task_dir TEXT NOT NULL,
            run_dir TEXT NOT NULL,
            strategist TEXT NOT NULL,
            model TEXT,
            config TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL,
            stage TEXT,
            budget_seconds REAL,
            elapsed_seconds REAL NOT NULL DEFAULT 0,
            metric TEXT NOT NULL DEFAULT '',
            higher_is_better INTEGER NOT NULL DEFAULT 1,
            best_score REAL,
            best_step_id INTEGER,
            submission_path TEXT,
            tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            schema_version INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            key TEXT NOT NULL,
            parent_id INTEGER REFERENCES steps(id),
            stage TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            block TEXT,
            block_kind TEXT,
            plan TEXT NOT NULL DEFAULT '',
            diff TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            score REAL,
            delta REAL,
            runtime REAL,
            notebook_path TEXT,
            output_dir TEXT,
            findings TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            reason TEXT,
            info TEXT NOT NULL DEFAULT '{}',
            tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            decided_by TEXT NOT NULL DEFAULT 'auto',
            decision_reason TEXT,
            attempt INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            finished_at REAL,
            UNIQUE (run_id, key)
        )
        """,
        "CREATE INDEX steps_by_run ON steps (run_id, id)",
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            time REAL NOT NULL,
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX events_by_run ON events (run_id, seq)",
    ),
    (
        """
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            key TEXT NOT NULL,
            gate TEXT NOT NULL,
            step_id INTEGER,
            status TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            request TEXT NOT NULL DEFAULT '{}',
            answer TEXT,
            created_at REAL NOT NULL,
            answered_at REAL,
            UNIQUE (run_id, key)
        )
        """,
        "CREATE INDEX decisions_by_run ON decisions (run_id, status)",
    ),
)

DB_SCHEMA_VERSION = len(MIGRATIONS)

# Columns stored as JSON text; every other column holds a scalar.
RUN_JSON_FIELDS = frozenset({"config"})
STEP_JSON_FIELDS = frozenset({"findings", "error", "info"})
DECISION_JSON_FIELDS = frozenset({"request", "answer"})


def schema_version(conn: sqlite3.Connection) -> int:
    """The version the database is at (0 for a new, empty file)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database up to `DB_SCHEMA_VERSION`; returns the version it was at.

    An up-to-date database is only read. Migrations run under `BEGIN IMMEDIATE`, so two processes
    opening a new database at once cannot both apply one: the second waits (busy timeout), then
    sees the work already done.
    """
    if schema_version(conn) == DB_SCHEMA_VERSION:
        return DB_SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        current = schema_version(conn)
        if current > DB_SCHEMA_VERSION:
            raise UserError(
                f"{path} was written by a newer mlestar-lab (database schema {current}, this version "
                f"knows up to {DB_SCHEMA_VERSION}); upgrade mlestar-lab to open it"
            )
        for version in range(current + 1, DB_SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, time.time())
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return current
