"""Refinement plans per block: one recipe change each, so one rewritten cell each.

Plans are grouped in directions with levels (e.g. seed averaging with 3, then 5 seeds). A level
above 1 is eligible only once the level below is part of the solution — the loop keeps a plan
only when it helped — and after a plan that helped, its stronger version is proposed first.
Plans are identified by their title, which is what the loop's history carries back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mlestar_lab.strategist.base import Attempt
from mlestar_lab.strategist.offline.families import get_family
from mlestar_lab.strategist.offline.model_plans import model_directions
from mlestar_lab.strategist.offline.profile import TaskView
from mlestar_lab.strategist.offline.recipe import ENCODING, FEATURES, MODEL, TARGET, TRAINING, Recipe
from mlestar_lab.strategist.offline.render.encoding import ENCODING_TITLES
from mlestar_lab.strategist.offline.render.target import TARGET_TITLES
from mlestar_lab.task.model import Task


@dataclass(frozen=True)
class Plan:
    block: str
    direction: str
    level: int
    title: str
    why: str
    apply: Callable[[Recipe], Recipe]
    present: Callable[[Recipe], bool]

    @property
    def text(self) -> str:
        change = self.title.split(": ", 1)[1]
        return f"{change[0].upper()}{change[1:]} — {self.why}."


def _feature_plans(view: TaskView) -> list[Plan]:
    options: list[tuple[str, bool, tuple[str, ...], str]] = [
        ("drop", bool(view.useless), ("drop row-id-like and constant columns",), "they carry no signal"),
        (
            "datetime",
            bool(view.datetime),
            ("expand date/time columns into year, month, day, weekday, hour",),
            "trees cannot split on a raw date string",
        ),
        (
            "text",
            bool(view.text),
            ("add text statistics (length, words, digits, capitals)", "add TF-IDF/SVD components of text")
            if view.cheap_text
            else ("add text statistics (length, words, digits, capitals)",),
            "free text is useless to the model as a raw category",
        ),
        (
            "group",
            bool(view.group_keys) and bool(set(view.continuous) - set(view.group_keys)),
            (
                "add group means of the top numerics by low-cardinality columns",
                "add group means of more pairs",
            ),
            "a value relative to its group is often more telling than the value (fitted on training rows)",
        ),
        (
            "ratios",
            len(view.continuous) >= 2,
            ("add ratios and products of the 3 most relevant numerics", "ratios and products of the top 5"),
            "interactions of strong numerics are hard for axis-aligned trees to build",
        ),
        (
            "frequency",
            bool(view.categorical or view.text),
            ("add frequency encoding of string columns",),
            "how common a level is generalises to rare and unseen levels (fitted on training rows)",
        ),
        (
            "missing",
            bool(view.with_missing),
            ("add missing-value indicators",),
            "whether a value is missing can itself be informative",
        ),
    ]
    plans = []
    for step, applies, titles, why in options:
        if not applies:
            continue
        for level, title in enumerate(titles, 1):
            plans.append(
                Plan(
                    FEATURES,
                    step,
                    level,
                    f"{FEATURES}: {title}",
                    why,
                    lambda r, s=step, lv=level: r.model_copy(update={"features": {**r.features, s: lv}}),
                    lambda r, s=step, lv=level: r.features.get(s, 0) >= lv,
                )
            )
    return plans


def _encoding_plans(view: TaskView, recipe: Recipe) -> list[Plan]:
    if not view.has_strings:
        return []
    family = get_family(recipe.model.family)
    order = ("target", "native", "ordinal", "onehot")
    why = {
        "target": "out-of-fold target statistics summarise high-cardinality levels in one number",
        "native": "the model can group levels itself instead of following an arbitrary order",
        "ordinal": "integer codes are the most robust input when categories overfit",
        "onehot": "a linear model needs one weight per level",
    }
    return [
        Plan(
            ENCODING,
            f"encoding_{method}",
            1,
            f"{ENCODING}: {ENCODING_TITLES[method]}",
            why[method],
            lambda r, m=method: r.model_copy(update={"model": r.model.model_copy(update={"encoding": m})}),
            lambda r, m=method: r.model.encoding == m,
        )
        for method in order
        if method in family.encodings
    ]


def _target_plans(view: TaskView) -> list[Plan]:
    task = view.task
    if task.task_type != "regression" or not view.nonnegative_target:
        return []
    if task.metric == "rmsle":
        order: tuple[str, ...] = ("log1p",)  # RMSE on log1p is the metric itself: nothing else to try
    elif view.skewed_positive_target:
        order = ("log1p", "sqrt", "identity")
    else:
        order = ("sqrt", "log1p", "identity")
    why = {
        "log1p": "the metric or a right-skewed positive target rewards modelling relative errors",
        "sqrt": "a milder compression of a skewed positive target than log",
        "identity": "no transform: the loss then matches the metric's scale exactly",
    }
    return [
        Plan(
            TARGET,
            f"target_{t}",
            1,
            f"{TARGET}: learn {TARGET_TITLES[t]}",
            why[t],
            lambda r, t=t: r.model_copy(update={"target": t}),
            lambda r, t=t: r.target == t,
        )
        for t in order
    ]


def _model_plans(view: TaskView, recipe: Recipe) -> list[Plan]:
    plans = []
    for direction in model_directions(view, recipe.model.family):
        for level, changes in enumerate(direction.levels, 1):
            text = ", ".join(f"{k}={v}" for k, v in changes.items())
            plans.append(
                Plan(
                    MODEL,
                    direction.name,
                    level,
                    f"{MODEL}: {direction.name.replace('_', ' ')} ({text})",
                    direction.why,
                    lambda r, c=changes: r.model_copy(
                        update={"model": r.model.model_copy(update={"params": {**r.model.params, **c}})}
                    ),
                    lambda r, c=changes: all(r.model.params.get(k) == v for k, v in c.items()),
                )
            )
    return plans


def _training_plans(recipe: Recipe) -> list[Plan]:
    stopping = any(get_family(m.family).early_stopping for m in recipe.models)
    seeded = any(m.family != "linear" for m in recipe.models)
    t = recipe.training

    def change(**values: object) -> Callable[[Recipe], Recipe]:
        return lambda r: r.model_copy(update={"training": r.training.model_copy(update=values)})

    options = []
    if stopping:
        options.append(
            (
                "early_stopping",
                1,
                "early stopping on an inner holdout of the training fold",
                "boosting overfits without a round count chosen on held-out rows",
                change(early_stopping=True),
                lambda r: r.training.early_stopping,
            )
        )
    if seeded:
        options += [
            (
                "seeds",
                1,
                "average 3 seeds",
                "averaging seeds lowers the variance of the predictions",
                change(seeds=3),
                lambda r: r.training.seeds >= 3,
            ),
            (
                "seeds",
                2,
                "average 5 seeds",
                "more seeds lowered the variance further",
                change(seeds=5),
                lambda r: r.training.seeds >= 5,
            ),
        ]
    if stopping and t.early_stopping:
        options += [
            (
                "refit",
                1,
                "refit on the whole training fold with the early-stopped round count",
                "the holdout rows are otherwise lost to the final model",
                change(refit=True),
                lambda r: r.training.refit,
            ),
            (
                "patience",
                1,
                "early-stopping patience 300",
                "a longer patience avoids stopping on a plateau",
                change(patience=300),
                lambda r: r.training.patience >= 300,
            ),
        ]
    return [
        Plan(TRAINING, name, level, f"{TRAINING}: {title}", why, apply, present)
        for name, level, title, why, apply, present in options
    ]


def block_plans(task: Task, recipe: Recipe, block: str) -> list[Plan]:
    view = TaskView(task)
    if block == FEATURES:
        return _feature_plans(view)
    if block == ENCODING:
        return _encoding_plans(view, recipe)
    if block == TARGET:
        return _target_plans(view)
    if block == MODEL:
        return _model_plans(view, recipe)
    if block == TRAINING:
        return _training_plans(recipe)
    return []


def _eligible(plans: list[Plan], plan: Plan, recipe: Recipe, tried: set[str]) -> bool:
    if plan.title in tried or plan.present(recipe):
        return False
    if plan.level == 1:
        return True
    below = next((p for p in plans if p.direction == plan.direction and p.level == plan.level - 1), None)
    return below is not None and below.present(recipe)


def next_plan(task: Task, recipe: Recipe, block: str, history: list[Attempt]) -> Plan | None:
    """A stronger step after a plan that helped, else the first untried plan by priority."""
    plans = block_plans(task, recipe, block)
    tried = {a.title for a in history}
    by_title = {p.title: p for p in plans}
    for attempt in reversed(history):
        helped = by_title.get(attempt.title)
        if helped is None or attempt.delta is None or attempt.delta <= 0:
            continue
        stronger = [p for p in plans if p.direction == helped.direction and p.level == helped.level + 1]
        if stronger and _eligible(plans, stronger[0], recipe, tried):
            return stronger[0]
    return next((p for p in plans if _eligible(plans, p, recipe, tried)), None)


def has_plans(task: Task, recipe: Recipe, block: str) -> bool:
    return next_plan(task, recipe, block, []) is not None
