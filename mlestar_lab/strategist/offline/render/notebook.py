"""Assembling a candidate notebook from a recipe, and deriving one solution from another.

`derive` is how every ablation, refinement, merge and fix is made: only the blocks whose
rendering changed between the old and the new recipe are replaced in the existing notebook, so
the diff is exactly the changed cells and edits a user made to other cells survive.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import Block, new_notebook, replace_block, with_metadata
from mlestar_lab.strategist.offline.recipe import (
    BLOCK_KINDS,
    ENCODING,
    FEATURES,
    LOAD,
    MODEL,
    SETUP,
    STRATEGIST_NAME,
    SUBMISSION,
    TARGET,
    TRAINING,
    Recipe,
)
from mlestar_lab.strategist.offline.render.encoding import render_encoding
from mlestar_lab.strategist.offline.render.evaluate import render_evaluate
from mlestar_lab.strategist.offline.render.features import render_features
from mlestar_lab.strategist.offline.render.models import render_model
from mlestar_lab.strategist.offline.render.setup import render_load, render_setup
from mlestar_lab.strategist.offline.render.target import render_target
from mlestar_lab.strategist.offline.render.training import render_training
from mlestar_lab.task.model import Task

DEFAULT_TIME_LIMIT = 3600


def default_parameters(task: Task, seed: int) -> dict[str, Any]:
    """Defaults of the `parameters` cell; the loop (or papermill user) overrides them."""
    return {
        contract.PARAM_DATA_DIR: task.root,
        contract.PARAM_OUTPUT_DIR: "output",
        contract.PARAM_FOLDS_FILE: "folds.csv",
        contract.PARAM_SEED: seed,
        contract.PARAM_N_JOBS: -1,
        contract.PARAM_TIME_LIMIT: DEFAULT_TIME_LIMIT,
    }


def render_block(name: str, task: Task, recipe: Recipe) -> str:
    if name == SETUP:
        return render_setup(task)
    if name == LOAD:
        return render_load(task, recipe.join_auxiliary)
    if name == FEATURES:
        return render_features(task, recipe.features)
    if name == ENCODING:
        return render_encoding(recipe)
    if name == TARGET:
        return render_target(task, recipe.target)
    if name == MODEL:
        return render_model(recipe)
    if name == TRAINING:
        return render_training(recipe.training)
    if name == SUBMISSION:
        return render_evaluate()
    raise KeyError(f"unknown block {name!r}; blocks: {list(BLOCK_KINDS)}")


def render_notebook(task: Task, recipe: Recipe, title: str, seed: int) -> NotebookNode:
    blocks = [Block(name, kind, render_block(name, task, recipe)) for name, kind in BLOCK_KINDS.items()]
    metadata = {"title": title, "strategist": STRATEGIST_NAME, "recipe": recipe.model_dump(mode="json")}
    return new_notebook(blocks, default_parameters(task, seed), metadata)


def changed_blocks(task: Task, old: Recipe, new: Recipe) -> list[str]:
    return [name for name in BLOCK_KINDS if render_block(name, task, old) != render_block(name, task, new)]


def derive(task: Task, nb: NotebookNode, old: Recipe, new: Recipe) -> NotebookNode:
    """`nb` with the blocks that `new` renders differently from `old` replaced, and `new` stored."""
    derived = nb
    for name in changed_blocks(task, old, new):
        derived = replace_block(derived, name, render_block(name, task, new))
    return with_metadata(derived, strategist=STRATEGIST_NAME, recipe=new.model_dump(mode="json"))
