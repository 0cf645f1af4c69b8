"""The reference systems: LightGBM with default parameters, and FLAML AutoML on the same budget.

Each returns the validation score it believed (LightGBM: 5-fold cross-validation on train, graded
like a submission; FLAML: its own best validation loss turned back into the metric) and its
test predictions as a submission frame. They run in a child process (`baseline_worker`), so
heavy imports, threads and a hung search never touch the bench itself.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from mlestar_lab.bench.grading import grade_frame
from mlestar_lab.bench.prepare import Prepared, class_probabilities, submission_frame

SYSTEMS = ("lgbm", "flaml")
CV_FOLDS = 5
# FLAML reports a loss; for these metrics the loss is 1 - value.
_ONE_MINUS = frozenset({"roc_auc", "accuracy", "f1", "macro_f1", "r2"})
_FLAML_METRICS = {
    "auc": "roc_auc",
    "logloss": "log_loss",
    "mlogloss": "log_loss",
    "accuracy": "accuracy",
    "rmse": "rmse",
    "rmsle": "rmse",
    "mae": "mae",
    "r2": "r2",
}


@dataclass
class BaselineOutput:
    """What one baseline produced: its own validation score, test predictions, and search curve."""

    val_score: float
    submission: pd.DataFrame
    fit_seconds: float
    curve: list[tuple[float, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def run_lgbm(prepared: Prepared, seed: int, n_jobs: int) -> BaselineOutput:
    """Default LightGBM: 5-fold CV for the validation score, then one fit on all of train."""
    started = time.perf_counter()
    task = prepared.task
    splitter = (
        KFold(CV_FOLDS, shuffle=True, random_state=seed)
        if task.task_type == "regression"
        else StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
    )
    multiclass = task.task_type == "multiclass"
    oof = np.zeros((len(prepared.y), prepared.n_classes) if multiclass else len(prepared.y))
    for fit_rows, valid_rows in splitter.split(prepared.X, prepared.y):
        model = _lgbm_model(task.task_type, seed, n_jobs)
        model.fit(prepared.X.iloc[fit_rows], prepared.y[fit_rows])
        oof[valid_rows] = _predict(model, prepared, prepared.X.iloc[valid_rows])
    val_score = grade_frame(submission_frame(prepared, prepared.train_ids, oof), prepared.train_key)
    model = _lgbm_model(task.task_type, seed, n_jobs)
    model.fit(prepared.X, prepared.y)
    test_pred = _predict(model, prepared, prepared.X_test)
    return BaselineOutput(
        val_score=val_score,
        submission=submission_frame(prepared, prepared.test_ids, test_pred),
        fit_seconds=time.perf_counter() - started,
        info={"cv_folds": CV_FOLDS},
    )


def _lgbm_model(task_type: str, seed: int, n_jobs: int) -> Any:
    import lightgbm

    kind = lightgbm.LGBMRegressor if task_type == "regression" else lightgbm.LGBMClassifier
    return kind(verbose=-1, random_state=seed, n_jobs=n_jobs)


def _predict(model: Any, prepared: Prepared, X: pd.DataFrame) -> np.ndarray:
    task_type = prepared.task.task_type
    if task_type == "regression":
        return np.asarray(model.predict(X), dtype=float)
    proba = class_probabilities(model.predict_proba(X), model.classes_, prepared.n_classes)
    return proba[:, 1] if task_type == "binary" else proba


def flaml_metric(metric: str, task_type: str) -> str:
    """FLAML's name for our metric (RMSLE is RMSE on the log1p target the model is fitted on)."""
    if metric == "f1":
        return "f1" if task_type == "binary" else "macro_f1"
    return _FLAML_METRICS[metric]


def loss_to_score(loss: float, metric: str) -> float:
    """FLAML minimises a loss; the value in the metric's own direction."""
    return 1.0 - loss if metric in _ONE_MINUS else loss


def run_flaml(prepared: Prepared, seed: int, n_jobs: int, budget: float, log_path: Path) -> BaselineOutput:
    """FLAML AutoML with its default estimators and evaluation, for `budget` seconds of search."""
    from flaml import AutoML

    task = prepared.task
    metric = flaml_metric(task.metric, task.task_type)
    automl = AutoML()
    started = time.perf_counter()
    automl.fit(
        prepared.X,
        prepared.y,
        task="regression" if task.task_type == "regression" else "classification",
        metric=metric,
        time_budget=budget,
        seed=seed,
        n_jobs=n_jobs,
        log_file_name=str(log_path),
        verbose=0,
    )
    if task.task_type == "regression":
        test_pred = np.asarray(automl.predict(prepared.X_test), dtype=float)
    else:
        proba = class_probabilities(
            automl.predict_proba(prepared.X_test), automl.classes_, prepared.n_classes
        )
        test_pred = proba[:, 1] if task.task_type == "binary" else proba
    return BaselineOutput(
        val_score=loss_to_score(float(automl.best_loss), metric),
        submission=submission_frame(prepared, prepared.test_ids, test_pred),
        fit_seconds=time.perf_counter() - started,
        curve=read_flaml_curve(log_path, metric),
        info={"best_estimator": automl.best_estimator, "flaml_metric": metric},
    )


def read_flaml_curve(log_path: str | os.PathLike[str], metric: str) -> list[tuple[float, float]]:
    """Best-so-far validation score against seconds since FLAML's search started, from its log.

    FLAML logs a trial when it improves on its learner's best, so the running best over the log
    is the search's best-so-far curve.
    """
    path = Path(log_path)
    if not path.is_file():
        return []
    trials = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.strip() else {}
        if "validation_loss" in record and "wall_clock_time" in record:
            trials.append((float(record["wall_clock_time"]), float(record["validation_loss"])))
    curve: list[tuple[float, float]] = []
    best = float("inf")
    for seconds, loss in sorted(trials):
        if loss < best:
            best = loss
            curve.append((seconds, loss_to_score(loss, metric)))
    return curve
