"""The run store: runs, steps and an append-only event log in SQLite (WAL)."""
