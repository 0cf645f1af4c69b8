"""The run store: records, events, migrations, secrets, crashes and concurrency."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pydantic import ValidationError

from mlestar_lab.errors import RunNotFound, UserError
from mlestar_lab.store import schema
from mlestar_lab.store.models import ErrorInfo, Finding, RunRecord, StepRecord
from mlestar_lab.store.redact import REDACTED, env_secrets, redact
from mlestar_lab.store.store import RunStore, StepNotFound, StoreConflict
from mlestar_lab.store.workspace import ENV_HOME, Workspace, default_root, safe_name

GOOGLE_KEY = "AIza" + "Sy" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7"
OPENAI_KEY = "sk-" + "proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3"
KAGGLE_TOKEN = "KGAT_" + "0123456789abcdef0123456789abcdef"


def run_record(run_id: str = "demo-20260101-000000-abcd", **fields: object) -> RunRecord:
    base = {
        "id": run_id,
        "task_name": "demo",
        "task_dir": "/data/demo",
        "run_dir": f"/runs/{run_id}",
        "strategist": "offline",
        "metric": "rmse",
        "higher_is_better": False,
    }
    return RunRecord.model_validate({**base, **fields})


def step_record(run_id: str, key: str, **fields: object) -> StepRecord:
    return StepRecord.model_validate({"run_id": run_id, "key": key, "stage": "candidate", **fields})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    with RunStore(tmp_path / "mlestar.db") as opened:
        yield opened


@pytest.fixture
def run(store: RunStore) -> RunRecord:
    return store.create_run(run_record())


# -- runs ---------------------------------------------------------------------------------------


def test_create_get_list_and_json_config(store: RunStore) -> None:
    created = store.create_run(run_record(config={"folds": 5, "gates": {"refine": "ask"}}))
    assert created.created_at > 0 and created.updated_at >= created.created_at
    again = store.get_run(created.id)
    assert again == created
    assert again.config == {"folds": 5, "gates": {"refine": "ask"}}
    assert again.higher_is_better is False
    second = store.create_run(run_record("other-20260101-000001-0000"))
    assert [r.id for r in store.list_runs()] == [created.id, second.id]


def test_missing_run_says_how_to_list_runs(store: RunStore) -> None:
    with pytest.raises(RunNotFound, match="no run 'nope' — `mlestar runs` lists them"):
        store.get_run("nope")


def test_duplicate_run_id_is_a_conflict(store: RunStore, run: RunRecord) -> None:
    with pytest.raises(StoreConflict, match="already exists"):
        store.create_run(run_record(run.id))


def test_find_run_by_unique_prefix(store: RunStore) -> None:
    store.create_run(run_record("alpha-20260101-000000-aaaa"))
    store.create_run(run_record("alpha-20260101-000000-bbbb"))
    store.create_run(run_record("beta-20260101-000000-cccc"))
    assert store.find_run("beta").id == "beta-20260101-000000-cccc"
    assert store.find_run("alpha-20260101-000000-b").id == "alpha-20260101-000000-bbbb"
    assert store.find_run("alpha-20260101-000000-aaaa").id == "alpha-20260101-000000-aaaa"
    with pytest.raises(UserError, match="matches 2 runs"):
        store.find_run("alpha")
    with pytest.raises(RunNotFound, match="`mlestar runs` lists them"):
        store.find_run("gamma")
    with pytest.raises(RunNotFound):
        store.find_run("")


def test_update_run_validates_fields_and_values(store: RunStore, run: RunRecord) -> None:
    updated = store.update_run(run.id, status="running", stage="candidate", best_score=0.25)
    assert (updated.status, updated.stage, updated.best_score) == ("running", "candidate", 0.25)
    assert updated.updated_at >= run.updated_at
    with pytest.raises(ValueError, match=r"unknown run field\(s\) \['colour'\]"):
        store.update_run(run.id, colour="red")
    with pytest.raises(ValueError, match="cannot change"):
        store.update_run(run.id, id="other")
    with pytest.raises(ValidationError):
        store.update_run(run.id, status="exploded")
    with pytest.raises(RunNotFound):
        store.update_run("missing", status="running")
    assert store.get_run(run.id).status == "running"


# -- steps --------------------------------------------------------------------------------------


def test_steps_get_ids_keys_are_unique_per_run(store: RunStore, run: RunRecord) -> None:
    first = store.add_step(step_record(run.id, "candidate/lightgbm"))
    second = store.add_step(step_record(run.id, "ablation/1", stage="ablation", parent_id=first.id))
    assert first.id is not None and second.id is not None and second.id > first.id
    with pytest.raises(StoreConflict, match="already has a step with key 'candidate/lightgbm'"):
        store.add_step(step_record(run.id, "candidate/lightgbm"))
    other = store.create_run(run_record("other-20260101-000000-0000"))
    assert store.add_step(step_record(other.id, "candidate/lightgbm")).run_id == other.id
    assert [s.key for s in store.steps(run.id)] == ["candidate/lightgbm", "ablation/1"]
    assert [s.key for s in store.steps(run.id, stage="ablation")] == ["ablation/1"]
    assert store.step_by_key(run.id, "ablation/1") == second
    assert store.step_by_key(run.id, "nothing") is None
    with pytest.raises(ValueError, match="assigns step ids"):
        store.add_step(second)
    with pytest.raises(RunNotFound):
        store.add_step(step_record("missing-run", "x"))
    with pytest.raises(StepNotFound, match="no step 999"):
        store.add_step(step_record(run.id, "orphan", parent_id=999))


def test_update_step_round_trips_json_columns(store: RunStore, run: RunRecord) -> None:
    step = store.add_step(step_record(run.id, "candidate/a", plan="plain plan"))
    assert step.id is not None
    findings = [Finding(checker="leakage", severity="error", message="fit on test", block="features", line=3)]
    error = ErrorInfo(cell_index=4, block="train", ename="ValueError", evalue="bad", traceback="Traceback …")
    updated = store.update_step(
        step.id, status="error", findings=findings, error=error, info={"folds": [1, 2], "seed": 7}
    )
    assert updated == store.get_step(step.id)
    assert updated.findings == findings and updated.error == error
    assert updated.info == {"folds": [1, 2], "seed": 7}
    assert updated.finished
    with pytest.raises(ValueError, match="cannot change"):
        store.update_step(step.id, key="renamed")
    with pytest.raises(ValueError, match="unknown step field"):
        store.update_step(step.id, scroe=1.0)
    with pytest.raises(StepNotFound):
        store.get_step(12345)


# -- events -------------------------------------------------------------------------------------


def test_every_change_writes_one_small_event(store: RunStore, run: RunRecord) -> None:
    step = store.add_step(step_record(run.id, "candidate/a"))
    assert step.id is not None
    store.update_step(step.id, status="ok", score=1.5, diff="+" * 50_000)
    store.update_step(step.id, score=1.5)  # no change: no event
    store.update_run(run.id, best_score=1.5, best_step_id=step.id)
    store.add_event(run.id, "stage.started", {"stage": "ablation", "text": "x" * 10_000})
    events = store.events(run.id)
    assert [e.kind for e in events] == [
        "run.created",
        "step.added",
        "step.updated",
        "run.updated",
        "stage.started",
    ]
    assert [e.seq for e in events] == list(range(1, 6))
    changes = events[2].payload["changes"]
    assert changes["status"] == "ok" and changes["score"] == 1.5
    assert len(changes["diff"]) < 400 and "(50000 chars)" in changes["diff"]
    assert events[3].payload == {"changes": {"best_score": 1.5, "best_step_id": step.id}}
    assert len(events[4].payload["text"]) < 4100
    assert store.last_seq() == 5


def test_a_rejected_update_writes_neither_change_nor_event(store: RunStore, run: RunRecord) -> None:
    before = store.last_seq()
    with pytest.raises(ValidationError):
        store.update_run(run.id, status="running", tokens="many")
    assert store.get_run(run.id).status == "created"
    assert store.last_seq() == before


def test_events_page_with_since_and_filter_by_run(store: RunStore, run: RunRecord) -> None:
    other = store.create_run(run_record("other-20260101-000000-0000"))
    for i in range(23):
        store.add_event(run.id if i % 3 else other.id, "log", {"i": i})
    everything = store.events()
    pages, since = [], 0
    while page := store.events(since=since, limit=7):
        assert len(page) <= 7
        pages.extend(page)
        since = page[-1].seq
    assert pages == everything and len(everything) == 25
    mine = store.events(run.id)
    assert {e.run_id for e in mine} == {run.id} and [e.seq for e in mine] == sorted(e.seq for e in mine)
    assert store.events(since=store.last_seq()) == []
    with pytest.raises(ValueError, match="limit"):
        store.events(limit=0)
    with pytest.raises(RunNotFound):
        store.add_event("missing", "log", {})


# -- secrets ------------------------------------------------------------------------------------


def test_secrets_are_redacted_in_every_text_field(
    store: RunStore, run: RunRecord, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_value = "opaque-value-from-the-environment-42"
    monkeypatch.setenv("MY_SERVICE_TOKEN", env_value)
    step = store.add_step(
        step_record(run.id, "refine/1", plan=f"call the API with {GOOGLE_KEY}", diff=f"+key = '{OPENAI_KEY}'")
    )
    assert step.id is not None
    updated = store.update_step(
        step.id,
        findings=[Finding(checker="leakage", severity="warning", message=f"saw {KAGGLE_TOKEN}")],
        error=ErrorInfo(ename="HTTPError", evalue="401", traceback=f"header: Bearer {env_value}"),
        info={"note": env_value},
    )
    store.update_run(run.id, error=f"failed with {OPENAI_KEY}", config={"api_key": GOOGLE_KEY})
    store.add_event(run.id, "log", {"line": f"token {KAGGLE_TOKEN}", env_value: 1})
    assert REDACTED in updated.plan and GOOGLE_KEY not in updated.plan
    assert updated.diff == f"+key = '{REDACTED}'"
    assert updated.findings[0].message == f"saw {REDACTED}"
    assert updated.error is not None and env_value not in updated.error.traceback
    assert updated.info == {"note": REDACTED}
    assert store.get_run(run.id).config == {"api_key": REDACTED}
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("mlestar.db"))
    for secret in (GOOGLE_KEY, OPENAI_KEY, KAGGLE_TOKEN, env_value):
        assert secret.encode() not in raw
    assert raw.count(REDACTED.encode()) >= 8


def test_redact_keeps_ordinary_text() -> None:
    code = (
        "vec = TfidfVectorizer(token_pattern=r'(?u)\\b\\w\\w+\\b')\n"
        "tokenizer = load('bert-base')\npassword_hint = None\ntask-name 'sk-learn'"
    )
    assert redact(code, secrets=[]) == code
    assert redact('client_secret = "s3cr3t-value-1"', secrets=[]) == f'client_secret = "{REDACTED}"'
    assert redact('{"username": "me", "key": "' + "ab" * 16 + '"}', secrets=[]) == (
        '{"username": "me", "key": "' + REDACTED + '"}'
    )
    assert redact("Authorization: Bearer abcdefghijklmnop.qrstuv", secrets=[]) == (
        f"Authorization: Bearer {REDACTED}"
    )


def test_env_secrets_skip_short_values_paths_and_other_names() -> None:
    env = {
        "KAGGLE_KEY": "0123456789abcdef",
        "OPENAI_API_KEY": "short",
        "KAGGLE_API_TOKEN": "/home/me/.kaggle/access_token",
        "HOME": "/home/me/long-enough-value",
        "DB_PASSWORD": "correct horse battery",
    }
    assert env_secrets(env) == ["correct horse battery", "0123456789abcdef"]


# -- schema and migrations ----------------------------------------------------------------------


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_every_model_field_has_a_column_and_pragmas_are_set(store: RunStore) -> None:
    conn = sqlite3.connect(store.path)
    assert _columns(conn, "runs") == set(RunRecord.model_fields)
    assert _columns(conn, "steps") == set(StepRecord.model_fields)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == schema.DB_SCHEMA_VERSION
    conn.close()
    pragmas = store._conn()
    assert pragmas.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert pragmas.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert pragmas.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_forward_migration_keeps_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mlestar.db"
    with RunStore(path) as old:
        old.create_run(run_record())
    added = ("ALTER TABLE runs ADD COLUMN note TEXT", "CREATE INDEX runs_by_status ON runs (status)")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, added))
    monkeypatch.setattr(schema, "DB_SCHEMA_VERSION", len(schema.MIGRATIONS))
    with RunStore(path) as new:
        assert new.get_run(run_record().id).task_name == "demo"
    conn = sqlite3.connect(path)
    assert "note" in _columns(conn, "runs")
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, len(schema.MIGRATIONS) + 1))
    conn.close()


def test_a_version_1_database_gains_the_decisions_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mlestar.db"
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        patch.setattr(schema, "DB_SCHEMA_VERSION", 1)
        with RunStore(path) as old:
            old.create_run(run_record())
    with RunStore(path) as new:
        assert new.get_run(run_record().id).task_name == "demo"
        assert new.decisions(run_record().id) == []


def test_newer_or_foreign_databases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mlestar.db"
    RunStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (99, 0)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer mlestar-lab"):
        RunStore(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all, just text" * 100)
    with pytest.raises(UserError, match="not a usable mlestar run store"):
        RunStore(junk)


# -- crashes and concurrency --------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mlestar_lab.store.models import StepRecord
    from mlestar_lab.store.store import RunStore

    store = RunStore(Path(sys.argv[1]))
    run_id = sys.argv[2]
    i = 0
    while True:
        step = store.add_step(StepRecord(run_id=run_id, key=f"s{i}", stage="candidate", plan="p" * 3000))
        store.update_step(step.id, status="ok", score=float(i), info={"i": i})
        store.add_event(run_id, "log", {"i": i})
        print(i, flush=True)
        i += 1
    """
)


def test_a_step_and_its_folder_are_recorded_together_or_not_at_all(
    store: RunStore, run: RunRecord, tmp_path: Path
) -> None:
    """A resume reads a step's notebook back from output_dir: a row without it must never exist."""

    def broken(step_id: int) -> dict[str, object]:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.add_step(step_record(run.id, "candidate/lightgbm"), broken)
    assert store.step_by_key(run.id, "candidate/lightgbm") is None
    assert [e.kind for e in store.events(run.id)] == ["run.created"]

    def folder(step_id: int) -> dict[str, object]:
        return {"output_dir": str(tmp_path / f"{step_id:04d}"), "diff": "+x"}

    step = store.add_step(step_record(run.id, "candidate/lightgbm"), folder)
    assert step.output_dir == str(tmp_path / f"{step.id:04d}") and step.diff == "+x"
    assert [e.kind for e in store.events(run.id)] == ["run.created", "step.added", "step.updated"]
    with pytest.raises(ValueError, match="cannot change"):
        store.add_step(step_record(run.id, "other"), lambda step_id: {"key": "renamed"})
    assert store.step_by_key(run.id, "other") is None


def test_kill_9_of_a_writer_loses_no_committed_step(tmp_path: Path) -> None:
    path = tmp_path / "mlestar.db"
    with RunStore(path) as setup:
        run_id = setup.create_run(run_record()).id
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), run_id], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    committed = [int(writer.stdout.readline()) for _ in range(40)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL

    with RunStore(path) as store:
        steps = store.steps(run_id)
        by_key = {s.key: s for s in steps}
        for i in committed:
            step = by_key[f"s{i}"]
            assert (step.status, step.score, step.info) == ("ok", float(i), {"i": i})
        assert [s.key for s in steps] == [f"s{i}" for i in range(len(steps))]
        assert all(s.status == "ok" for s in steps[:-1])
        events = store.events(limit=100_000)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert sum(e.kind == "step.added" for e in events) == len(steps)
        assert sum(e.kind == "step.updated" for e in events) == sum(s.status == "ok" for s in steps)
        assert store.add_step(step_record(run_id, "after-crash")).id is not None
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_readers_see_consistent_snapshots_while_a_thread_writes(store: RunStore, run: RunRecord) -> None:
    done, failures = threading.Event(), []

    def write() -> None:
        try:
            for i in range(120):
                step = store.add_step(step_record(run.id, f"s{i}"))
                assert step.id is not None
                store.update_step(step.id, status="ok", score=float(i))
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            done.set()

    def read(reader: RunStore) -> None:
        seen = 0
        try:
            while True:
                finished = done.is_set()
                steps = reader.steps(run.id)
                assert [s.key for s in steps] == [f"s{i}" for i in range(len(steps))]
                assert len(steps) >= seen
                seen = len(steps)
                seqs = [e.seq for e in reader.events(run.id, limit=10_000)]
                assert seqs == list(range(1, len(seqs) + 1))
                if finished:
                    return
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)

    second = RunStore(store.path)
    threads = [threading.Thread(target=write)]
    threads += [threading.Thread(target=read, args=(r,)) for r in (store, store, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.close()
    assert failures == []
    assert len(store.steps(run.id)) == 120


def test_finished_threads_do_not_keep_connections_open(store: RunStore, run: RunRecord) -> None:
    process = psutil.Process()
    before = process.num_fds()
    for _ in range(60):
        thread = threading.Thread(target=store.get_run, args=(run.id,))
        thread.start()
        thread.join()
    assert process.num_fds() - before < 10  # three descriptors per connection if none were closed


DECIDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mlestar_lab.store.store import RunStore

    with RunStore(Path(sys.argv[1])) as store:
        store.update_step(int(sys.argv[2]), decided_by="user-approved", decision_reason="looks right")
    """
)


def test_another_process_can_record_a_decision(store: RunStore, run: RunRecord) -> None:
    step = store.add_step(step_record(run.id, "refine/1"))
    subprocess.run([sys.executable, "-c", DECIDER, str(store.path), str(step.id)], check=True)
    assert store.get_step(step.id or 0).decided_by == "user-approved"
    last = store.events(run.id)[-1]
    assert last.kind == "step.updated"
    assert last.payload["changes"] == {"decided_by": "user-approved", "decision_reason": "looks right"}


# -- workspace ----------------------------------------------------------------------------------


def test_workspace_paths_ids_and_default_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "home"))
    assert default_root() == tmp_path / "home"
    monkeypatch.delenv(ENV_HOME)
    monkeypatch.chdir(tmp_path)
    assert default_root() == tmp_path / "mlestar-runs"

    workspace = Workspace(tmp_path / "ws")
    assert not workspace.root.exists()
    ids = {workspace.new_run_id("House Prices: Advanced/Regression") for _ in range(50)}
    assert len(ids) == 50
    run_id = min(ids)
    assert run_id.startswith("house-prices-advanced-regression-2")
    assert re.fullmatch(r"house-prices-advanced-regression-\d{8}-\d{6}-[0-9a-f]{4}", run_id)
    assert safe_name(" Ünïcode / ** ") == "n-code" and safe_name("***") == "run"
    assert workspace.run_dir(run_id) == tmp_path / "ws" / "runs" / run_id
    assert workspace.step_dir(run_id, 7, "Refine/features plan#2").name == "0007-refine-features-plan-2"
    for bad in ("../etc", "a/b", "", "UPPER"):
        with pytest.raises(UserError, match="not a valid run id"):
            workspace.run_dir(bad)
    assert not workspace.root.exists()
    with workspace.open_store() as store:
        store.create_run(run_record(run_id))
    assert workspace.db_path.is_file()
