"""`kill -9` of the agent in the middle of a step, then `mlestar resume`: nothing finished re-runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlestar_lab.notebook import contract
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace


def _mlestar(ws: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mlestar_lab", "--workspace", str(ws), *args]


def _wait_for(predicate, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_kill_9_then_resume_reruns_no_finished_notebook(tmp_path, demo_task_dir):
    ws_root = tmp_path / "ws"
    agent = subprocess.Popen(
        _mlestar(
            ws_root,
            "run",
            str(demo_task_dir),
            "--time-budget",
            "5m",
            "--workers",
            "2",
            "--models",
            "2",
            "--outer-steps",
            "1",
            "--inner-steps",
            "2",
            "--ensemble-rounds",
            "1",
            "--quiet",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    store = RunStore(Workspace(ws_root).db_path)

    def mid_ablation() -> bool:
        runs = store.list_runs()
        if not runs:
            return False
        steps = store.steps(runs[0].id)
        return any(s.stage == "ablation" and s.status == "running" for s in steps)

    try:
        _wait_for(mid_ablation)
    finally:
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
    run = store.list_runs()[0]
    assert run.status == "running", "a killed agent leaves its run as it was"
    before = {
        s.key: (Path(s.notebook_path).stat().st_mtime_ns, s.score)
        for s in store.steps(run.id)
        if s.finished and s.notebook_path
    }
    interrupted = [s.key for s in store.steps(run.id) if s.status == "running"]
    assert before and interrupted

    resumed = subprocess.run(
        _mlestar(ws_root, "resume", run.id, "--quiet"), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    final = store.get_run(run.id)
    assert final.status == "finished" and Path(final.submission_path).exists()
    steps = store.steps(run.id)
    assert len({s.key for s in steps}) == len(steps), "no step recorded twice"
    after = {s.key: s for s in steps}
    for key, (mtime, score) in before.items():
        assert Path(after[key].notebook_path).stat().st_mtime_ns == mtime, f"{key} was re-run"
        assert after[key].score == score
    for key in interrupted:
        assert after[key].finished and (Path(after[key].output_dir) / contract.EXECUTED_NOTEBOOK).exists()

    shown = subprocess.run(_mlestar(ws_root, "show", run.id[:12]), capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    for section in ("Ablation study 1", "chosen block:", "Refinement plans", "Ensemble rounds", "submission"):
        assert section in shown.stdout
    for step in steps:
        if step.score is not None and step.notebook_path:
            assert step.notebook_path in shown.stdout, "every score is shown with its executed notebook"
