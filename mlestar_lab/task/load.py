"""Turning a Kaggle-layout competition folder into a `Task`.

Everything the agent needs is inferred from the folder (see `mlestar_lab.task.infer`); when a
guess is impossible the error names the one setting in `mlestar-task.toml` (or CLI flag) that
resolves it. Nothing is guessed silently when two answers are equally plausible.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlestar_lab.errors import TaskError
from mlestar_lab.task import infer
from mlestar_lab.task.config import CONFIG_FILE, TaskSettings, read_settings
from mlestar_lab.task.inventory import inventory, read_table, table_format, table_stem
from mlestar_lab.task.metrics import METRICS, Metric, find_metric_in_text, get_metric
from mlestar_lab.task.model import Task, TaskType

DESCRIPTION_FILE = "description.md"
# Per file role: its usual names (matched case-insensitively, underscores ignored; the first one
# appears in messages) and why the agent cannot do without it.
_ROLES = {
    "train_file": (("train",), "the agent trains on it"),
    "test_file": (("test",), "the agent predicts its rows"),
    "sample_submission_file": (
        ("sample_submission", "samplesubmission"),
        "the agent needs it to know the submission format",
    ),
}


@dataclass
class _Tables:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame


def load_task(root: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> Task:
    """The Task of the competition folder `root`; a one-line TaskError says what to fix."""
    folder = Path(root).expanduser()
    if not folder.exists():
        raise TaskError(f"task folder {folder} does not exist — check the path")
    if not folder.is_dir():
        raise TaskError(
            f"{folder} is a file, not a competition folder — pass the folder that holds train.csv"
        )
    folder = folder.resolve()
    settings = read_settings(folder, overrides)
    paths = {role: _locate(folder, role, getattr(settings, role)) for role in _ROLES}
    tables = _Tables(*(read_table(folder / paths[role], label=paths[role]) for role in _ROLES))
    for role, frame in zip(_ROLES, (tables.train, tables.test, tables.sample), strict=True):
        if frame.empty:
            raise TaskError(f"{paths[role]}: has no rows — {_ROLES[role][1]}; fix or replace the file")
    description = _description(folder)

    id_column = _id_column(settings, tables, paths)
    target, classes = _target(settings, tables, paths, id_column)
    metric = _metric(settings, description)
    task_type = _task_type(settings, description, tables, target, classes, metric)
    _check_fit(metric, task_type, target, paths["train_file"])
    if task_type == "binary":
        classes = infer.binary_classes(tables.train[target])
    elif task_type == "multiclass" and classes is None:
        classes = infer.multiclass_labels(tables.train[target])
    n_folds = settings.n_folds or 5
    _check_validation_columns(settings, tables.train, n_folds, paths["train_file"])

    loaded = {paths["train_file"]: tables.train, paths["test_file"]: tables.test}
    loaded[paths["sample_submission_file"]] = tables.sample
    return Task(
        name=folder.name,
        root=str(folder),
        description=description,
        task_type=task_type,
        target=target,
        id_column=id_column,
        metric=metric.name,
        higher_is_better=metric.higher_is_better,
        submission_columns=[str(c) for c in tables.sample.columns],
        classes=classes,
        columns=infer.profile_columns(tables.train, [str(c) for c in tables.test.columns], id_column),
        files=inventory(folder, loaded=loaded),
        n_train=len(tables.train),
        n_test=len(tables.test),
        n_folds=n_folds,
        group_column=settings.group_column,
        time_column=settings.time_column,
        **paths,
    )


def _locate(folder: Path, role: str, chosen: str | None) -> str:
    """The relative path of train/test/sample submission: as configured, else by its usual name."""
    if chosen:
        path = folder / chosen
        if not path.is_file():
            raise TaskError(f"{role} = {chosen!r} (from settings) is not a file in {folder} — fix the path")
        if table_format(path) is None:
            raise TaskError(f"{role} = {chosen!r} is not a table (.csv, .tsv, .parquet, .feather, .xlsx)")
        return Path(chosen).as_posix()
    stems, why = _ROLES[role]
    found = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and (table_stem(p.name) or "").lower().replace("_", "") in stems
    )
    if not found:
        raise TaskError(f"no {stems[0]}.csv in {folder} — {why}; add it (or set {role} in {CONFIG_FILE})")
    if len(found) > 1:
        raise TaskError(
            f"several {stems[0]} tables in {folder} ({', '.join(found)}) — set {role} in {CONFIG_FILE}"
        )
    return found[0]


def _description(folder: Path) -> str:
    path = folder / DESCRIPTION_FILE
    if not path.is_file():
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"{DESCRIPTION_FILE}: not UTF-8 text — re-save the file as UTF-8") from exc
    except OSError as exc:
        raise TaskError(f"{DESCRIPTION_FILE}: cannot be read ({exc.strerror}) — fix or remove it") from exc


def _id_column(settings: TaskSettings, tables: _Tables, paths: dict[str, str]) -> str:
    test_name, sample_name = paths["test_file"], paths["sample_submission_file"]
    if settings.id_column is None:
        found = infer.find_id_column(tables.sample, tables.test)
        if found is None:
            raise TaskError(
                f"cannot tell the id column: no {sample_name} column has the same values as a "
                f'{test_name} column; set id_column = "..." in {CONFIG_FILE} or pass --id-column'
            )
        return found
    chosen = settings.id_column
    for name, frame in ((test_name, tables.test), (sample_name, tables.sample)):
        if chosen not in frame.columns:
            raise TaskError(
                f"id column {chosen!r} is not in {name} (columns: {_names(frame)}) — fix id_column"
            )
    if not infer.same_values(tables.test[chosen], tables.sample[chosen]):
        raise TaskError(
            f"id column {chosen!r} holds different values in {test_name} and {sample_name} — "
            "pick the column that identifies test rows"
        )
    return chosen


def _target(
    settings: TaskSettings, tables: _Tables, paths: dict[str, str], id_column: str
) -> tuple[str, list[str] | None]:
    """The target column and, for a probability-per-class submission, the class labels."""
    predicted = [str(c) for c in tables.sample.columns if c != id_column]
    train_name = paths["train_file"]
    if settings.target is not None:
        if settings.target not in tables.train.columns:
            raise TaskError(
                f"target {settings.target!r} is not a column of {train_name} ({_names(tables.train)})"
            )
        return settings.target, _class_columns(tables.train[settings.target], predicted, settings.target)
    absent = [c for c in infer.missing_from_test(tables.train, tables.test) if c != id_column]
    named = [c for c in predicted if c in absent]
    if len(named) == 1 and len(predicted) == 1:
        return named[0], None
    if len(named) > 1:
        raise TaskError(
            f"the sample submission predicts several train columns ({', '.join(named)}); mlestar-lab "
            f'predicts one target — set target = "..." in {CONFIG_FILE} or pass --target'
        )
    if len(predicted) > 1:
        for column in absent:
            classes = infer.match_class_columns(tables.train[column], predicted)
            if classes is not None:
                return column, classes
    raise TaskError(
        f"cannot tell the target column: {train_name} has no column that {paths['test_file']} lacks and "
        f'the sample submission names; set target = "..." in {CONFIG_FILE} or pass --target'
    )


def _class_columns(target: pd.Series, predicted: list[str], name: str) -> list[str] | None:
    if len(predicted) <= 1:
        return None
    classes = infer.match_class_columns(target, predicted)
    if classes is None:
        raise TaskError(
            f"the sample submission columns ({', '.join(predicted)}) are neither {name!r} nor its class "
            "labels — check target"
        )
    return classes


def _metric(settings: TaskSettings, description: str) -> Metric:
    supported = ", ".join(METRICS)
    if settings.metric is not None:
        try:
            return get_metric(settings.metric)
        except KeyError as exc:
            raise TaskError(
                f"unknown metric {settings.metric!r} in settings; supported: {supported}"
            ) from exc
    metric = find_metric_in_text(description)
    if metric is None:
        where = (
            f"{DESCRIPTION_FILE} names no supported metric; add a line"
            if description
            else f"no {DESCRIPTION_FILE} says how submissions are scored; add one with a line"
        )
        raise TaskError(
            f"{where} 'Evaluation metric: rmse' or set metric in {CONFIG_FILE}; supported: {supported}"
        )
    return metric


def _task_type(
    settings: TaskSettings,
    description: str,
    tables: _Tables,
    target: str,
    classes: list[str] | None,
    metric: Metric,
) -> TaskType:
    y = tables.train[target]
    if y.dropna().nunique() < 2:
        raise TaskError(f"target {target!r} has fewer than two distinct values in train — check target")
    try:
        stated = settings.task_type or infer.explicit_task_type(description)
    except ValueError as exc:
        raise TaskError(
            f"{DESCRIPTION_FILE} states task type {exc} — supported: binary, multiclass, regression; "
            f"set task_type in {CONFIG_FILE}"
        ) from exc
    sample = tables.sample[target] if target in tables.sample.columns else None
    task_type = infer.infer_task_type(y, classes is not None, stated, metric, sample)
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task_type == "regression" and not numeric:
        raise TaskError(
            f"task type is regression but target {target!r} is not numeric — fix task_type or target"
        )
    n_labels = y.dropna().nunique()
    if task_type == "binary" and n_labels != 2:
        raise TaskError(
            f"task type is binary but target {target!r} has {n_labels} distinct values — fix task_type"
        )
    if classes is not None and task_type != "multiclass":
        raise TaskError(
            f"the sample submission has one column per class, so the task is multiclass, not {task_type}"
        )
    return task_type


def _check_fit(metric: Metric, task_type: str, target: str, train_name: str) -> None:
    if task_type not in metric.task_types:
        raise TaskError(
            f"metric {metric.name} is for {'/'.join(metric.task_types)} tasks but this task "
            f"({target!r} in {train_name}) is {task_type} — set metric or task_type in {CONFIG_FILE}"
        )


def _check_validation_columns(
    settings: TaskSettings, train: pd.DataFrame, n_folds: int, train_name: str
) -> None:
    if settings.group_column and settings.time_column:
        raise TaskError(
            "set group_column or time_column, not both — folds are either grouped or time-ordered"
        )
    for key in ("group_column", "time_column"):
        column = getattr(settings, key)
        if column and column not in train.columns:
            raise TaskError(f"{key} {column!r} is not a column of {train_name} ({_names(train)})")
    if len(train) < n_folds:
        raise TaskError(f"{train_name} has {len(train)} rows, fewer than n_folds = {n_folds} — lower n_folds")


def _names(frame: pd.DataFrame, limit: int = 12) -> str:
    names = [str(c) for c in frame.columns]
    return ", ".join(names[:limit]) + (", …" if len(names) > limit else "")
