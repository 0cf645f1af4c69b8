"""Grading a submission on hidden answers with the benchmark grader's semantics.

The benchmark ships its own grader; the bench must agree with it to the last digit, so the rules
are the grader's: the submission needs every expected column, one row per test id (any order,
no duplicates), numbers without NaN where a score is computed from numbers, labels compared as
numbers when every true label is numeric (so `1`, `"1"` and `1.0` match) and as trimmed strings
otherwise. A malformed submission is not an exception for the bench but a result: `grade_file`
returns it as invalid with the reason. The same key, built from train labels instead of hidden
ones, scores the baselines' out-of-fold predictions, so validation and test use one code path.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from mlestar_lab.errors import UserError
from mlestar_lab.task.infer import label_strings
from mlestar_lab.task.metrics import get_metric, score
from mlestar_lab.task.model import Task

ANSWERS_FILE = "answers.csv"
KEY_FILE = "task.json"
_REQUIRED_KEYS = ("name", "task_type", "target", "id_column", "metric", "submission_columns")


class InvalidSubmission(ValueError):
    """A submission the competition would refuse; the message says what is wrong with it."""


class AnswersError(UserError):
    """An answers folder the bench cannot grade with."""


@dataclass(frozen=True)
class AnswerKey:
    """What grading needs: the true labels and how the submission must look."""

    name: str
    task_type: str
    target: str
    id_column: str
    metric: str
    higher_is_better: bool
    submission_columns: list[str]
    answers: pd.DataFrame
    classes: list[str] | None = None
    class_columns: list[str] | None = None
    positive_label: Any = 1
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Grade:
    valid: bool
    score: float | None = None
    error: str | None = None


def load_answer_key(folder: str | os.PathLike[str]) -> AnswerKey:
    """The key in `folder` (task.json + answers.csv); a one-line error says what is missing."""
    root = Path(folder)
    for name in (KEY_FILE, ANSWERS_FILE):
        if not (root / name).is_file():
            raise AnswersError(f"{root} has no {name} — an answers folder holds task.json and answers.csv")
    try:
        meta = json.loads((root / KEY_FILE).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AnswersError(f"{root / KEY_FILE} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    missing = [k for k in _REQUIRED_KEYS if k not in meta]
    if missing:
        raise AnswersError(f"{root / KEY_FILE} lacks {', '.join(missing)}")
    try:
        metric = get_metric(meta["metric"])
    except KeyError as exc:
        raise AnswersError(f"{root / KEY_FILE}: {exc.args[0]}") from exc
    answers = pd.read_csv(root / ANSWERS_FILE)
    for column in (meta["id_column"], meta["target"]):
        if column not in answers.columns:
            raise AnswersError(f"{root / ANSWERS_FILE} has no column {column!r} (named in task.json)")
    return AnswerKey(
        name=meta["name"],
        task_type=meta["task_type"],
        target=meta["target"],
        id_column=meta["id_column"],
        metric=metric.name,
        higher_is_better=bool(meta.get("higher_is_better", metric.higher_is_better)),
        submission_columns=list(meta["submission_columns"]),
        answers=answers,
        classes=meta.get("classes"),
        positive_label=meta.get("positive_label", 1),
        meta=meta,
    )


def train_answer_key(task: Task, train: pd.DataFrame) -> AnswerKey:
    """A key holding train's own labels: cross-validated predictions are graded like a submission.

    Class columns may carry a prefix (`Class_1` for label `1`), so columns and labels are kept
    apart; the Task already paired them in submission-column order.
    """
    value_columns = [c for c in task.submission_columns if c != task.id_column]
    multiclass_columns = task.task_type == "multiclass" and len(value_columns) > 1
    return AnswerKey(
        name=task.name,
        task_type=task.task_type,
        target=task.target,
        id_column=task.id_column,
        metric=task.metric,
        higher_is_better=task.higher_is_better,
        submission_columns=list(task.submission_columns),
        answers=train[[task.id_column, task.target]].reset_index(drop=True),
        classes=task.classes,
        class_columns=value_columns if multiclass_columns else None,
        positive_label=task.classes[1] if task.task_type == "binary" and task.classes else 1,
    )


def grade_file(path: str | os.PathLike[str], key: AnswerKey) -> Grade:
    """The score of the submission at `path`, or why it is invalid; never raises for a bad file."""
    try:
        submission = pd.read_csv(path, low_memory=False)
        return Grade(valid=True, score=grade_frame(submission, key))
    except FileNotFoundError:
        return Grade(valid=False, error=f"no submission file at {path}")
    except (InvalidSubmission, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return Grade(valid=False, error=f"{type(exc).__name__}: {exc}")


def grade_frame(submission: pd.DataFrame, key: AnswerKey) -> float:
    """The metric of `submission` against the key's answers; InvalidSubmission when malformed."""
    aligned = _aligned(submission, key)
    truth = key.answers[key.target].to_numpy()
    metric = key.metric
    if metric == "mlogloss":
        return _mlogloss(aligned, truth, key)
    if metric in ("accuracy", "f1"):
        predicted = aligned[key.target]
        if predicted.isna().any():
            raise InvalidSubmission(f"column {key.target!r} has missing predictions")
        return _label_metric(metric, predicted.to_numpy(), truth, key)
    values = _numbers(aligned, key.target)
    if metric in ("auc", "logloss"):
        return score(metric, _is_label(truth, key.positive_label).astype(int), values)
    if metric == "rmsle" and (values < 0).any():
        raise InvalidSubmission("RMSLE needs predictions >= 0")
    return score(metric, truth.astype(float), values)


def _aligned(submission: pd.DataFrame, key: AnswerKey) -> pd.DataFrame:
    """The submission's rows in the answers' order, after the structural checks."""
    missing = [c for c in key.submission_columns if c not in submission.columns]
    if missing:
        raise InvalidSubmission(f"missing columns {missing}; expected {key.submission_columns}")
    ids = submission[key.id_column]
    if ids.duplicated().any():
        raise InvalidSubmission(f"duplicate ids in column {key.id_column!r}")
    if len(submission) != len(key.answers):
        raise InvalidSubmission(f"expected {len(key.answers)} rows, got {len(submission)}")
    true_ids = key.answers[key.id_column]
    if pd.api.types.is_integer_dtype(true_ids):
        try:
            ids = pd.to_numeric(ids, errors="raise").astype(np.int64)
        except (ValueError, TypeError) as exc:
            raise InvalidSubmission(f"ids in {key.id_column!r} must be integers like the test ids") from exc
    else:
        ids, true_ids = ids.astype(str).str.strip(), true_ids.astype(str).str.strip()
    indexed = submission.set_axis(pd.Index(ids.to_numpy()), axis=0)
    if set(indexed.index) != set(true_ids):
        raise InvalidSubmission("submission ids differ from the test ids")
    return indexed.loc[true_ids.to_numpy()]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    try:
        values = pd.to_numeric(frame[column], errors="raise").astype(float).to_numpy()
    except (ValueError, TypeError) as exc:
        raise InvalidSubmission(f"column {column!r} must be numeric") from exc
    if not np.all(np.isfinite(values)):
        raise InvalidSubmission(f"column {column!r} contains NaN or infinite values")
    return values


def _same_labels(predicted: Any, truth: Any) -> np.ndarray:
    """Element-wise label equality: numeric when every true label is a number, else trimmed text."""
    pred, true = pd.Series(np.asarray(predicted, dtype=object)), pd.Series(np.asarray(truth, dtype=object))
    true_numbers = pd.to_numeric(true, errors="coerce")
    if true_numbers.notna().all():
        pred_numbers = pd.to_numeric(pred, errors="coerce")
        close = np.isclose(pred_numbers.to_numpy(dtype=float), true_numbers.to_numpy(dtype=float))
        return close & pred_numbers.notna().to_numpy()
    return pred.astype(str).str.strip().to_numpy() == true.astype(str).str.strip().to_numpy()


def _is_label(values: np.ndarray, label: Any) -> np.ndarray:
    return _same_labels(values, np.full(len(values), label, dtype=object))


def _label_metric(metric: str, predicted: np.ndarray, truth: np.ndarray, key: AnswerKey) -> float:
    if metric == "accuracy":
        return float(np.mean(_same_labels(predicted, truth)))
    if key.task_type == "binary":
        positive = key.positive_label
        return float(f1_score(_is_label(truth, positive), _is_label(predicted, positive)))
    labels = sorted(label_strings(pd.Series(truth)).unique())
    true_index, pred_index = _label_index(truth, labels), _label_index(predicted, labels)
    return float(f1_score(true_index, pred_index, labels=list(range(len(labels))), average="macro"))


def _label_index(values: np.ndarray, labels: list[str]) -> np.ndarray:
    """Position of each value in `labels` (-1 for a label the answers never use)."""
    matches = np.column_stack([_is_label(values, label) for label in labels])
    return np.where(matches.any(axis=1), matches.argmax(axis=1), -1)


def _mlogloss(aligned: pd.DataFrame, truth: np.ndarray, key: AnswerKey) -> float:
    labels = key.classes or []
    columns = key.class_columns or labels
    probabilities = np.column_stack([_numbers(aligned, c) for c in columns])
    if (probabilities < 0).any():
        raise InvalidSubmission("negative probabilities")
    if (probabilities.sum(axis=1) <= 0).any():
        raise InvalidSubmission("a row of probabilities sums to 0")
    position = {label: i for i, label in enumerate(labels)}
    true_labels = label_strings(pd.Series(truth))
    unknown = sorted(set(true_labels) - set(position))
    if unknown or len(true_labels) != len(truth):
        raise AnswersError(f"answers of {key.name} hold labels {unknown or ['<missing>']} outside {labels}")
    return score("mlogloss", true_labels.map(position).to_numpy(), probabilities)
