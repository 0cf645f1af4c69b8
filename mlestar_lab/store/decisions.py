"""The decisions table of the run store: questions the agent asks at its gates, and the answers.

The agent (a process of its own) writes a pending decision and polls it; the server, the CLI or
the widget answers it. Answering is a compare-and-set inside one write transaction, so two
answers racing for one decision cannot both win: the second gets `DecisionConflict`.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import AbstractContextManager
from typing import Protocol

from mlestar_lab.errors import RunNotFound, UserError
from mlestar_lab.store.models import Decision, DecisionAnswer, DecisionStatus
from mlestar_lab.store.rows import fetch_run, from_row, insert_event, insert_row, redacted, to_row
from mlestar_lab.store.schema import DECISION_JSON_FIELDS

_EVENT_LIMIT = 300
STATUS_OF_ACTION: dict[str, DecisionStatus] = {"approve": "approved", "reject": "rejected", "edit": "edited"}


class DecisionNotFound(UserError):
    """A decision id the run does not have."""


class DecisionConflict(UserError):
    """An answer to a decision that is already answered (or a decision key used twice)."""


class _Store(Protocol):
    def _conn(self) -> sqlite3.Connection: ...
    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


class DecisionLog:
    """Mixed into `RunStore`: the decision methods, sharing its connections and transactions."""

    def add_decision(self: _Store, decision: Decision) -> Decision:
        record = redacted(decision.model_copy(update={"created_at": decision.created_at or time.time()}))
        row = to_row(record, DECISION_JSON_FIELDS)
        del row["id"]
        with self._write() as conn:
            if fetch_run(conn, record.run_id) is None:
                raise RunNotFound(f"no run {record.run_id!r} — `mlestar runs` lists them")
            if _by_key(conn, record.run_id, record.key) is not None:
                raise DecisionConflict(f"run {record.run_id!r} already has a decision {record.key!r}")
            decision_id = insert_row(conn, "decisions", row)
            payload = {
                "decision_id": decision_id,
                "key": record.key,
                "gate": record.gate,
                "title": record.title,
            }
            insert_event(
                conn, record.run_id, "decision.pending", {**payload, "step_id": record.step_id}, _EVENT_LIMIT
            )
            return _get(conn, record.run_id, decision_id)

    def get_decision(self: _Store, run_id: str, decision_id: int) -> Decision:
        return _get(self._conn(), run_id, decision_id)

    def decision_by_key(self: _Store, run_id: str, key: str) -> Decision | None:
        return _by_key(self._conn(), run_id, key)

    def decisions(self: _Store, run_id: str, status: DecisionStatus | None = None) -> list[Decision]:
        """The run's decisions, oldest first (optionally only those with `status`)."""
        query, args = "SELECT * FROM decisions WHERE run_id = ?", [run_id]
        if status is not None:
            query, args = query + " AND status = ?", [*args, status]
        rows = self._conn().execute(query + " ORDER BY id", args).fetchall()
        return [from_row(Decision, r, DECISION_JSON_FIELDS) for r in rows]

    def answer_decision(self: _Store, run_id: str, decision_id: int, answer: DecisionAnswer) -> Decision:
        """Record `answer` if the decision is still pending; `DecisionConflict` otherwise."""
        status = STATUS_OF_ACTION[answer.action]
        clean = redacted(answer)
        with self._write() as conn:
            current = _get(conn, run_id, decision_id)
            if current.status != "pending":
                raise DecisionConflict(
                    f"decision {decision_id} of run {run_id} was already answered ({current.status})"
                )
            conn.execute(
                "UPDATE decisions SET status = ?, answer = ?, answered_at = ? WHERE id = ?",
                (status, clean.model_dump_json(), time.time(), decision_id),
            )
            payload = {
                "decision_id": decision_id,
                "key": current.key,
                "status": status,
                "reason": clean.reason,
            }
            insert_event(conn, run_id, "decision.answered", payload, _EVENT_LIMIT)
            return _get(conn, run_id, decision_id)


def _get(conn: sqlite3.Connection, run_id: str, decision_id: int) -> Decision:
    row = conn.execute(
        "SELECT * FROM decisions WHERE id = ? AND run_id = ?", (decision_id, run_id)
    ).fetchone()
    if row is None:
        raise DecisionNotFound(
            f"run {run_id} has no decision {decision_id} — list its decisions to see the ids"
        )
    return from_row(Decision, row, DECISION_JSON_FIELDS)


def _by_key(conn: sqlite3.Connection, run_id: str, key: str) -> Decision | None:
    row = conn.execute("SELECT * FROM decisions WHERE run_id = ? AND key = ?", (run_id, key)).fetchone()
    return None if row is None else from_row(Decision, row, DECISION_JSON_FIELDS)
