"""Grading on hidden answers: every metric against values worked out by hand, and bad submissions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from mlestar_lab.bench.baseline_worker import BaselineRun
from mlestar_lab.bench.grading import AnswersError, grade_file, load_answer_key
from mlestar_lab.bench.runner import baseline_fields


def _key(tmp_path: Path, metric: str, task_type: str, truth: list, **meta):
    """An answers folder for ids 10, 11, … (in that order) with target `y`, loaded as the bench would."""
    folder = tmp_path / "answers"
    folder.mkdir()
    pd.DataFrame({"id": range(10, 10 + len(truth)), "y": truth}).to_csv(folder / "answers.csv", index=False)
    columns = meta.pop("submission_columns", ["id", "y"])
    meta = {"name": "t", "task_type": task_type, "target": "y", "id_column": "id", "metric": metric, **meta}
    (folder / "task.json").write_text(json.dumps({**meta, "submission_columns": columns}), encoding="utf-8")
    return load_answer_key(folder)


def _grade(tmp_path: Path, key, frame: pd.DataFrame):
    """Grade `frame` written as a CSV, rows reversed: the grader must match rows by id, not position."""
    path = tmp_path / "submission.csv"
    frame.iloc[::-1].to_csv(path, index=False)
    return grade_file(path, key)


def _score(tmp_path, metric, task_type, truth, pred, **meta) -> float:
    key = _key(tmp_path, metric, task_type, truth, **meta)
    grade = _grade(tmp_path, key, pd.DataFrame({"id": range(10, 10 + len(pred)), "y": pred}))
    assert grade.valid, grade.error
    return grade.score


# Hand computations:
# auc: positives 0.35, 0.8 vs negatives 0.1, 0.4 → pairs won: (0.35>0.1), (0.8>0.1), (0.8>0.4) = 3 of 4.
# auc with ties: positives 0.5, 0.9 vs negatives 0.5, 0.5 → 0.5 + 0.5 + 1 + 1 = 3 of 4.
# logloss: -(ln 0.8 + ln 0.6) / 2.
# accuracy: "1.0" equals 1 and "0" equals 0 as numbers; the third row is wrong → 3 of 4.
# f1 (binary, positive 1): tp 1, fp 1, fn 1 → 2·1 / (2·1 + 1 + 1) = 0.5.
# f1 (macro): a: tp1 fn1 → 2/3; b: tp1 fp1 → 2/3; c: 1 → (2/3 + 2/3 + 1) / 3 = 7/9.
# rmse: errors 0, 0, 2 → sqrt(4/3); mae: 2/3; r2: 1 − 1/2; rmsle: sqrt((0 + 1²)/2) for log1p(e−1) = 1.
@pytest.mark.parametrize(
    ("metric", "task_type", "truth", "pred", "expected"),
    [
        ("auc", "binary", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),
        ("auc", "binary", [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.9], 0.75),
        ("logloss", "binary", [1, 0], [0.8, 0.4], (-math.log(0.8) - math.log(0.6)) / 2),
        ("accuracy", "binary", [0, 1, 1, 0], ["0", "1.0", "0", "0"], 0.75),
        ("accuracy", "binary", ["yes", "no"], [" yes", "yes"], 0.5),
        ("f1", "binary", [1, 1, 0, 0], [1, 0, 1, 0], 0.5),
        ("f1", "multiclass", ["a", "a", "b", "c"], ["a", "b", "b", "c"], 7 / 9),
        ("rmse", "regression", [1, 2, 5], [1, 2, 3], math.sqrt(4 / 3)),
        ("mae", "regression", [1, 2, 5], [1, 2, 3], 2 / 3),
        ("r2", "regression", [1, 2, 3], [1, 2, 2], 0.5),
        ("rmsle", "regression", [0, 0], [0, math.e - 1], math.sqrt(0.5)),
    ],
)
def test_each_metric_matches_the_hand_computed_value(tmp_path, metric, task_type, truth, pred, expected):
    assert _score(tmp_path, metric, task_type, truth, pred) == pytest.approx(expected, abs=1e-12)


def test_logloss_clips_certain_predictions_instead_of_returning_infinity(tmp_path):
    # Both rows certain and wrong: 0 is clipped up to 1e-15, 1 down to 1 - 1e-15 (whose complement,
    # in floating point, is 1 - (1 - 1e-15), not exactly 1e-15).
    expected = -(math.log(1e-15) + math.log(1 - (1 - 1e-15))) / 2
    assert _score(tmp_path, "logloss", "binary", [1, 0], [0.0, 1.0]) == pytest.approx(expected, abs=1e-12)


def test_auc_and_logloss_use_the_positive_label_of_the_key(tmp_path):
    score = _score(tmp_path, "auc", "binary", ["m", "b", "m"], [0.9, 0.2, 0.1], positive_label="m")
    assert score == pytest.approx(0.5)  # positives 0.9 and 0.1 against the negative 0.2: one pair won of two


def test_mlogloss_normalises_rows_like_the_benchmark(tmp_path):
    # Row 1 (true A): 2/(2+1+1) = 0.5; row 2 (true C): 0.6 → (−ln 0.5 − ln 0.6) / 2.
    key = _key(
        tmp_path,
        "mlogloss",
        "multiclass",
        ["A", "C"],
        classes=["A", "B", "C"],
        submission_columns=["id", "A", "B", "C"],
    )
    frame = pd.DataFrame({"id": [10, 11], "A": [2.0, 0.2], "B": [1.0, 0.2], "C": [1.0, 0.6]})
    grade = _grade(tmp_path, key, frame)
    assert grade.valid and grade.score == pytest.approx((-math.log(0.5) - math.log(0.6)) / 2, abs=1e-12)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pd.DataFrame({"id": [10, 11], "y": [1.0, 2.0]}), "expected 3 rows, got 2"),
        (pd.DataFrame({"id": [10, 11, 99], "y": [1.0, 2.0, 3.0]}), "ids differ"),
        (pd.DataFrame({"id": [10, 10, 11], "y": [1.0, 2.0, 3.0]}), "duplicate ids"),
        (pd.DataFrame({"id": ["a", "b", "c"], "y": [1.0, 2.0, 3.0]}), "must be integers"),
        (pd.DataFrame({"id": [10, 11, 12], "y": [1.0, None, 3.0]}), "NaN"),
        (pd.DataFrame({"id": [10, 11, 12], "y": ["1", "two", "3"]}), "must be numeric"),
        (pd.DataFrame({"id": [10, 11, 12], "prediction": [1.0, 2.0, 3.0]}), "missing columns ['y']"),
        (pd.DataFrame({"row": [10, 11, 12], "y": [1.0, 2.0, 3.0]}), "missing columns ['id']"),
        (pd.DataFrame({"id": [10, 11, 12], "y": [1.0, -2.0, 3.0]}), "RMSLE needs predictions >= 0"),
    ],
)
def test_invalid_submissions_are_reported_with_their_reason(tmp_path, frame, reason):
    key = _key(tmp_path, "rmsle", "regression", [1.0, 2.0, 3.0])
    grade = _grade(tmp_path, key, frame)
    assert not grade.valid and grade.score is None
    assert reason in grade.error


def test_missing_label_predictions_and_bad_probabilities_are_invalid(tmp_path):
    key = _key(tmp_path, "accuracy", "binary", [0, 1])
    assert (
        "missing predictions" in _grade(tmp_path, key, pd.DataFrame({"id": [10, 11], "y": [0, None]})).error
    )
    (tmp_path / "answers").rename(tmp_path / "old")
    key = _key(
        tmp_path,
        "mlogloss",
        "multiclass",
        ["A", "B"],
        classes=["A", "B"],
        submission_columns=["id", "A", "B"],
    )
    negative = pd.DataFrame({"id": [10, 11], "A": [-0.1, 0.5], "B": [1.1, 0.5]})
    assert "negative probabilities" in _grade(tmp_path, key, negative).error
    zero = pd.DataFrame({"id": [10, 11], "A": [0.0, 0.5], "B": [0.0, 0.5]})
    assert "sums to 0" in _grade(tmp_path, key, zero).error


def test_unreadable_or_absent_files_are_invalid_not_errors(tmp_path):
    key = _key(tmp_path, "rmse", "regression", [1.0])
    assert "no submission file" in grade_file(tmp_path / "nowhere.csv", key).error
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert "EmptyDataError" in grade_file(tmp_path / "empty.csv", key).error


def test_a_baseline_with_an_invalid_submission_is_an_invalid_row(tmp_path):
    key = _key(tmp_path, "rmse", "regression", [1.0, 2.0])
    path = tmp_path / "nan.csv"
    pd.DataFrame({"id": [10, 11], "y": [1.0, float("nan")]}).to_csv(path, index=False)
    row = baseline_fields(BaselineRun("lgbm", 1.5, val_score=0.3, submission=str(path)), key)
    assert row["valid"] is False and row["test_score"] is None and "NaN" in row["error"]
    assert row["val_score"] == 0.3 and row["gap"] is None


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "has no task.json"),
        ({"task.json": "{not json", "answers.csv": "id,y\n1,2\n"}, "not valid JSON"),
        ({"task.json": '{"name": "t"}', "answers.csv": "id,y\n1,2\n"}, "lacks task_type"),
    ],
)
def test_broken_answers_folders_say_what_is_wrong(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(AnswersError, match=message):
        load_answer_key(tmp_path)


def test_an_unknown_metric_in_the_key_names_the_supported_ones(tmp_path):
    with pytest.raises(AnswersError, match="supported: auc"):
        _key(tmp_path, "kappa", "binary", [0, 1])
