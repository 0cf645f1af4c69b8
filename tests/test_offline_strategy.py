"""The offline strategist's decisions, without executing notebooks (see test_offline_execute)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from test_offline_support import make_task

from mlestar_lab.checks.leakage import check_leakage
from mlestar_lab.checks.usage import check_data_usage
from mlestar_lab.notebook.candidate import blocks, get_block, parameters, replace_block, with_metadata
from mlestar_lab.notebook.diff import diff_blocks
from mlestar_lab.store.models import ErrorInfo
from mlestar_lab.strategist.base import AblationRow, Attempt, Draft, ModelFamily, PlanNotUnderstood, Solution
from mlestar_lab.strategist.offline.families import UnknownFamilyError, get_family
from mlestar_lab.strategist.offline.recipe import ABLATABLE, BLOCK_KINDS, read_recipe
from mlestar_lab.strategist.offline.strategist import OfflineStrategist
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

FAMILIES = ("lightgbm", "hist_gradient_boosting", "random_forest", "extra_trees", "linear")


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Task]:
    root = tmp_path_factory.mktemp("offline-tasks")
    return {kind: make_task(root / kind, kind) for kind in ("binary", "multiclass", "regression")}


@pytest.fixture(scope="module")
def strategist() -> OfflineStrategist:
    return OfflineStrategist(seed=7)


def candidate(strategist: OfflineStrategist, task: Task, family: str, score: float = 0.5) -> Solution:
    draft = strategist.write_candidate(task, ModelFamily(family, "", "", ""))
    return Solution(1, draft.notebook, score, f"/runs/{family}", draft.title, draft.info)


def changed(old: Solution | Draft, new) -> list[str]:
    return [d.block for d in diff_blocks(old.notebook, new.notebook)]


def test_retrieve_ranks_installed_families_first(tasks, strategist):
    families = strategist.retrieve(tasks["binary"], 10)
    names = [f.name for f in families]
    assert names[0] == "lightgbm"
    assert set(FAMILIES) <= set(names)
    for optional in ("xgboost", "catboost"):
        assert (optional in names) == (importlib.util.find_spec(optional) is not None)
    assert all(f.snippet and f.description for f in families)
    assert len(strategist.retrieve(tasks["binary"], 2)) == 2


def test_retrieve_covers_every_kind_of_model_before_repeating_one(tasks, strategist):
    """Boosting, bagging and linear first: the ensemble needs members that err differently."""
    for task in tasks.values():
        first = {get_family(f.name).kind for f in strategist.retrieve(task, 3)}
        assert first == {"boosting", "bagging", "linear"}
        assert strategist.retrieve(task, 4)[0].name == "lightgbm"


def test_unknown_family_is_a_clear_error(tasks, strategist):
    with pytest.raises(UnknownFamilyError, match="no model family 'tabnet'"):
        strategist.write_candidate(tasks["binary"], ModelFamily("tabnet", "", "", ""))


def test_candidate_has_the_contract_blocks_and_its_recipe(tasks, strategist):
    task = tasks["regression"]
    draft = strategist.write_candidate(task, ModelFamily("lightgbm", "", "", ""))
    assert [(b.name, b.kind) for b in blocks(draft.notebook)] == list(BLOCK_KINDS.items())
    assert get_metric(task.metric).source.strip() in get_block(draft.notebook, "setup").source
    assert {"DATA_DIR", "OUTPUT_DIR", "FOLDS_FILE", "SEED", "N_JOBS", "TIME_LIMIT"} <= set(
        parameters(draft.notebook)
    )
    recipe = read_recipe(draft.notebook)
    assert recipe is not None and recipe.model.family == "lightgbm"
    assert recipe.target == "log1p"  # RMSLE
    assert recipe.features == {"drop": 1, "datetime": 1}  # row-id-like/constant columns and a date
    assert "import mlestar_lab" not in "\n".join(b.source for b in blocks(draft.notebook))
    load = get_block(draft.notebook, "load_data").source
    assert "join_table(train, test, read_table(data_dir / 'extra.csv'), 'code', 'extra')" in load
    assert "# mlestar: skip notes.txt — text file" in load


def test_ablation_resets_one_block_per_variant(tasks, strategist):
    solution = candidate(strategist, tasks["regression"], "lightgbm")
    variants = strategist.design_ablation(tasks["regression"], solution)
    assert [v.block for v in variants] == list(ABLATABLE)
    for variant in variants:
        assert changed(solution, variant) == [variant.block]
        assert "instead of" in variant.description


def test_blocks_at_baseline_are_not_ablated(tasks, strategist):
    solution = candidate(strategist, tasks["binary"], "linear")
    variants = strategist.design_ablation(tasks["binary"], solution)
    assert [v.block for v in variants] == ["feature_engineering"]


def test_encodings_are_not_ablated_without_string_columns(tasks, strategist):
    numeric = tasks["binary"].model_copy(
        update={"columns": [c for c in tasks["binary"].columns if c.kind in ("numeric", "id")]}
    )
    solution = candidate(strategist, numeric, "lightgbm")
    blocks_ablated = [v.block for v in strategist.design_ablation(numeric, solution)]
    assert "categorical_encoding" not in blocks_ablated and "model" in blocks_ablated
    assert strategist.plan_refinement(numeric, solution, "categorical_encoding", []) is None


def test_refinements_rewrite_one_block_never_repeat_and_run_out(tasks, strategist):
    task = tasks["binary"]
    for block in ABLATABLE:
        solution, history, titles = candidate(strategist, task, "lightgbm"), [], []
        while (draft := strategist.plan_refinement(task, solution, block, history)) is not None:
            assert changed(solution, draft) == [block], draft.title
            assert draft.block == block and draft.block_kind == BLOCK_KINDS[block] and draft.plan
            titles.append(draft.title)
            history.append(Attempt(draft.title, draft.plan, "ok", 0.5, -0.01, block))
            assert len(titles) < 30
        assert len(titles) == len(set(titles))
        if block != "target_transform":  # classification has no target transform to try
            assert titles, block


def test_a_plan_that_helped_is_followed_by_its_stronger_version(tasks, strategist):
    task = tasks["binary"]
    base = candidate(strategist, task, "lightgbm")
    first = strategist.plan_refinement(task, base, "cross_validation", [])
    assert first is not None and first.title.endswith("average 3 seeds")
    kept = Solution(2, first.notebook, 0.6, "/runs/seeds", first.title)
    helped = [Attempt(first.title, first.plan, "ok", 0.6, 0.1, "cross_validation")]
    assert strategist.plan_refinement(task, kept, "cross_validation", helped).title.endswith(
        "average 5 seeds"
    )
    # the same plan that did not help: no stronger version, the next idea instead
    not_helped = [Attempt(first.title, first.plan, "ok", 0.4, -0.1, "cross_validation")]
    other = strategist.plan_refinement(task, base, "cross_validation", not_helped)
    assert "seeds" not in other.title


def test_choose_block_prefers_measured_effects_then_priority(tasks, strategist):
    task = tasks["binary"]
    solution = candidate(strategist, task, "lightgbm", score=0.8)

    def row(block: str, delta: float) -> AblationRow:
        return AblationRow(block, "", "ok", 0.8 - delta, delta, 1.0)

    table = [row("model", 0.01), row("cross_validation", -0.05), row("categorical_encoding", 0.002)]
    choice = strategist.choose_block(task, solution, table, [])
    assert choice.block == "cross_validation" and "Δ=-0.05" in choice.reason
    assert strategist.choose_block(task, solution, table, ["cross_validation"]).block == "model"
    quiet = [row("model", 1e-6)]
    choice = strategist.choose_block(task, solution, quiet, [])
    assert choice.block == "feature_engineering" and "baseline" in choice.reason
    everything = list(ABLATABLE)
    assert strategist.choose_block(task, solution, table, everything).block == "cross_validation"


def test_merge_adds_the_other_model_as_a_member(tasks, strategist):
    task = tasks["binary"]
    base, other = candidate(strategist, task, "lightgbm"), candidate(strategist, task, "random_forest")
    draft = strategist.merge(task, base, other)
    assert sorted(changed(base, draft)) == ["categorical_encoding", "model"]
    merged = read_recipe(draft.notebook)
    assert [m.family for m in merged.models] == ["lightgbm", "random_forest"]
    assert strategist.merge(task, Solution(3, draft.notebook, 0.5, "/m", "m"), other) is None
    foreign = with_metadata(other.notebook, strategist="someone else")
    assert strategist.merge(task, base, Solution(4, foreign, 0.5, "/f", "f")) is None
    # a boosting member merged into a forest gets early stopping
    forest_first = strategist.merge(task, other, base)
    assert sorted(changed(other, forest_first)) == ["categorical_encoding", "cross_validation", "model"]
    assert read_recipe(forest_first.notebook).training.early_stopping


def ensemble_history(task: Task, strategist: OfflineStrategist, members: list[Solution]) -> list[str]:
    history: list[Attempt] = []
    higher = get_metric(task.metric).higher_is_better
    while (draft := strategist.plan_ensemble(task, members, history)) is not None:
        assert [b.name for b in blocks(draft.notebook)] == [
            "setup",
            "load_predictions",
            "blend",
            "evaluate_and_save",
        ]
        assert parameters(draft.notebook)["MEMBER_DIRS"] == [m.output_dir for m in members]
        score = 0.8 + (0.01 if draft.info["strategy"] == "hill_climb" else 0.0) * (1 if higher else -1)
        history.append(Attempt(draft.title, draft.plan, "ok", score, None, None, draft.info))
        assert len(history) < 12
    return [a.info["strategy"] for a in history]


def test_ensemble_rounds_follow_the_scores_of_earlier_strategies(tasks, strategist):
    members = [candidate(strategist, tasks["binary"], f) for f in ("lightgbm", "random_forest", "linear")]
    assert ensemble_history(tasks["binary"], strategist, members) == [
        "mean",
        "hill_climb",
        "rank",
        "stacking",
        "hill_climb_top",  # the best so far (hill climbing) restricted to the top members
        "top_mean",
        "rank_hill_climb",
        "stacking_tuned",
    ]
    smooth = ensemble_history(tasks["regression"], strategist, members)
    assert smooth[:3] == ["mean", "hill_climb", "stacking"] and "optimize" in smooth and "rank" not in smooth
    assert strategist.plan_ensemble(tasks["binary"], members[:1] * 3, []) is None


def test_debug_resets_the_failing_block_then_falls_back(tasks, strategist):
    task = tasks["regression"]
    solution = candidate(strategist, task, "lightgbm")
    draft = Draft(solution.notebook, solution.title)
    fixed = strategist.debug(task, draft, ErrorInfo(block="feature_engineering", ename="KeyError"), 1)
    assert changed(draft, fixed) == ["feature_engineering"] and read_recipe(fixed.notebook).features == {}
    again = strategist.debug(task, fixed, ErrorInfo(block="feature_engineering", ename="KeyError"), 2)
    assert read_recipe(again.notebook).model.family == "hist_gradient_boosting"
    missing = strategist.debug(task, draft, ErrorInfo(block="model", ename="ModuleNotFoundError"), 1)
    assert read_recipe(missing.notebook).model.family == "hist_gradient_boosting"
    load = strategist.debug(task, draft, ErrorInfo(block="load_data", ename="MergeError"), 1)
    assert (
        changed(draft, load) == ["load_data"]
        and "skip extra.csv" in get_block(load.notebook, "load_data").source
    )
    linear = candidate(strategist, tasks["binary"], "linear")
    plain = Draft(linear.notebook, linear.title)
    assert strategist.debug(tasks["binary"], plain, ErrorInfo(block="model", ename="ValueError"), 1) is None
    foreign = Draft(with_metadata(linear.notebook, strategist="other"), "x")
    assert strategist.debug(tasks["binary"], foreign, ErrorInfo(block="model", ename="ValueError"), 1) is None


def test_debug_of_an_ensemble_falls_back_to_the_mean(tasks, strategist):
    members = [candidate(strategist, tasks["binary"], f) for f in ("lightgbm", "linear")]
    history = []
    while (draft := strategist.plan_ensemble(tasks["binary"], members, history)).info[
        "strategy"
    ] != "stacking":
        history.append(Attempt(draft.title, "", "ok", 0.5, None, None, draft.info))
    error = ErrorInfo(block="blend", ename="LinAlgError", evalue="singular")
    fixed = strategist.debug(tasks["binary"], draft, error, 1)
    assert (
        changed(draft, fixed) == ["blend"]
        and "STRATEGY = 'mean'" in get_block(fixed.notebook, "blend").source
    )
    assert strategist.debug(tasks["binary"], fixed, error, 2) is None


def test_fix_leakage_restores_edited_blocks_only(tasks, strategist):
    task = tasks["binary"]
    solution = candidate(strategist, task, "lightgbm")
    draft = Draft(solution.notebook, solution.title)
    assert strategist.fix_leakage(task, draft, []) is None
    edited = Draft(replace_block(solution.notebook, "categorical_encoding", "ENCODINGS = {}"), "edited")
    fixed = strategist.fix_leakage(task, edited, [])
    assert changed(edited, fixed) == ["categorical_encoding"] and changed(draft, fixed) == []
    foreign = Draft(with_metadata(solution.notebook, strategist="other"), "x")
    assert strategist.fix_leakage(task, foreign, []) is None


def test_generated_notebooks_pass_the_leakage_and_usage_checks(tasks, strategist):
    drafts = []
    for task in tasks.values():
        solutions = [candidate(strategist, task, f) for f in FAMILIES]
        drafts += [(task, s.notebook) for s in solutions]
        drafts += [(task, v.notebook) for v in strategist.design_ablation(task, solutions[0])]
        drafts.append((task, strategist.merge(task, solutions[0], solutions[2]).notebook))
        for block in ABLATABLE:
            refined = strategist.plan_refinement(task, solutions[0], block, [])
            drafts += [(task, refined.notebook)] if refined else []
        drafts.append((task, strategist.plan_ensemble(task, solutions, []).notebook))
    for task, notebook in drafts:
        errors = [f for f in check_leakage(notebook, task) if f.severity != "info"]
        assert errors == [], errors
        unread = [f for f in check_data_usage(notebook, task) if f.severity != "info"]
        assert unread == [], unread
    assert Path(tasks["regression"].root, "extra.csv").exists()


def test_a_user_plan_is_carried_out_when_recognised(tasks, strategist):
    """Offline, a plan the user wrote is one of the strategist's own plans named in words, or params."""
    task = tasks["regression"]
    base = candidate(strategist, task, "lightgbm")
    seeds = strategist.implement_plan(task, base.notebook, "cross_validation", "Please average 5 seeds")
    assert changed(base, seeds) == ["cross_validation"]
    assert read_recipe(seeds.notebook).training.seeds == 5
    assert seeds.plan == "Please average 5 seeds" and seeds.block_kind == BLOCK_KINDS["cross_validation"]

    params = strategist.implement_plan(task, base.notebook, "model", "num_leaves=15, learning_rate=0.02")
    assert changed(base, params) == ["model"]
    assert {"num_leaves": 15, "learning_rate": 0.02}.items() <= read_recipe(
        params.notebook
    ).model.params.items()
    assert "num_leaves=15" in params.info["understood_as"]


def test_a_user_plan_that_is_not_recognised_is_refused_with_what_would_be(tasks, strategist):
    task = tasks["regression"]
    base = candidate(strategist, task, "lightgbm")
    with pytest.raises(PlanNotUnderstood, match=r"It understands: .*average 3 seeds"):
        strategist.implement_plan(task, base.notebook, "cross_validation", "train a transformer instead")
    with pytest.raises(PlanNotUnderstood, match="key=value"):
        strategist.implement_plan(task, base.notebook, "model", "make it better")
