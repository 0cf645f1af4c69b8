"""The notebooks in demo_notebooks/ executed as a user would (papermill, a real kernel), unattended.

Each runs in its own papermill process, because papermill changes the working directory of the
process it runs in. The notebooks answer their own gates through the API (`ANSWER_IN_NOTEBOOK`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from mlestar_lab.demo.competition import build_demo_task

NOTEBOOKS = Path(__file__).resolve().parent.parent / "demo_notebooks"
GUARD_SECONDS = 600  # a hung kernel fails the test instead of the whole suite


def execute(name: str, cwd: Path, *parameters: str) -> nbformat.NotebookNode:
    output = cwd / f"executed-{name}"
    env = {k: v for k, v in os.environ.items() if k != "MLESTAR_HOME"}
    command = [sys.executable, "-m", "papermill", str(NOTEBOOKS / name), str(output), "--cwd", str(cwd)]
    done = subprocess.run(
        [*command, "--no-progress-bar", "-p", "ANSWER_IN_NOTEBOOK", "True", *parameters],
        capture_output=True,
        text=True,
        env=env,
        timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(output, as_version=4)


def outputs(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    found = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in found if o.output_type == "error"]
    return found


def text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for output in outputs(notebook):
        parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.mark.slow
def test_the_panel_demo_runs_to_a_submission(tmp_path: Path) -> None:
    small = "SIZE: {models: 1, outer_steps: 1, inner_steps: 1, ensemble_rounds: 0}"
    notebook = execute("run_with_panel.ipynb", tmp_path, "-y", small)
    shown = text(notebook)
    assert "status: finished" in shown and "approving decision 1 (ablation)" in shown
    assert "approving decision 2 (submission)" in shown
    widget_views = [
        o for o in outputs(notebook) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widget_views) == 1, "the panel is displayed as a widget"
    [submission] = (tmp_path / "mlestar-runs" / "runs").glob("*/submission.csv")
    assert len(pd.read_csv(submission)) == len(
        pd.read_csv(tmp_path / "mlestar-runs/demo-competition/test.csv")
    )


@pytest.mark.slow
def test_the_kaggle_notebook_reads_input_and_writes_only_to_working(tmp_path: Path) -> None:
    small = "SIZE: {models: 1, outer_steps: 0, inner_steps: 0, ensemble_rounds: 0}"
    root = tmp_path / "kaggle-sim"
    # Built beforehand as the notebook would build it (unchanged files are never rewritten), so
    # the snapshot shows whether the run wrote anything into Kaggle's read-only input.
    build_demo_task(root / "input" / "diabetes")
    before = snapshot(root / "input")
    notebook = execute("kaggle_flow.ipynb", tmp_path, "-p", "COMPETITION", "diabetes", "-y", small)
    assert snapshot(root / "input") == before
    shown = text(notebook)
    assert f"workspace: {root / 'working' / 'mlestar-runs'}" in shown
    assert "mlestar kaggle submit" in shown and "'finished'" in shown
    submission = pd.read_csv(root / "working" / "submission.csv")
    assert list(submission.columns) == list(
        pd.read_csv(root / "input/diabetes/sample_submission.csv").columns
    )
