"""The Kaggle routes of the REST API against a real Jupyter server and the fake Kaggle API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.kaggle_data import public_kernel
from fakes.kaggle_server import DROP, FakeKaggle

from mlestar_lab.store.models import RunRecord

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures", "kaggle_fixtures")


async def test_download_creates_a_task_folder_under_the_root(
    api: Any, fake_kaggle: FakeKaggle, jp_root_dir: Path
):
    status, body = await api("POST", "kaggle", "download", body={"competition": "tiny-titanic"})
    assert status == 201, body
    assert body["task"] == "tiny-titanic" and body["competition"]["metric"] == "auc"
    assert (jp_root_dir / "tiny-titanic" / "train.csv").is_file()
    status, listed = await api("GET", "tasks")
    assert "tiny-titanic" in [t["path"] for t in listed["tasks"]]


async def test_kaggle_failures_map_to_clear_statuses(api: Any, fake_kaggle: FakeKaggle, jp_root_dir: Path):
    status, body = await api("POST", "kaggle", "download", body={"competition": "nope-nope"})
    assert status == 404 and "HTTP 404" in body["message"]
    fake_kaggle.fail["DownloadDataFiles"] = DROP
    status, body = await api("POST", "kaggle", "download", body={"competition": "tiny-titanic"})
    assert status == 502 and "lost the connection" in body["message"]
    status, body = await api(
        "POST", "kaggle", "download", body={"competition": "tiny-titanic", "dir": "../out"}
    )
    assert status == 400 and "'..' is not allowed" in body["message"]
    assert not (jp_root_dir / "tiny-titanic").exists()


async def test_push_and_submit_refuse_a_run_without_a_solution(
    api: Any, fake_kaggle: FakeKaggle, record_run: Callable[[], RunRecord]
):
    run = record_run()
    status, body = await api("POST", "runs", run.id, "kaggle", "submit", body={"competition": "tiny-titanic"})
    assert status == 400 and "has no submission.csv yet" in body["message"]
    status, body = await api("POST", "runs", run.id, "kaggle", "push", body={"competition": "tiny-titanic"})
    assert status == 400 and "no final solution yet" in body["message"]
    status, body = await api("GET", "runs", run.id, "kaggle", "status")
    assert status == 400 and "nothing on Kaggle yet" in body["message"]
    status, body = await api("POST", "runs", "no-such-run", "kaggle", "submit", body={})
    assert status == 404


async def test_pull_of_a_missing_kernel_is_a_404_and_starts_nothing(api: Any, fake_kaggle: FakeKaggle):
    status, body = await api("POST", "kaggle", "pull", body={"kernel": "someone/missing-kernel"})
    assert status == 404 and "pulling kernel someone/missing-kernel" in body["message"]
    status, body = await api("GET", "runs")
    assert body["runs"] == []


async def test_pull_creates_a_run_whose_first_candidates_include_the_notebook(
    api: Any, fake_kaggle: FakeKaggle, jp_root_dir: Path
):
    fake_kaggle.add_kernel(public_kernel())
    status, body = await api(
        "POST", "kaggle", "pull", body={"kernel": "someone/simple-logreg", "time_budget": "30s"}
    )
    assert status == 201, body
    assert body["task_dir"] == str((jp_root_dir / "tiny-titanic").resolve())
    (notebook,) = body["config"]["starting_notebooks"]
    assert (Path(body["run_dir"]) / notebook).is_file()
    status, _ = await api("POST", "runs", body["id"], "stop")
    assert status in (200, 409)  # stopped, or already finished
