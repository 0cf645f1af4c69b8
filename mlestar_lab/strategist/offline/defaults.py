"""Starting points and plainest options: the candidate recipe and each block's baseline.

A candidate is simple but sound (a moderate learning rate, early stopping on an inner holdout
then a refit on the whole training fold, the family's natural encoding, hygiene features, a log
target for RMSLE). A block's baseline is its plainest option; an
ablation resets one block to it, and the debugger falls back to it.
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.families import Family, get_family
from mlestar_lab.strategist.offline.profile import TaskView
from mlestar_lab.strategist.offline.recipe import (
    ENCODING,
    FEATURES,
    MODEL,
    TARGET,
    TRAINING,
    Member,
    Recipe,
    Training,
)
from mlestar_lab.strategist.offline.render.encoding import ENCODING_TITLES
from mlestar_lab.strategist.offline.render.features import STEP_ORDER, step_title
from mlestar_lab.strategist.offline.render.target import TARGET_TITLES
from mlestar_lab.strategist.offline.render.training import training_summary
from mlestar_lab.task.model import Task


def candidate_recipe(task: Task, family: Family) -> Recipe:
    view = TaskView(task)
    features = {}
    if view.useless:
        features["drop"] = 1
    if view.datetime:
        features["datetime"] = 1
    log_target = task.task_type == "regression" and task.metric == "rmsle" and view.nonnegative_target
    return Recipe(
        model=Member(
            family=family.name, encoding=family.default_encoding, params=family.candidate_params(task)
        ),
        features=features,
        target="log1p" if log_target else "identity",
        training=Training(early_stopping=family.early_stopping, refit=family.early_stopping),
    )


def baseline(recipe: Recipe, block: str) -> Recipe:
    """`recipe` with `block` reset to its plainest option (other blocks untouched)."""
    if block == FEATURES:
        return recipe.model_copy(update={"features": {}})
    if block == ENCODING:
        return recipe.model_copy(
            update={
                "model": _with(recipe.model, encoding=get_family(recipe.model.family).baseline_encoding),
                "members": [
                    _with(m, encoding=get_family(m.family).baseline_encoding) for m in recipe.members
                ],
            }
        )
    if block == TARGET:
        return recipe.model_copy(update={"target": "identity"})
    if block == MODEL:
        return recipe.model_copy(
            update={
                "model": _with(recipe.model, params={}),
                "members": [_with(m, params={}) for m in recipe.members],
            }
        )
    if block == TRAINING:
        return recipe.model_copy(update={"training": Training()})
    raise KeyError(f"block {block!r} has no baseline")


def _with(member: Member, **changes: object) -> Member:
    return member.model_copy(update=changes)


def describe(recipe: Recipe, block: str) -> str:
    """What `block` currently does, in a few words."""
    if block == FEATURES:
        steps = [step_title(s, recipe.features[s]) for s in STEP_ORDER if recipe.features.get(s)]
        return "; ".join(steps) if steps else "raw features"
    if block == ENCODING:
        return "; ".join(
            f"{n}: {ENCODING_TITLES[m.encoding]}"
            for n, m in zip(recipe.model_names(), recipe.models, strict=True)
        )
    if block == TARGET:
        return TARGET_TITLES[recipe.target]
    if block == MODEL:
        return "; ".join(
            f"{n}: {_params_text(m.params)}" for n, m in zip(recipe.model_names(), recipe.models, strict=True)
        )
    if block == TRAINING:
        return training_summary(recipe.training)
    raise KeyError(f"block {block!r} has no description")


def _params_text(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) if params else "library defaults"
