"""The offline strategist's notebooks, executed for real (papermill, one process each, via the executor).

Two batches over tiny binary (AUC), multiclass (multi-class log loss) and regression (RMSLE)
competitions: first candidates of every family, ablation variants, a refinement of every block
kind, merges, a deliberately broken notebook and a run without the folds file; then ensembles of
the candidates with every strategy, and the debugger's fix of the broken notebook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from test_offline_support import assert_outputs_match, make_task, request, run_batch, solution, stdout

from mlestar_lab.agent.verify import ScoreVerifier
from mlestar_lab.executor.models import ExecutionResult
from mlestar_lab.notebook.candidate import get_block, replace_block
from mlestar_lab.strategist.base import Attempt, Draft, ModelFamily, Solution
from mlestar_lab.strategist.offline.recipe import EnsembleSpec
from mlestar_lab.strategist.offline.render.ensemble import render_ensemble
from mlestar_lab.strategist.offline.render.notebook import default_parameters
from mlestar_lab.strategist.offline.strategist import OfflineStrategist
from mlestar_lab.task.model import Task

CANDIDATES = {
    "binary": ("lightgbm", "random_forest", "linear"),
    "multiclass": ("hist_gradient_boosting", "extra_trees", "linear"),
    "regression": ("lightgbm", "hist_gradient_boosting", "linear"),
}
ENSEMBLES = {  # every strategy once, stacking for each task type
    "binary": ("mean", "rank", "rank_hill_climb", "stacking"),
    "multiclass": ("hill_climb_top", "stacking_tuned", "top_mean"),
    "regression": ("hill_climb", "stacking", "optimize"),
}


@dataclass
class Case:
    task: Task
    kind: str
    name: str
    notebook: object
    result: ExecutionResult | None = None
    extra: dict = field(default_factory=dict)


def refine_all(strategist: OfflineStrategist, task: Task, base: Solution, block: str) -> Draft:
    """Apply every plan of `block` in turn, each kept as if it helped (stronger levels included)."""
    current, history, last = base, [], None
    while (draft := strategist.plan_refinement(task, current, block, history)) is not None:
        history.append(Attempt(draft.title, draft.plan, "ok", 1.0, 0.1, block))
        current, last = Solution(0, draft.notebook, 1.0, "", draft.title), draft
    assert last is not None
    return last


def first_stage(strategist: OfflineStrategist, task: Task) -> list[Case]:
    kind = task.task_type
    cases, drafts = [], {}
    for family in CANDIDATES[kind]:
        drafts[family] = strategist.write_candidate(task, ModelFamily(family, "", "", ""))
        cases.append(Case(task, "candidate", family, drafts[family].notebook))
    first = CANDIDATES[kind][0]
    base = Solution(0, drafts[first].notebook, 0.5, "", drafts[first].title)
    other = Solution(0, drafts[CANDIDATES[kind][1]].notebook, 0.5, "", drafts[CANDIDATES[kind][1]].title)
    if kind != "regression":
        merged = strategist.merge(task, base, other).notebook
        cases.append(Case(task, "merge", f"{first}+{CANDIDATES[kind][1]}", merged))
    if kind == "binary":
        variant = next(v for v in strategist.design_ablation(task, base) if v.block == "cross_validation")
        cases.append(Case(task, "ablation", variant.description, variant.notebook))
        for block in ("categorical_encoding", "model"):
            draft = strategist.plan_refinement(task, base, block, [])
            cases.append(Case(task, "refinement", draft.title, draft.notebook))
    else:
        features = refine_all(strategist, task, base, "feature_engineering")
        cases.append(Case(task, "refinement", "all feature plans", features.notebook))
    if kind == "multiclass":
        draft = strategist.plan_refinement(task, base, "categorical_encoding", [])
        cases.append(Case(task, "refinement", draft.title, draft.notebook))
    if kind == "regression":
        # RMSLE's log1p target leaves nothing to try; the same data scored by RMSE does.
        assert strategist.plan_refinement(task, base, "target_transform", []) is None
        rmse = task.model_copy(update={"metric": "rmse"})
        plain = strategist.write_candidate(rmse, ModelFamily(first, "", "", ""))
        plain_solution = Solution(0, plain.notebook, 0.5, "", plain.title)
        log_plan = strategist.plan_refinement(rmse, plain_solution, "target_transform", [])
        tried = [Attempt(log_plan.title, log_plan.plan, "ok", 0.6, -0.1, "target_transform")]
        sqrt_plan = strategist.plan_refinement(rmse, plain_solution, "target_transform", tried)
        assert "square root" in sqrt_plan.title
        absent = {"FOLDS_FILE": str(Path(task.root) / "absent.csv")}
        cases.append(Case(rmse, "refinement", "target without folds file", sqrt_plan.notebook, extra=absent))
        training = refine_all(strategist, task, base, "cross_validation")
        cases.append(Case(task, "refinement", training.title, training.notebook))
        source = (
            get_block(base.notebook, "feature_engineering").source
            + "\nraise RuntimeError('broken on purpose')"
        )
        cases.append(Case(task, "broken", first, replace_block(base.notebook, "feature_engineering", source)))
    return cases


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Case]]:
    root = tmp_path_factory.mktemp("offline-runs")
    strategist = OfflineStrategist(seed=3)
    tasks = {kind: make_task(root / "tasks" / kind, kind) for kind in CANDIDATES}
    stage1 = [case for task in tasks.values() for case in first_stage(strategist, task)]
    requests = [request(c.task, c.notebook, root / f"s1-{i:02d}", **c.extra) for i, c in enumerate(stage1)]
    for case, result in zip(stage1, run_batch(requests), strict=True):
        case.result = result
    stage2 = []
    for kind, task in tasks.items():
        members = [c for c in stage1 if c.task is task and c.kind == "candidate"]
        dirs = [str(Path(c.result.executed_notebook).parent) for c in members]
        for strategy in ENSEMBLES[kind]:
            spec = EnsembleSpec(strategy=strategy, top_k=2 if strategy == "hill_climb_top" else None)
            notebook = render_ensemble(task, spec, dirs, default_parameters(task, 3))
            stage2.append(Case(task, "ensemble", strategy, notebook, extra={"MEMBER_DIRS": dirs}))
    broken = next(c for c in stage1 if c.kind == "broken")
    fixed = strategist.debug(broken.task, Draft(broken.notebook, "broken"), broken.result.error, 1)
    stage2.append(Case(broken.task, "fixed", fixed.plan, fixed.notebook))
    requests = [request(c.task, c.notebook, root / f"s2-{i:02d}", **c.extra) for i, c in enumerate(stage2)]
    for case, result in zip(stage2, run_batch(requests), strict=True):
        case.result = result
    return {"all": stage1 + stage2}


def ok_cases(runs: dict[str, list[Case]]) -> list[Case]:
    return [c for c in runs["all"] if c.kind != "broken"]


def test_every_notebook_runs_and_prints_its_score(runs):
    failed = [(c.kind, c.name, c.result.reason) for c in ok_cases(runs) if c.result.status != "ok"]
    assert failed == []
    assert all(c.result.score is not None for c in ok_cases(runs))
    kinds = {(c.task.task_type, c.kind) for c in ok_cases(runs)}
    assert {(t, k) for t in CANDIDATES for k in ("candidate", "ensemble", "refinement")} <= kinds
    assert {("binary", "merge"), ("multiclass", "merge"), ("binary", "ablation")} <= kinds


def test_outputs_match_the_sample_submission(runs):
    for case in ok_cases(runs):
        assert_outputs_match(case.task, Path(case.result.executed_notebook).parent)


def test_printed_score_is_the_out_of_fold_score(runs):
    for case in ok_cases(runs):
        train = pd.read_csv(Path(case.task.root) / case.task.train_file)
        rescored, problem = ScoreVerifier(case.task, train).rescore(case.result.oof_path)
        assert problem is None
        assert rescored == pytest.approx(case.result.score, rel=1e-9, abs=1e-12), (case.kind, case.name)


def test_merges_and_ensembles_report_their_weights(runs):
    for case in ok_cases(runs):
        text = stdout(case.result)
        if case.kind == "merge":
            blend = json.loads(next(line for line in text.splitlines() if line.startswith("Blend: "))[7:])
            assert sum(blend["blend_weights"].values()) == pytest.approx(1.0, abs=1e-3)
        if case.kind == "ensemble":
            summary = json.loads(
                next(line for line in text.splitlines() if line.startswith("Ensemble: "))[10:]
            )
            assert summary["strategy"] == case.name and len(summary["members"]) == 3
            if summary["weights"] is not None:
                assert sum(summary["weights"].values()) == pytest.approx(1.0, abs=1e-3)


def test_a_failing_block_is_fixed_by_the_debugger(runs):
    broken = next(c for c in runs["all"] if c.kind == "broken")
    assert broken.result.status == "error"
    assert broken.result.error.block == "feature_engineering" and broken.result.error.ename == "RuntimeError"
    fixed = next(c for c in runs["all"] if c.kind == "fixed")
    assert fixed.result.status == "ok" and "feature_engineering" in fixed.name


def test_a_missing_folds_file_is_rebuilt_and_said(runs):
    case = next(c for c in runs["all"] if c.name == "target without folds file")
    assert "absent.csv not found: building 3 folds" in stdout(case.result)


def test_refined_solutions_are_real_solutions(runs):
    for case in ok_cases(runs):
        if case.kind == "refinement":
            assert solution(case.result, case.notebook, case.name).score == case.result.score


@pytest.mark.parametrize("family", ["xgboost", "catboost"])
def test_optional_families_run_when_installed(family, tmp_path):
    pytest.importorskip(family)
    strategist = OfflineStrategist(seed=3)
    task = make_task(tmp_path / "task", "multiclass")
    draft = strategist.write_candidate(task, ModelFamily(family, "", "", ""))
    [result] = run_batch([request(task, draft.notebook, tmp_path / "run")])
    assert result.status == "ok" and result.score is not None, result.reason
    assert_outputs_match(task, tmp_path / "run")
