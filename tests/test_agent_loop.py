"""The whole MLE-STAR loop, for real, on small real tasks: stages, failures, leakage, data usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import nbformat
import pandas as pd
import pytest

from mlestar_lab.agent import budget as budget_module
from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import Block, new_notebook
from mlestar_lab.report import run_report
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.strategist.base import AblationVariant, BlockChoice, Draft, ModelFamily
from mlestar_lab.strategist.offline.strategist import OfflineStrategist

SMALL = dict(models=2, outer_steps=1, inner_steps=2, ensemble_rounds=2, workers=2, time_budget=240.0)


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Workspace, RunStore]:
    ws = Workspace(tmp_path / "ws")
    return ws, RunStore(ws.db_path)


def test_demo_run_goes_through_every_stage(workspace, demo_task_dir):
    ws, store = workspace
    run = create_run(ws, store, demo_task_dir, RunConfig(**SMALL))
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error
    report = run_report(store, run.id)
    stages = {s["stage"] for s in report["stages"]}
    assert {"candidate", "merge", "ablation", "refinement", "ensemble"} <= stages
    outer = report["ablations"][0]
    assert outer["table"] and outer["chosen_block"]
    assert all(row["delta"] is not None for row in outer["table"] if row["status"] == "ok")
    assert outer["refinements"] and all(
        r["delta"] is not None for r in outer["refinements"] if r["status"] == "ok"
    )
    assert report["ensembles"]
    for step in report["steps"]:
        if step["score"] is not None:
            executed = nbformat.read(step["notebook"], as_version=4)
            text = json.dumps(executed)
            assert contract.SCORE_PREFIX in text
    submission = pd.read_csv(final.submission_path)
    sample = pd.read_csv(Path(demo_task_dir) / "sample_submission.csv")
    assert list(submission.columns) == list(sample.columns)
    assert sorted(submission.iloc[:, 0]) == sorted(sample.iloc[:, 0])
    assert final.best_score == report["run"]["best_score"]


class BrokenCandidates(OfflineStrategist):
    """The offline strategist, except that three families get notebooks that fail in real ways."""

    FAILURES: ClassVar[dict[str, str]] = {
        "raises": "raise ValueError('bad column')",
        "loops": "while True:\n    pass",
        "hog": "import numpy as np\nchunks = [np.ones(50_000_000) for _ in range(12)]",
        "leaks": (
            "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
            "train = pd.read_csv(DATA_DIR + '/train.csv')\ntest = pd.read_csv(DATA_DIR + '/test.csv')\n"
            "scaler = StandardScaler().fit(pd.concat([train, test]))"
        ),
    }

    def retrieve(self, task, count):
        real = super().retrieve(task, 1)
        return real + [ModelFamily(name, name, "deliberately broken", "") for name in self.FAILURES]

    def write_candidate(self, task, family):
        if family.name not in self.FAILURES:
            return super().write_candidate(task, family)
        nb = new_notebook(
            [Block("main", "model", self.FAILURES[family.name])], {"DATA_DIR": ".", "OUTPUT_DIR": "."}
        )
        return Draft(notebook=nb, title=f"broken: {family.name}")

    def debug(self, task, draft, error, attempt):
        if draft.title.startswith("broken"):
            return None
        return super().debug(task, draft, error, attempt)


def test_failing_candidates_are_recorded_and_the_run_goes_on(workspace, demo_task_dir, monkeypatch):
    ws, store = workspace
    monkeypatch.setattr("mlestar_lab.agent.lifecycle.make_strategist", lambda *a, **k: BrokenCandidates())
    config = RunConfig(
        **{
            **SMALL,
            "models": 5,
            "outer_steps": 0,
            "ensemble_rounds": 0,
            "notebook_timeout": 20.0,
            "memory_limit_mb": 1500,
        }
    )
    run = create_run(ws, store, demo_task_dir, config)
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error
    by_title = {s.title: s for s in store.steps(run.id, stage="candidate") if s.title.startswith("broken")}
    raises, loops, hog, leaks = (by_title[f"broken: {n}"] for n in ("raises", "loops", "hog", "leaks"))
    assert (
        raises.status == "error"
        and raises.error.ename == "ValueError"
        and "bad column" in raises.error.evalue
    )
    assert raises.error.block == "main"
    assert loops.status == "timeout" and "time limit" in loops.reason
    assert hog.status == "killed" and "memory" in hog.reason
    assert leaks.status == "rejected" and any(
        f.checker == "leakage" and f.severity == "error" for f in leaks.findings
    )
    assert not (Path(leaks.output_dir) / contract.EXECUTED_NOTEBOOK).exists(), "leaky code must never run"
    assert Path(final.submission_path).exists()


def test_an_extra_table_that_is_never_read_is_reported(workspace, demo_task_dir, tmp_path):
    ws, store = workspace
    task_dir = tmp_path / "with_extra"
    task_dir.mkdir()
    for path in Path(demo_task_dir).iterdir():
        (task_dir / path.name).write_bytes(path.read_bytes())
    (task_dir / "extra").mkdir()
    pd.DataFrame({"station": [1, 2, 3], "rainfall": [0.1, 0.0, 2.5]}).to_csv(
        task_dir / "extra" / "weather.csv"
    )
    config = RunConfig(**{**SMALL, "models": 1, "outer_steps": 0, "ensemble_rounds": 0})
    run = create_run(ws, store, task_dir, config)
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error
    findings = run_report(store, run.id)["findings"]
    usage = [f for f in findings if f["checker"] == "data_usage" and "weather.csv" in f["message"]]
    assert usage, findings


class NoIdeas(OfflineStrategist):
    """The solution stays as it was after every outer step: refinement finds nothing to try, and
    each ablation variant is the solution itself (executed and scored, never better)."""

    def design_ablation(self, task, solution):
        real = super().design_ablation(task, solution)
        return [AblationVariant(v.block, f"unchanged {v.block}", solution.notebook) for v in real]

    def plan_refinement(self, task, solution, block, history):
        return None


def test_an_unchanged_base_reuses_its_ablation_study(workspace, demo_task_dir, monkeypatch):
    ws, store = workspace
    monkeypatch.setattr("mlestar_lab.agent.lifecycle.make_strategist", lambda *a, **k: NoIdeas())
    config = RunConfig(**{**SMALL, "models": 1, "outer_steps": 2, "ensemble_rounds": 0})
    run = create_run(ws, store, demo_task_dir, config)
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error

    first = store.step_by_key(run.id, "ablation/1")
    second = store.step_by_key(run.id, "ablation/2")
    assert first is not None and second is not None
    assert second.info["base_step"] == first.info["base_step"]
    assert second.info["reused_from"] == first.id and "the base is unchanged" in second.plan
    assert second.info["table"] == first.info["table"]
    assert second.block != first.block, "the next block is chosen, not the one already refined"
    variants = [s.key for s in store.steps(run.id, stage="ablation") if s.key.count("/") == 2]
    assert variants and all(key.startswith("ablation/1/") for key in variants)


class AlwaysTheModel(OfflineStrategist):
    """The offline strategist, except that every ablation study picks the model block again."""

    def choose_block(self, task, solution, table, refined):
        return BlockChoice("model", "the test always refines the model")


def test_a_plan_never_runs_twice_on_the_same_solution(workspace, demo_task_dir, monkeypatch):
    ws, store = workspace
    monkeypatch.setattr("mlestar_lab.agent.lifecycle.make_strategist", lambda *a, **k: AlwaysTheModel())
    config = RunConfig(**{**SMALL, "models": 1, "outer_steps": 2, "inner_steps": 2, "ensemble_rounds": 0})
    run = create_run(ws, store, demo_task_dir, config)
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error

    refinements = [s for s in store.steps(run.id, stage="refinement") if "/fix" not in s.key]
    tried = [(s.parent_id, s.block, s.title) for s in refinements]
    assert refinements and len(tried) == len(set(tried)), tried
    studies = [s for s in store.steps(run.id, stage="ablation") if s.key.count("/") == 1]
    assert [s.block for s in studies] == ["model"] * len(studies)
    plans = {s.title for s in refinements}
    assert len(refinements) <= 2 * len(plans), "each outer step runs only plans new to its solution"


def test_an_open_ended_run_keeps_refining_while_time_is_left(workspace, demo_task_dir, monkeypatch):
    """Without an explicit T the paper's outer steps are a floor, not a ceiling.

    The floor is lowered to 1 here, and the budget is 75 s, so that a loaded machine (the suite
    runs in two processes) still has time for a study after it.
    """
    monkeypatch.setattr(budget_module, "PAPER_OUTER_STEPS", 1)
    ws, store = workspace
    config = RunConfig(models=1, inner_steps=1, ensemble_rounds=0, workers=2, time_budget=75.0)
    run = create_run(ws, store, demo_task_dir, config)
    final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error
    assert final.elapsed_seconds <= config.time_budget
    studies = [s for s in store.steps(run.id, stage="ablation") if s.key.count("/") == 1]
    assert studies, "the budget left no time for the floor's one outer step"
    out_of_ideas = studies[-1].block is None
    assert len(studies) > 1 or out_of_ideas, [s.block for s in studies]
