"""Hyper-parameter directions per model family, each with up to two strengths.

A direction is tried at level 1; level 2 (a stronger step the same way) becomes eligible once
level 1 is part of the solution, i.e. after it helped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlestar_lab.strategist.offline.profile import TaskView

SMALL_DATA = 10_000


@dataclass(frozen=True)
class Direction:
    name: str
    levels: tuple[dict[str, Any], ...]
    why: str


def model_directions(view: TaskView, family: str) -> list[Direction]:
    """Directions for `family` on this task, most promising first."""
    task = view.task
    small = task.n_train < SMALL_DATA
    classification = task.task_type != "regression"
    weighting = classification and view.imbalanced and task.metric in ("f1", "auc")
    found = _FAMILIES.get(family, lambda v, s: [])(view, small)
    if weighting:
        weight = "balanced_subsample" if family in ("random_forest", "extra_trees") else "balanced"
        if family in ("lightgbm", "hist_gradient_boosting", "random_forest", "extra_trees", "linear"):
            found.append(
                Direction(
                    "class_weight",
                    ({"class_weight": weight},),
                    "the classes are imbalanced and the metric rewards the minority class",
                )
            )
    return found


_LR_WHY = "smaller steps with more rounds usually generalise better; early stopping picks the round count"
_REG_WHY = "stronger regularisation against overfitting the training fold"


def _mae_objective(view: TaskView, params: dict[str, Any]) -> list[Direction]:
    if view.task.metric != "mae":
        return []
    return [Direction("objective", (params,), "the metric is MAE: optimise absolute error directly")]


def _tree_size(small: bool, key: str, small_levels: tuple, large_levels: tuple) -> Direction:
    if small:
        return Direction(
            f"smaller_{key}", small_levels, "smaller trees generalise better on a small training set"
        )
    return Direction(
        f"larger_{key}", large_levels, "larger trees can use the many rows to model interactions"
    )


def _lightgbm(view: TaskView, small: bool) -> list[Direction]:
    return [
        *_mae_objective(view, {"objective": "l1"}),
        Direction(
            "learning_rate",
            ({"learning_rate": 0.02, "n_estimators": 5000}, {"learning_rate": 0.01, "n_estimators": 10000}),
            _LR_WHY,
        ),
        _tree_size(
            small,
            "leaves",
            ({"num_leaves": 15, "min_child_samples": 30}, {"num_leaves": 7, "min_child_samples": 50}),
            ({"num_leaves": 63}, {"num_leaves": 127}),
        ),
        Direction(
            "sampling",
            (
                {"colsample_bytree": 0.5, "subsample": 0.8, "subsample_freq": 1},
                {"colsample_bytree": 0.3, "subsample": 0.7, "subsample_freq": 1},
            ),
            "row and feature subsampling decorrelate the trees",
        ),
        Direction("min_child_samples", ({"min_child_samples": 50}, {"min_child_samples": 100}), _REG_WHY),
        Direction(
            "regularisation", ({"reg_lambda": 5.0}, {"reg_lambda": 20.0, "min_split_gain": 0.01}), _REG_WHY
        ),
    ]


def _hist_gradient_boosting(view: TaskView, small: bool) -> list[Direction]:
    return [
        *_mae_objective(view, {"loss": "absolute_error"}),
        Direction(
            "learning_rate",
            ({"learning_rate": 0.02, "max_iter": 5000}, {"learning_rate": 0.01, "max_iter": 10000}),
            _LR_WHY,
        ),
        _tree_size(
            small,
            "leaves",
            ({"max_leaf_nodes": 15, "min_samples_leaf": 30}, {"max_leaf_nodes": 7, "min_samples_leaf": 50}),
            ({"max_leaf_nodes": 63}, {"max_leaf_nodes": 127}),
        ),
        Direction("max_features", ({"max_features": 0.5},), "feature subsampling decorrelates the trees"),
        Direction("min_samples_leaf", ({"min_samples_leaf": 50}, {"min_samples_leaf": 100}), _REG_WHY),
        Direction("regularisation", ({"l2_regularization": 1.0}, {"l2_regularization": 10.0}), _REG_WHY),
    ]


def _forest(view: TaskView, small: bool) -> list[Direction]:
    return [
        Direction("more_trees", ({"n_estimators": 600},), "more trees lower the variance of the average"),
        Direction(
            "min_samples_leaf",
            ({"min_samples_leaf": 5}, {"min_samples_leaf": 10}),
            "larger leaves smooth noisy targets",
        ),
        Direction(
            "fewer_features", ({"max_features": 0.3},), "fewer features per split decorrelate the trees"
        ),
        Direction("more_features", ({"max_features": 0.7},), "more features per split find the strong ones"),
    ]


def _linear(view: TaskView, small: bool) -> list[Direction]:
    if view.task.task_type == "regression":
        return [
            Direction("stronger_penalty", ({"alpha": 10.0}, {"alpha": 100.0}), _REG_WHY),
            Direction("weaker_penalty", ({"alpha": 0.1},), "a weaker penalty when the model underfits"),
        ]
    return [
        Direction("stronger_penalty", ({"C": 0.1}, {"C": 0.01}), _REG_WHY),
        Direction("weaker_penalty", ({"C": 10.0},), "a weaker penalty when the model underfits"),
    ]


def _xgboost(view: TaskView, small: bool) -> list[Direction]:
    return [
        *_mae_objective(view, {"objective": "reg:absoluteerror"}),
        Direction(
            "learning_rate",
            ({"learning_rate": 0.02, "n_estimators": 5000}, {"learning_rate": 0.01, "n_estimators": 10000}),
            _LR_WHY,
        ),
        _tree_size(
            small, "depth", ({"max_depth": 4}, {"max_depth": 3}), ({"max_depth": 8}, {"max_depth": 10})
        ),
        Direction(
            "sampling",
            ({"subsample": 0.8, "colsample_bytree": 0.6}, {"subsample": 0.7, "colsample_bytree": 0.4}),
            "row and feature subsampling decorrelate the trees",
        ),
        Direction("min_child_weight", ({"min_child_weight": 5}, {"min_child_weight": 20}), _REG_WHY),
        Direction("regularisation", ({"reg_lambda": 5.0}, {"reg_lambda": 20.0}), _REG_WHY),
    ]


def _catboost(view: TaskView, small: bool) -> list[Direction]:
    return [
        *_mae_objective(view, {"loss_function": "MAE"}),
        Direction(
            "learning_rate",
            ({"learning_rate": 0.02, "iterations": 8000}, {"learning_rate": 0.01, "iterations": 15000}),
            _LR_WHY,
        ),
        _tree_size(small, "depth", ({"depth": 4}, {"depth": 3}), ({"depth": 8}, {"depth": 10})),
        Direction("regularisation", ({"l2_leaf_reg": 10.0}, {"l2_leaf_reg": 30.0}), _REG_WHY),
    ]


_FAMILIES = {
    "lightgbm": _lightgbm,
    "hist_gradient_boosting": _hist_gradient_boosting,
    "random_forest": _forest,
    "extra_trees": _forest,
    "linear": _linear,
    "xgboost": _xgboost,
    "catboost": _catboost,
}
