"""Kaggle's evaluation-metric names mapped to the project's metric names.

Kaggle reports a competition's metric as a display name ("Area Under Receiver Operating
Characteristic Curve", "Categorization Accuracy", "MeanFScore" …). Known names are listed here;
anything else is tried against the project's own metric aliases, and what still matches nothing
is unsupported: the caller says so and names the supported metrics.
"""

from __future__ import annotations

import re

from mlestar_lab.task.metrics import METRICS, get_metric

_KAGGLE_NAMES = {
    "area under receiver operating characteristic curve": "auc",
    "auc": "auc",
    "roc auc": "auc",
    "categorization accuracy": "accuracy",
    "accuracy": "accuracy",
    "accuracy score": "accuracy",
    "log loss": "logloss",
    "logloss": "logloss",
    "binary cross entropy": "logloss",
    "multiclass loss": "mlogloss",
    "multi class log loss": "mlogloss",
    "multiclass log loss": "mlogloss",
    "mean f score": "f1",
    "meanfscore": "f1",
    "f1 score": "f1",
    "macro f1 score": "f1",
    "root mean squared error": "rmse",
    "rmse": "rmse",
    "root mean squared logarithmic error": "rmsle",
    "root mean squared log error": "rmsle",
    "rmsle": "rmsle",
    "mean absolute error": "mae",
    "mae": "mae",
    "r2 score": "r2",
    "r squared": "r2",
    "coefficient of determination": "r2",
}


def map_kaggle_metric(name: str, n_prediction_columns: int | None = None) -> str | None:
    """The project's metric for Kaggle's `name`, or None when it is not supported.

    Kaggle calls both binary and multi-class log loss "Log Loss"; a sample submission with more
    than one prediction column means the multi-class one.
    """
    key = " ".join(re.sub(r"[-_()]", " ", name.lower()).split())
    metric = _KAGGLE_NAMES.get(key)
    if metric is None:
        try:
            metric = get_metric(key).name
        except KeyError:
            return None
    if metric == "logloss" and (n_prediction_columns or 1) > 1:
        return "mlogloss"
    return metric


def unsupported_message(name: str) -> str:
    return (
        f"Kaggle scores this competition with {name!r}, which mlestar does not support "
        f"(supported: {', '.join(METRICS)})"
    )
