"""Competition metrics: names, directions, and one implementation shared by notebooks and agent.

Each metric's code lives once, as the source of a function `score_predictions(y_true, pred)`.
Candidate notebooks embed that source in their setup block (so a notebook is self-contained and
runs on Kaggle without this package), and the agent executes the very same source to check
scores from saved out-of-fold predictions.

Conventions for `y_true` / `pred` (numpy arrays):
- binary: y_true in {0, 1} (1 = positive class); pred = probability of the positive class;
- multiclass: y_true = class index; pred = (n, n_classes) probabilities;
- regression: floats.
Label metrics (accuracy, f1) take probabilities too and threshold or argmax them, so
out-of-fold predictions can always be averaged and blended.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    higher_is_better: bool
    task_types: tuple[str, ...]
    source: str
    aliases: tuple[str, ...] = ()

    def function(self) -> Callable[[Any, Any], float]:
        namespace: dict[str, Any] = {}
        exec(self.source, namespace)
        return namespace["score_predictions"]


_PROBA_IMPORTS = "import numpy as np\n"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "auc",
            "Area under the ROC curve",
            True,
            ("binary",),
            _PROBA_IMPORTS + "from sklearn.metrics import roc_auc_score\n\n"
            "def score_predictions(y_true, pred):\n"
            "    return float(roc_auc_score(np.asarray(y_true), np.asarray(pred, dtype=float)))\n",
            ("roc auc", "roc_auc", "area under the roc curve", "area under the curve", "auroc", "auc"),
        ),
        Metric(
            "logloss",
            "Binary log loss",
            False,
            ("binary",),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    y = np.asarray(y_true, dtype=float)\n"
            "    p = np.clip(np.asarray(pred, dtype=float), 1e-15, 1 - 1e-15)\n"
            "    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))\n",
            ("binary log loss", "log loss", "logloss", "log_loss", "binary cross-entropy", "cross-entropy"),
        ),
        Metric(
            "mlogloss",
            "Multi-class log loss",
            False,
            ("multiclass",),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    p = np.asarray(pred, dtype=float)\n"
            "    p = p / p.sum(axis=1, keepdims=True)\n"
            "    p = np.clip(p, 1e-15, 1 - 1e-15)\n"
            "    p = p / p.sum(axis=1, keepdims=True)\n"
            "    y = np.asarray(y_true, dtype=int)\n"
            "    return float(-np.mean(np.log(p[np.arange(len(y)), y])))\n",
            (
                "multi-class log loss",
                "multiclass log loss",
                "multi class log loss",
                "mlogloss",
                "multi-class logarithmic loss",
                "categorical cross-entropy",
            ),
        ),
        Metric(
            "accuracy",
            "Accuracy",
            True,
            ("binary", "multiclass"),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    p = np.asarray(pred, dtype=float)\n"
            "    labels = p.argmax(axis=1) if p.ndim == 2 else (p >= 0.5).astype(int)\n"
            "    return float(np.mean(labels == np.asarray(y_true, dtype=int)))\n",
            ("accuracy", "classification accuracy", "categorization accuracy"),
        ),
        Metric(
            "f1",
            "F1 score (macro for multiclass)",
            True,
            ("binary", "multiclass"),
            _PROBA_IMPORTS + "from sklearn.metrics import f1_score\n\n"
            "def score_predictions(y_true, pred):\n"
            "    p = np.asarray(pred, dtype=float)\n"
            "    if p.ndim == 2:\n"
            "        labels = p.argmax(axis=1)\n"
            "        return float(f1_score(np.asarray(y_true, dtype=int), labels, average='macro'))\n"
            "    return float(f1_score(np.asarray(y_true, dtype=int), (p >= 0.5).astype(int)))\n",
            ("f1 score", "f1-score", "f-score", "f1", "macro f1", "mean f score"),
        ),
        Metric(
            "rmsle",
            "Root mean squared logarithmic error",
            False,
            ("regression",),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    p = np.clip(np.asarray(pred, dtype=float), 0, None)\n"
            "    y = np.asarray(y_true, dtype=float)\n"
            "    return float(np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2)))\n",
            (
                "root mean squared logarithmic error",
                "root mean squared log error",
                "root mean square logarithmic error",
                "rmsle",
            ),
        ),
        Metric(
            "rmse",
            "Root mean squared error",
            False,
            ("regression",),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    y = np.asarray(y_true, dtype=float)\n"
            "    return float(np.sqrt(np.mean((np.asarray(pred, dtype=float) - y) ** 2)))\n",
            ("root mean squared error", "root mean square error", "rmse"),
        ),
        Metric(
            "mae",
            "Mean absolute error",
            False,
            ("regression",),
            _PROBA_IMPORTS + "def score_predictions(y_true, pred):\n"
            "    y = np.asarray(y_true, dtype=float)\n"
            "    return float(np.mean(np.abs(np.asarray(pred, dtype=float) - y)))\n",
            ("mean absolute error", "mae"),
        ),
        Metric(
            "r2",
            "Coefficient of determination (R²)",
            True,
            ("regression",),
            _PROBA_IMPORTS + "from sklearn.metrics import r2_score\n\n"
            "def score_predictions(y_true, pred):\n"
            "    return float(r2_score(np.asarray(y_true, dtype=float), np.asarray(pred, dtype=float)))\n",
            ("coefficient of determination", "r-squared", "r squared", "r2", "r^2", "r²"),
        ),
    ]
}


def _normalise(text: str) -> str:
    """Lower case with '-' and '_' read as spaces, so 'log-loss', 'log_loss' and 'log loss' agree."""
    return re.sub(r"[ \t]+", " ", re.sub(r"[-_]", " ", text.lower()))


def get_metric(name: str) -> Metric:
    """The metric called `name` (case-insensitive); a clear error names the supported ones."""
    key = _normalise(name).strip()
    if key in METRICS:
        return METRICS[key]
    for metric in METRICS.values():
        if key in {_normalise(alias) for alias in metric.aliases}:
            return metric
    raise KeyError(f"unknown metric {name!r}; supported: {', '.join(METRICS)}")


_EXPLICIT_LINE = re.compile(r"(?<![a-z])metrics?\s*[:=][\s*`]*([a-z0-9^² ]+)")
_EVALUATION_WINDOW = 400


def _first_metric(chunk: str) -> Metric | None:
    """The metric whose alias occurs first in `chunk` (the longest alias wins at equal positions)."""
    best: tuple[int, int, Metric] | None = None
    for metric in METRICS.values():
        for alias in metric.aliases:
            found = re.search(rf"(?<![a-z0-9]){re.escape(_normalise(alias))}(?![a-z0-9])", chunk)
            if found and (best is None or (found.start(), -len(alias)) < (best[0], best[1])):
                best = (found.start(), -len(alias), metric)
    return best[2] if best else None


def find_metric_in_text(text: str) -> Metric | None:
    """The metric a competition description names.

    An explicit 'metric: X' line decides alone: when it names an unsupported metric the answer
    is None rather than some other metric mentioned in passing. Without such a line the text
    after the first 'evaluat…' (Kaggle's "Submissions are evaluated on …") is searched before
    the whole page, whose inline code spans (column names such as `f1`) are ignored.
    """
    lowered = _normalise(text)
    explicit = _EXPLICIT_LINE.search(lowered)
    if explicit:
        return _first_metric(explicit.group(1))
    chunks = []
    evaluation = lowered.find("evaluat")
    if evaluation >= 0:
        chunks.append(lowered[evaluation : evaluation + _EVALUATION_WINDOW])
    chunks.append(re.sub(r"`[^`\n]*`", " ", lowered))
    for chunk in chunks:
        metric = _first_metric(chunk)
        if metric:
            return metric
    return None


def score(metric: str, y_true: Any, pred: Any) -> float:
    """Score predictions with the same code the notebooks embed."""
    return get_metric(metric).function()(np.asarray(y_true), np.asarray(pred))


def improvement(metric: str, new: float, old: float) -> float:
    """`new - old` signed so that a positive value always means `new` is better."""
    return (new - old) if get_metric(metric).higher_is_better else (old - new)
