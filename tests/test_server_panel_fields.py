"""What the JupyterLab panel reads besides the records: when each step finished (the score chart's
time axis), who decided it, and the submission's path under the server root (its download link)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlestar_lab.server.runs import RunService
from mlestar_lab.store.models import RunRecord, StepRecord

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures")


async def test_run_detail_has_step_times_and_a_root_relative_submission(
    api: Any, service: RunService, record_run: Callable[[], RunRecord]
) -> None:
    run = record_run()
    step_dir = Path(run.run_dir) / "steps" / "0001-candidate"
    step = service.store.add_step(
        StepRecord(
            run_id=run.id,
            key="candidate/1",
            stage="candidate",
            status="ok",
            score=55.0,
            output_dir=str(step_dir),
            finished_at=1234.5,
            decided_by="user-edited",
        )
    )
    service.store.add_step(
        StepRecord(run_id=run.id, key="submission", stage="submission", info={"source_step": step.id})
    )
    service.store.update_run(run.id, submission_path=str(Path(run.run_dir) / "submission.csv"))

    status, body = await api("GET", "runs", run.id)

    assert status == 200
    assert [(s["finished_at"], s["decided_by"]) for s in body["steps"]] == [(1234.5, "user-edited")]
    assert body["submission"]["download"] == f"mlestar-runs/runs/{run.id}/submission.csv"
    assert body["submission"]["source_step"] == step.id


async def test_a_submission_outside_the_root_has_no_download_path(
    api: Any, service: RunService, record_run: Callable[[], RunRecord], tmp_path: Path
) -> None:
    run = record_run()
    service.store.add_step(StepRecord(run_id=run.id, key="submission", stage="submission"))
    service.store.update_run(run.id, submission_path=str(tmp_path / "elsewhere" / "submission.csv"))

    status, body = await api("GET", "runs", run.id)

    assert status == 200
    assert body["submission"]["path"].endswith("submission.csv")
    assert body["submission"]["download"] is None
