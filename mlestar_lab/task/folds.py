"""The run's one fixed validation split.

Every candidate validates on the same folds, so their scores are comparable and their
out-of-fold predictions can be blended without retraining (MLE-STAR's ensembling step relies on
it). The split is computed once per run and saved; it depends only on the task and the seed.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from mlestar_lab.errors import TaskError
from mlestar_lab.fsutil import atomic_write_text
from mlestar_lab.notebook.contract import FOLD_COLUMN
from mlestar_lab.task.inventory import read_table
from mlestar_lab.task.model import Task

_CLASSIFICATION = ("binary", "multiclass")


def make_folds(task: Task, train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """[id, fold] for every train row, in train's row order.

    Time-ordered contiguous blocks when `time_column` is set (fold 0 is the earliest), grouped
    folds when `group_column` is set (stratified too for classification), stratified folds for
    classification when every class can appear in every fold, shuffled K-fold otherwise.
    When train has no id column the row position stands in for it.
    """
    n_folds = task.n_folds
    if len(train) < n_folds:
        raise TaskError(f"train has {len(train)} rows, fewer than n_folds = {n_folds} — lower n_folds")
    ids = _ids(task, train)
    if task.time_column:
        fold = _time_blocks(train[task.time_column], n_folds, task.time_column)
    elif task.group_column:
        fold = _group_folds(task, train, n_folds, seed)
    else:
        fold = _plain_folds(task, train, n_folds, seed)
    return pd.DataFrame({task.id_column: ids, FOLD_COLUMN: fold.astype("int64")})


def _ids(task: Task, train: pd.DataFrame) -> np.ndarray:
    if task.id_column not in train.columns:
        return np.arange(len(train))
    ids = train[task.id_column]
    if ids.duplicated().any():
        raise TaskError(
            f"id column {task.id_column!r} repeats values in train; folds are keyed by id — "
            "set id_column to a unique column"
        )
    return ids.to_numpy()


def _labels(task: Task, train: pd.DataFrame) -> np.ndarray:
    return (
        train[task.target]
        .astype(object)
        .where(train[task.target].notna(), "<missing>")
        .astype(str)
        .to_numpy()
    )


def _plain_folds(task: Task, train: pd.DataFrame, n_folds: int, seed: int) -> np.ndarray:
    fold = np.empty(len(train), dtype="int64")
    positions = np.arange(len(train))
    splitter: KFold | StratifiedKFold = KFold(n_folds, shuffle=True, random_state=seed)
    labels = None
    if task.task_type in _CLASSIFICATION:
        labels = _labels(task, train)
        if pd.Series(labels).value_counts().min() >= n_folds:
            splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(splitter.split(positions, labels)):
        fold[valid] = k
    return fold


def _group_folds(task: Task, train: pd.DataFrame, n_folds: int, seed: int) -> np.ndarray:
    groups = train[task.group_column].astype(object).where(train[task.group_column].notna(), "<missing>")
    groups = groups.astype(str).to_numpy()
    n_groups = len(set(groups))
    if n_groups < n_folds:
        raise TaskError(
            f"group_column {task.group_column!r} has {n_groups} groups, fewer than n_folds = {n_folds} — "
            "lower n_folds or choose another column"
        )
    fold = np.empty(len(train), dtype="int64")
    positions = np.arange(len(train))
    labels = None
    splitter: GroupKFold | StratifiedGroupKFold = GroupKFold(n_folds, shuffle=True, random_state=seed)
    if task.task_type in _CLASSIFICATION:
        labels = _labels(task, train)
        splitter = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(splitter.split(positions, labels, groups)):
        fold[valid] = k
    return fold


def _time_blocks(times: pd.Series, n_folds: int, name: str) -> np.ndarray:
    """Fold k = the k-th of `n_folds` contiguous blocks in time order (missing times last)."""
    order_key = times
    if not pd.api.types.is_numeric_dtype(times) and not pd.api.types.is_datetime64_any_dtype(times):
        order_key = pd.to_datetime(times, errors="coerce", format="mixed")
        if order_key.notna().sum() < 0.9 * times.notna().sum():
            raise TaskError(f"time_column {name!r} holds neither numbers nor dates — choose another column")
    order = (
        order_key.reset_index(drop=True).sort_values(kind="mergesort", na_position="last").index.to_numpy()
    )
    fold = np.empty(len(times), dtype="int64")
    for k, block in enumerate(np.array_split(order, n_folds)):
        fold[block] = k
    return fold


def write_folds(folds: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Save the split atomically: a resumed run must never read half a fold file."""
    atomic_write_text(path, folds.to_csv(index=False))


def read_folds(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A saved split, checked to have a whole-number `fold` column."""
    folds = read_table(path)
    if FOLD_COLUMN not in folds.columns or folds.shape[1] != 2:
        raise TaskError(f"{path}: not a fold file (expected two columns: the id column and {FOLD_COLUMN!r})")
    if not pd.api.types.is_integer_dtype(folds[FOLD_COLUMN]):
        raise TaskError(f"{path}: column {FOLD_COLUMN!r} must hold whole numbers — recreate the fold file")
    return folds
