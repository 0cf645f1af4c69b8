"""Real fixes for notebooks this strategist wrote: reset the failing block, then fall back.

The failing block (from the error's cell) is reset to its baseline; if it already is there, a
safer option is taken: no merged members, no auxiliary joins, or a more forgiving model family.
Each fix compounds on the previous attempt's recipe; None means nothing safer is left.
"""

from __future__ import annotations

from mlestar_lab.store.models import ErrorInfo
from mlestar_lab.strategist.offline.defaults import baseline, candidate_recipe, describe
from mlestar_lab.strategist.offline.families import CATALOG, get_family
from mlestar_lab.strategist.offline.recipe import ABLATABLE, FEATURES, LOAD, TRAINING, Recipe
from mlestar_lab.task.model import Task

FALLBACK = {
    "xgboost": "lightgbm",
    "catboost": "lightgbm",
    "lightgbm": "hist_gradient_boosting",
    "hist_gradient_boosting": "random_forest",
    "extra_trees": "random_forest",
    "random_forest": "linear",
}
IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")


def fix_recipe(task: Task, recipe: Recipe, error: ErrorInfo) -> tuple[Recipe, str] | None:
    """A recipe that avoids `error`, with a sentence saying what changed and why."""
    block = error.block
    if error.ename in IMPORT_ERRORS:
        return _other_family(task, recipe, f"{error.ename}: {error.evalue}")
    if block in ABLATABLE:
        plain = baseline(recipe, block)
        if plain != recipe:
            return (
                plain,
                f"{block} raised {error.ename}; reset it to its baseline ({describe(plain, block)}).",
            )
    if block == LOAD and recipe.join_auxiliary and task.auxiliary_files:
        return recipe.model_copy(update={"join_auxiliary": False}), (
            f"{LOAD} raised {error.ename}; skip the auxiliary-table joins."
        )
    if block is None:
        for cheaper in (TRAINING, FEATURES):
            plain = baseline(recipe, cheaper)
            if plain != recipe:
                return plain, f"the notebook failed ({error.ename}); reset {cheaper} to its cheaper baseline."
    if recipe.members:
        return recipe.model_copy(update={"members": []}), (
            f"{block or 'the notebook'} raised {error.ename} with merged members; drop the members."
        )
    return _other_family(task, recipe, f"{block or 'the notebook'} raised {error.ename}")


def _other_family(task: Task, recipe: Recipe, why: str) -> tuple[Recipe, str] | None:
    name = FALLBACK.get(recipe.model.family)
    while name is not None and not CATALOG[name].available:
        name = FALLBACK.get(name)
    if name is None:
        return None
    fresh = candidate_recipe(task, get_family(name))
    fixed = fresh.model_copy(update={"features": recipe.features, "target": recipe.target, "members": []})
    return fixed, f"{why}; fall back to the more forgiving {get_family(name).title} family."
