"""The model catalog: which families exist, what they support, and how well they suit a task.

Retrieval without web search (MLE-STAR's first stage): families are ranked by simple rules of
tabular practice — gradient boosting first, then forests for small data, a linear model when
one-hot features or text dominate. XGBoost and CatBoost are offered only when importable.
The first picks cover different kinds of model (boosting, bagging, linear): three boosting
libraries make near-identical predictions, and the final ensemble gains most from members that
err differently.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mlestar_lab.errors import UserError
from mlestar_lab.strategist.base import ModelFamily
from mlestar_lab.strategist.offline.profile import TaskView
from mlestar_lab.task.model import Task


class UnknownFamilyError(UserError):
    """A model family the offline catalog does not have (or whose library is not installed)."""


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    description: str
    snippet: str
    encodings: tuple[str, ...]
    default_encoding: str
    baseline_encoding: str
    early_stopping: bool
    module: str | None
    candidate_params: Callable[[Task], dict[str, Any]]
    suitability: Callable[[TaskView], float]
    kind: Literal["boosting", "bagging", "linear"] = "boosting"

    @property
    def available(self) -> bool:
        return self.module is None or importlib.util.find_spec(self.module) is not None

    def as_model_family(self) -> ModelFamily:
        return ModelFamily(self.name, self.title, self.description, self.snippet, source="catalog")


def _lightgbm_params(task: Task) -> dict[str, Any]:
    return {"learning_rate": 0.05, "n_estimators": 2000, "num_leaves": 31, "colsample_bytree": 0.8}


def _hgb_params(task: Task) -> dict[str, Any]:
    return {"learning_rate": 0.05, "max_iter": 2000, "max_leaf_nodes": 31}


def _forest_params(task: Task) -> dict[str, Any]:
    """Fewer trees on large data: a forest's cost grows with rows × trees, its gain flattens early."""
    features = "sqrt" if task.task_type != "regression" else 0.5
    trees = 300 if task.n_train <= 20_000 else 200
    return {"n_estimators": trees, "min_samples_leaf": 2, "max_features": features}


def _xgboost_params(task: Task) -> dict[str, Any]:
    return {"learning_rate": 0.05, "n_estimators": 2000, "max_depth": 6, "colsample_bytree": 0.8}


def _catboost_params(task: Task) -> dict[str, Any]:
    return {"learning_rate": 0.05, "iterations": 3000, "depth": 6}


def _linear_params(task: Task) -> dict[str, Any]:
    return {}


def _forest_fit(view: TaskView) -> float:
    return 0.7 if view.task.n_train <= 20_000 else 0.55


def _linear_fit(view: TaskView) -> float:
    textual = 0.15 if view.text else 0.0
    return 0.5 + textual + (0.1 if view.task.n_train <= 5_000 else 0.0)


def _catboost_fit(view: TaskView) -> float:
    return 0.95 + (0.1 if len(view.categorical) >= 3 else 0.0)


CATALOG: dict[str, Family] = {
    f.name: f
    for f in [
        Family(
            "lightgbm",
            "LightGBM gradient boosting",
            "Leaf-wise gradient-boosted trees; fast, strong on tabular data, native categorical "
            "splits, early stopping on a holdout.",
            "model = lgb.LGBMClassifier(learning_rate=0.05, n_estimators=2000, num_leaves=31)\n"
            "model.fit(X_fit, y_fit, eval_set=[(X_hold, y_hold)], "
            "callbacks=[lgb.early_stopping(100)])",
            ("native", "ordinal", "target"),
            "native",
            "ordinal",
            True,
            "lightgbm",
            _lightgbm_params,
            lambda v: 1.0,
        ),
        Family(
            "catboost",
            "CatBoost gradient boosting",
            "Symmetric-tree boosting with ordered target statistics for categoricals; robust defaults.",
            "model = CatBoostClassifier(learning_rate=0.05, iterations=3000, depth=6, verbose=0)\n"
            "model.fit(X_fit, y_fit, cat_features=cats, eval_set=(X_hold, y_hold), "
            "early_stopping_rounds=100)",
            ("native", "ordinal", "target"),
            "native",
            "ordinal",
            True,
            "catboost",
            _catboost_params,
            _catboost_fit,
        ),
        Family(
            "xgboost",
            "XGBoost gradient boosting",
            "Depth-wise histogram boosting with strong regularisation; categorical support built in.",
            "model = xgb.XGBClassifier(learning_rate=0.05, n_estimators=2000, max_depth=6, "
            "tree_method='hist', early_stopping_rounds=100)\n"
            "model.fit(X_fit, y_fit, eval_set=[(X_hold, y_hold)], verbose=False)",
            ("native", "ordinal", "target"),
            "native",
            "ordinal",
            True,
            "xgboost",
            _xgboost_params,
            lambda v: 0.92,
        ),
        Family(
            "hist_gradient_boosting",
            "scikit-learn HistGradientBoosting",
            "scikit-learn's histogram boosting (LightGBM-like); native categoricals from the pandas "
            "category dtype, built-in early stopping.",
            "model = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=2000, "
            "categorical_features='from_dtype', early_stopping=True)\nmodel.fit(X, y)",
            ("native", "ordinal", "target"),
            "native",
            "ordinal",
            True,
            None,
            _hgb_params,
            lambda v: 0.9,
        ),
        Family(
            "random_forest",
            "Random forest",
            "Bagged deep trees: few knobs, hard to overfit, a diverse ensemble member; ordinal codes.",
            "model = RandomForestClassifier(n_estimators=300, min_samples_leaf=2, n_jobs=-1)\n"
            "model.fit(SimpleImputer().fit_transform(X), y)",
            ("ordinal", "target"),
            "ordinal",
            "ordinal",
            False,
            None,
            _forest_params,
            _forest_fit,
            kind="bagging",
        ),
        Family(
            "extra_trees",
            "Extremely randomised trees",
            "Random splits instead of best splits: lower variance than a random forest, fast.",
            "model = ExtraTreesClassifier(n_estimators=300, min_samples_leaf=2, n_jobs=-1)\n"
            "model.fit(SimpleImputer().fit_transform(X), y)",
            ("ordinal", "target"),
            "ordinal",
            "ordinal",
            False,
            None,
            _forest_params,
            lambda v: _forest_fit(v) - 0.05,
            kind="bagging",
        ),
        Family(
            "linear",
            "Regularised linear model",
            "LogisticRegression / Ridge after median imputation, one-hot categoricals and scaling; "
            "a strong, very different ensemble member.",
            "model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(C=1.0))\n"
            "model.fit(X_onehot, y)",
            ("onehot", "target"),
            "onehot",
            "onehot",
            False,
            None,
            _linear_params,
            _linear_fit,
            kind="linear",
        ),
    ]
}


def get_family(name: str) -> Family:
    """The catalog family called `name`; a clear error when it is unknown or not installed."""
    family = CATALOG.get(name)
    if family is None:
        raise UnknownFamilyError(
            f"the offline strategist has no model family {name!r}; choose one of {', '.join(CATALOG)}"
        )
    if not family.available:
        raise UnknownFamilyError(f"model family {name!r} needs the {family.module!r} package; install it")
    return family


def retrieve(task: Task, count: int) -> list[ModelFamily]:
    """Up to `count` installed families: the most suitable of each kind first, then the rest.

    Within each group families are ordered by suitability (ties keep catalog order).
    """
    view = TaskView(task)
    ranked = sorted((f for f in CATALOG.values() if f.available), key=lambda f: -f.suitability(view))
    leaders: list[Family] = []
    for family in ranked:
        if all(family.kind != leader.kind for leader in leaders):
            leaders.append(family)
    ordered = leaders + [f for f in ranked if f not in leaders]
    return [f.as_model_family() for f in ordered[: max(count, 0)]]
