"""The baselines' minimal preprocessing, and their predictions written as a submission.

Both baselines see exactly what the benchmark README describes, nothing more: the id column
dropped, every non-numeric column as a pandas category (categories taken from train and applied
to test, so codes mean the same in both and no test value shapes the encoding), and for RMSLE a
log1p target whose predictions come back through expm1, clipped at 0. Models are fitted on 0/1
(binary) or class-index (multiclass) targets; `submission_frame` turns their probabilities back
into what the sample submission asks for: a probability, one probability per class column, or
the label in the same form as train's target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlestar_lab.bench.grading import AnswerKey, train_answer_key
from mlestar_lab.task.infer import label_strings
from mlestar_lab.task.inventory import read_table
from mlestar_lab.task.load import load_task
from mlestar_lab.task.model import Task

LABEL_METRICS = frozenset({"accuracy", "f1"})


@dataclass
class Prepared:
    """One task ready for a model: features, encoded target, and what a submission needs."""

    task: Task
    X: pd.DataFrame
    y: np.ndarray
    X_test: pd.DataFrame
    train_ids: pd.Series
    test_ids: pd.Series
    labels: list[Any]
    train_key: AnswerKey

    @property
    def log_target(self) -> bool:
        return self.task.metric == "rmsle"

    @property
    def n_classes(self) -> int:
        return len(self.labels)


def prepare(task_dir: str | os.PathLike[str]) -> Prepared:
    """Load the competition folder as the agent would, then apply the minimal preprocessing."""
    task = load_task(task_dir)
    train = read_table(Path(task.root) / task.train_file)
    test = read_table(Path(task.root) / task.test_file)
    train = train[train[task.target].notna()].reset_index(drop=True)
    features = [c for c in test.columns if c in train.columns and c not in (task.id_column, task.target)]
    X, X_test = train[features].copy(), test[features].copy()
    for column in features:
        if not pd.api.types.is_numeric_dtype(X[column]):
            categories = pd.Index(X[column].dropna().astype(str).unique()).sort_values()
            X[column] = _categorical(X[column], categories)
            X_test[column] = _categorical(X_test[column], categories)
    train_ids = train[task.id_column] if task.id_column in train.columns else pd.Series(np.arange(len(train)))
    y, labels = _encode_target(task, train[task.target])
    key_frame = pd.DataFrame(
        {task.id_column: train_ids.to_numpy(), task.target: train[task.target].to_numpy()}
    )
    return Prepared(
        task=task,
        X=X,
        y=y,
        X_test=X_test,
        train_ids=train_ids.reset_index(drop=True),
        test_ids=test[task.id_column].reset_index(drop=True),
        labels=labels,
        train_key=train_answer_key(task, key_frame),
    )


def _categorical(values: pd.Series, categories: pd.Index) -> pd.Categorical:
    """Values as text categories; a value train never had becomes missing, as LightGBM would treat it."""
    text = values.astype(str).where(values.notna())
    return pd.Categorical(text.where(text.isin(categories)), categories=categories)


def _encode_target(task: Task, target: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Model target and, for classification, the original label value of each class index."""
    if task.task_type == "regression":
        values = target.to_numpy(dtype=float)
        return (np.log1p(values) if task.metric == "rmsle" else values), []
    strings = label_strings(target)
    classes = task.classes or sorted(strings.unique())
    position = {label: i for i, label in enumerate(classes)}
    original = dict(zip(strings, target.loc[strings.index], strict=True))
    return strings.map(position).to_numpy(dtype=int), [
        _plain(original.get(label, label)) for label in classes
    ]


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so a label is written to CSV as train wrote it."""
    return value.item() if isinstance(value, np.generic) else value


def submission_frame(prepared: Prepared, ids: pd.Series, pred: np.ndarray) -> pd.DataFrame:
    """Predictions in the sample submission's layout.

    `pred` is what the model outputs: P(positive) for binary, an (n, classes) matrix for
    multiclass, a value in model space (log1p for RMSLE) for regression.
    """
    task = prepared.task
    value_columns = [c for c in task.submission_columns if c != task.id_column]
    frame = pd.DataFrame({task.id_column: ids.to_numpy()})
    if task.task_type == "regression":
        values = np.clip(np.expm1(pred), 0, None) if prepared.log_target else pred
        frame[task.target] = values
    elif task.metric in LABEL_METRICS:
        index = pred.argmax(axis=1) if pred.ndim == 2 else (pred >= 0.5).astype(int)
        frame[task.target] = [prepared.labels[i] for i in index]
    elif task.task_type == "binary":
        frame[task.target] = pred
    else:
        for i, column in enumerate(value_columns):
            frame[column] = pred[:, i]
    return frame[task.submission_columns]


def class_probabilities(proba: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for every class index, zero for classes missing from a fold's training rows."""
    full = np.zeros((len(proba), n_classes))
    full[:, np.asarray(seen, dtype=int)] = proba
    return full
