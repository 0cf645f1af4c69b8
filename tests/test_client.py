"""The notebook API: options, workspaces (Kaggle's included), and runs driven through real agents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.client import Lab, Run, workspace_root
from mlestar_lab.client.kaggle import check_writable, competition_dir
from mlestar_lab.client.options import run_config
from mlestar_lab.errors import UserError


def test_options_read_like_the_cli_flags() -> None:
    config = run_config("90s", "ask,merge=auto", models=2, notebook_timeout="2m", target="progression")
    assert config.time_budget == 90 and config.notebook_timeout == 120 and config.models == 2
    assert "merge" not in config.gates and config.gates["ablation"] == "ask"
    assert config.task_overrides == {"target": "progression"}
    assert run_config(300, {"submission": "ask"}).gates == {"submission": "ask"}
    cluster = run_config(scheduler="tcp://10.0.0.5:8786", dask_data="ship")
    assert (cluster.executor, cluster.scheduler, cluster.dask_data) == ("dask", "tcp://10.0.0.5:8786", "ship")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"modles": 2}, "unknown option 'modles'; run options are"),
        ({"models": 0}, "invalid option models: Input should be greater than or equal to 1"),
        ({"time_budget": "soon"}, "cannot read the duration 'soon'"),
        ({"gates": "ablation=maybe"}, "cannot read the gate setting 'ablation=maybe'"),
        ({"task_overrides": {"target": "y"}}, "unknown option 'task_overrides'"),
        ({"scheduler": "10.0.0.5:8786"}, "write it as tcp://HOST:PORT"),
    ],
)
def test_bad_options_say_what_to_fix(options: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        run_config(**options)  # type: ignore[arg-type]


@pytest.fixture
def kaggle_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "kaggle"
    (root / "input" / "titanic").mkdir(parents=True)
    (root / "input" / "competitions" / "house-prices").mkdir(parents=True)
    (root / "working").mkdir()
    monkeypatch.delenv("MLESTAR_HOME", raising=False)
    return root


def test_inside_kaggle_runs_go_to_the_working_folder(
    kaggle_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workspace_root(None, kaggle_root) == kaggle_root / "working" / "mlestar-runs"
    assert workspace_root("elsewhere", kaggle_root) == Path("elsewhere").resolve()
    monkeypatch.setenv("MLESTAR_HOME", str(kaggle_root / "home"))
    assert workspace_root(None, kaggle_root) == kaggle_root / "home"
    monkeypatch.delenv("MLESTAR_HOME")
    assert workspace_root(None, kaggle_root / "nowhere") == (Path.cwd() / "mlestar-runs").resolve()


def test_kaggle_competitions_are_found_by_slug(kaggle_root: Path) -> None:
    assert competition_dir("titanic", kaggle_root) == kaggle_root / "input" / "titanic"
    assert (
        competition_dir("house-prices", kaggle_root)
        == kaggle_root / "input" / "competitions" / "house-prices"
    )
    with pytest.raises(
        UserError, match=r"no competition 'spaceship' .*found: competitions, titanic.*Add Input"
    ):
        competition_dir("spaceship", kaggle_root)
    with pytest.raises(UserError, match="is not a competition slug"):
        competition_dir("../working", kaggle_root)


def test_an_unwritable_workspace_is_refused_before_anything_is_recorded(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match=r"the workspace .*a-file/runs is not writable .*pass workspace="):
        Lab(blocker / "runs")
    assert check_writable(tmp_path / "new" / "ws").is_dir()
    assert sorted(p.name for p in (tmp_path / "new" / "ws").iterdir()) == [], "the probe file is removed"


def test_start_refuses_a_missing_task_folder(tmp_path: Path) -> None:
    lab = Lab(tmp_path / "ws")
    with pytest.raises(UserError, match="is not a folder: pass the competition folder"):
        lab.start(tmp_path / "missing")
    assert lab.store.list_runs() == []


def test_a_folder_that_cannot_be_changed_is_fixed_with_options(tmp_path: Path, demo_task_dir: Path) -> None:
    task = tmp_path / "kaggle-input" / "diabetes"
    shutil.copytree(demo_task_dir, task)
    (task / "description.md").unlink()
    lab = Lab(tmp_path / "ws")
    with pytest.raises(
        UserError, match=r"no description.md .* or pass the task settings to start\(\), e.g. metric="
    ):
        lab.start(task)
    run = lab.start(task, metric="rmse", time_budget="1m", gates="retrieval=ask", workers=1)
    assert run.record.metric == "rmse" and run.record.config["task_overrides"] == {"metric": "rmse"}
    run.wait(timeout=120)
    assert run.stop().status == "interrupted"


def test_waiting_on_a_run_without_an_agent_says_how_to_continue(tmp_path: Path, demo_task_dir: Path) -> None:
    lab = Lab(tmp_path / "ws")
    record = create_run(lab.workspace, lab.store, demo_task_dir, RunConfig(workers=1))
    run = lab.attach(record.id[:12])
    assert run.id == record.id and not run.alive
    with pytest.raises(
        UserError, match=r"is created but no agent is executing it; continue it with run.resume\(\)"
    ):
        run.wait(timeout=5)
    with pytest.raises(UserError, match=r"not running \(created\); nothing to stop"):
        run.stop()


def test_a_run_started_waited_for_and_rejected(tmp_path: Path, demo_task_dir: Path) -> None:
    lab = Lab(tmp_path / "ws")
    run = lab.start(demo_task_dir, time_budget="5m", gates="retrieval=ask", workers=1)
    waiting = run.wait(timeout=120)
    assert waiting.status == "running" and run.alive
    [decision] = run.decisions()
    assert decision.gate == "retrieval" and decision.request["editable"] == ["families"]
    with pytest.raises(UserError, match="already running; stop it first"):
        run.resume()
    with pytest.raises(UserError, match="unknown model families nope"):
        run.edit(decision, families=["nope"])
    run.reject(decision, reason="not these families")
    final = run.wait(timeout=120)
    assert final.status == "failed" and "not these families" in (final.error or "")
    assert run.decisions() == [] and run.decisions(status=None)[0].status == "rejected"
    assert list(lab.runs().index) == [run.id] and lab.runs().loc[run.id, "status"] == "failed"
    assert isinstance(lab.attach(run.id), Run)
