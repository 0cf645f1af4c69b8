"""The offline strategist on notebooks it did not write: hyper-parameters of known estimators only."""

from __future__ import annotations

from conftest import make_task

from mlestar_lab.notebook.candidate import Block, get_block, new_notebook
from mlestar_lab.strategist.base import AblationRow, Attempt, Solution
from mlestar_lab.strategist.offline import foreign
from mlestar_lab.strategist.offline.strategist import OfflineStrategist

MODEL = """%matplotlib inline
import lightgbm as lgb
params = {'verbose': -1}
model = lgb.LGBMRegressor(
    n_estimators=300,  # tuned by hand
    learning_rate=0.05, subsample=0.8)
model.fit(X, y)  # «naïve» comment"""


def notebook(model: str = MODEL):
    blocks = [Block("load", "load", "import pandas as pd\nX, y = 1, 2"), Block("model", "model", model)]
    return new_notebook(blocks, {"DATA_DIR": "/data"})


def test_the_ablation_resets_the_authors_hyper_parameters_to_library_defaults():
    (variant,) = foreign.design_ablation(notebook())
    assert variant.block == "model" and "LGBMRegressor(n_estimators, learning_rate)" in variant.description
    source = get_block(variant.notebook, "model").source
    assert "lgb.LGBMRegressor(subsample=0.8)" in source and "model.fit(X, y)  # «naïve» comment" in source


def test_a_refinement_changes_only_the_estimator_call():
    draft = foreign.plan_refinement(notebook(), "model", [])
    assert draft is not None and draft.title == "LGBMRegressor: more rounds at half the learning rate"
    source = get_block(draft.notebook, "model").source
    assert "lgb.LGBMRegressor(subsample=0.8, n_estimators=600, learning_rate=0.025)" in source
    assert source.startswith("%matplotlib inline\nimport lightgbm as lgb\nparams = {'verbose': -1}\nmodel = ")
    assert source.endswith("model.fit(X, y)  # «naïve» comment")
    assert get_block(draft.notebook, "load").source == "import pandas as pd\nX, y = 1, 2"


def test_plans_that_did_not_help_are_not_repeated_and_unreadable_values_are_left_alone():
    failed = Attempt("LGBMRegressor: more rounds at half the learning rate", "", "ok", 1.0, -0.1, "model")
    draft = foreign.plan_refinement(notebook(), "model", [failed])
    assert draft is not None and draft.title == "LGBMRegressor: larger leaves"
    assert "min_child_samples=40" in get_block(draft.notebook, "model").source
    helped = Attempt(failed.title, "", "ok", 1.0, +0.1, "model")
    assert foreign.plan_refinement(notebook(), "model", [helped]).title == failed.title  # may help again
    assert foreign.plan_refinement(notebook("model = lgb.LGBMRegressor(**params)"), "model", []) is None
    variable = foreign.plan_refinement(notebook("model = lgb.LGBMRegressor(n_estimators=N)"), "model", [])
    assert variable is not None and variable.title == "LGBMRegressor: larger leaves"


def test_the_offline_strategist_tunes_foreign_notebooks_through_its_usual_methods():
    strategist, task = OfflineStrategist(), make_task()
    solution = Solution(step_id=1, notebook=notebook(), score=3.0, output_dir="/tmp/x", title="Imported")
    assert [v.block for v in strategist.design_ablation(task, solution)] == ["model"]
    row = AblationRow("model", "defaults", "ok", 3.5, -0.5, 1.0)
    choice = strategist.choose_block(task, solution, [row], [])
    assert choice is not None and choice.block == "model" and "Δ=-0.5" in choice.reason
    draft = strategist.plan_refinement(task, solution, "model", [])
    assert draft is not None and draft.block == "model"
    plain = Solution(step_id=2, notebook=notebook("x = 1"), score=3.0, output_dir="/tmp/y", title="plain")
    assert strategist.design_ablation(task, plain) == []
    assert strategist.choose_block(task, plain, [], []) is None
