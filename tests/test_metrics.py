"""Metric registry: finding the metric in a description, and scores that agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlestar_lab.task.metrics import find_metric_in_text, get_metric, improvement, score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- Evaluation metric: **rmsle** - Root mean squared logarithmic error (lower is better)", "rmsle"),
        ("Evaluation metric: mlogloss — multi-class log loss", "mlogloss"),
        ("Submissions are evaluated on area under the ROC curve between prediction and target.", "auc"),
        ("Submissions are scored on the Multi-Class Log-Loss.", "mlogloss"),
        (
            "We value accuracy.\n\n## Evaluation\nSubmissions are evaluated on Root Mean Squared Error.",
            "rmse",
        ),
        ("metric = f1-score", "f1"),
        ("The table lists `f1`, `f2` features. Scored by mean absolute error.", "mae"),
        ("Evaluation metric: Log_Loss", "logloss"),
    ],
)
def test_find_metric_in_text(text: str, expected: str) -> None:
    found = find_metric_in_text(text)
    assert found is not None and found.name == expected


def test_an_explicit_unsupported_metric_is_not_replaced_by_a_passing_mention() -> None:
    assert find_metric_in_text("Evaluation metric: quadratic weighted kappa. Unlike accuracy, ...") is None
    assert find_metric_in_text("A description without any scoring rule.") is None
    assert find_metric_in_text("An asymmetric: design, evaluated with R-squared").name == "r2"


def test_get_metric_accepts_aliases_in_any_spelling() -> None:
    assert get_metric("ROC-AUC").name == "auc"
    assert get_metric("log_loss").name == "logloss"
    assert get_metric(" RMSE ").name == "rmse"
    with pytest.raises(KeyError, match="supported: auc"):
        get_metric("kappa")


def test_scores_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.6 + rng.uniform(0, 0.4, 200), 0.01, 0.99)
    assert score("auc", y, p) == pytest.approx(skm.roc_auc_score(y, p))
    assert score("logloss", y, p) == pytest.approx(skm.log_loss(y, p))
    assert score("accuracy", y, p) == pytest.approx(skm.accuracy_score(y, p >= 0.5))
    assert score("f1", y, p) == pytest.approx(skm.f1_score(y, p >= 0.5))
    classes = rng.integers(0, 3, 150)
    proba = rng.dirichlet([1, 1, 1], 150)
    assert score("mlogloss", classes, proba) == pytest.approx(skm.log_loss(classes, proba, labels=[0, 1, 2]))
    assert score("f1", classes, proba) == pytest.approx(
        skm.f1_score(classes, proba.argmax(1), average="macro")
    )
    target = rng.uniform(1, 10, 100)
    pred = target + rng.normal(size=100)
    assert score("rmse", target, pred) == pytest.approx(np.sqrt(skm.mean_squared_error(target, pred)))
    assert score("mae", target, pred) == pytest.approx(skm.mean_absolute_error(target, pred))
    assert score("r2", target, pred) == pytest.approx(skm.r2_score(target, pred))
    assert score("rmsle", target, pred.clip(0)) == pytest.approx(
        np.sqrt(skm.mean_squared_log_error(target, pred.clip(0)))
    )


def test_improvement_is_positive_when_better() -> None:
    assert improvement("rmse", 1.0, 2.0) == 1.0
    assert improvement("auc", 0.9, 0.8) == pytest.approx(0.1)
