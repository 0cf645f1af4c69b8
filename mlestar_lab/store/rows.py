"""Conversions between record models, table rows and event payloads, in one place.

JSON columns (config, findings, error, info) are stored as text; every text value is redacted
on its way in; event payloads are shortened so the log stays small (records hold the full
values, events only announce them).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, TypeVar

from pydantic import BaseModel

from mlestar_lab.store.models import Event, RunRecord
from mlestar_lab.store.redact import env_secrets, redact_value
from mlestar_lab.store.schema import RUN_JSON_FIELDS

M = TypeVar("M", bound=BaseModel)

# Identity fields are never redacted: replay looks steps up by key, and ids must stay stable.
NOT_REDACTED = frozenset({"id", "run_id", "key"})


def fetch_run(conn: sqlite3.Connection, run_id: str) -> RunRecord | None:
    row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else from_row(RunRecord, row, RUN_JSON_FIELDS)


def redacted(record: M) -> M:
    """A copy of `record` with every text value redacted, identity fields excepted."""
    secrets = env_secrets()
    data = record.model_dump()
    clean = {k: v if k in NOT_REDACTED else redact_value(v, secrets) for k, v in data.items()}
    return type(record).model_validate(clean)


def to_row(record: BaseModel, json_fields: frozenset[str]) -> dict[str, Any]:
    """Column name → SQLite value; `default=str` so an odd value in `info` never fails a write."""
    row = record.model_dump()
    for name in json_fields:
        if row[name] is not None:
            row[name] = json.dumps(row[name], default=str)
    return row


def from_row(model: type[M], row: sqlite3.Row, json_fields: frozenset[str]) -> M:
    data = dict(row)
    for name in json_fields:
        if data.get(name) is not None:
            data[name] = json.loads(data[name])
    return model.model_validate(data)


def check_fields(what: str, fields: dict[str, Any], known: tuple[str, ...], fixed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} field(s) {unknown}; {what} fields are: {', '.join(known)}")
    frozen = sorted(set(fields) & fixed)
    if frozen:
        raise ValueError(f"{what} field(s) {frozen} cannot change after the {what} is created")


def apply(
    conn: sqlite3.Connection,
    table: str,
    current: M,
    fields: dict[str, Any],
    json_fields: frozenset[str],
    where: tuple[str, Any],
) -> dict[str, Any]:
    """Validate and write `fields` over `current`; returns the changed fields (new values)."""
    if table == "runs":
        fields = {**fields, "updated_at": time.time()}
    merged = redacted(type(current).model_validate({**current.model_dump(), **fields}))
    new_row, old_row = to_row(merged, json_fields), to_row(current, json_fields)
    changed = [name for name in fields if new_row[name] != old_row[name]]
    if changed == ["updated_at"] or not changed:
        return {}
    assignments = ", ".join(f"{name} = ?" for name in changed)
    conn.execute(
        f"UPDATE {table} SET {assignments} WHERE {where[0]} = ?", [*(new_row[n] for n in changed), where[1]]
    )
    values = merged.model_dump(mode="json")
    return {name: values[name] for name in changed if name != "updated_at"}


def shorten(value: Any, limit: int) -> Any:
    """`value` as it goes into an event payload: JSON-safe, long text cut to `limit` characters."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} chars)"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = json.dumps(value, default=str)
    return json.loads(text) if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def insert_row(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    """INSERT one record's row (column → value) into `table`; returns the new rowid."""
    cursor = conn.execute(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    return int(cursor.lastrowid or 0)


def insert_event(
    conn: sqlite3.Connection, run_id: str, kind: str, payload: dict[str, Any], limit: int
) -> int:
    small = {
        str(k): {c: shorten(x, limit) for c, x in v.items()} if k == "changes" else shorten(v, limit)
        for k, v in payload.items()
    }
    text = json.dumps(redact_value(small), default=str)
    cursor = conn.execute(
        "INSERT INTO events (time, run_id, kind, payload) VALUES (?, ?, ?, ?)",
        (time.time(), run_id, kind, text),
    )
    return int(cursor.lastrowid or 0)


def event_from_row(row: sqlite3.Row) -> Event:
    return Event(
        seq=row["seq"],
        time=row["time"],
        run_id=row["run_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
    )
