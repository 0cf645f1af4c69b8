"""Submission validation against the sample submission, with concrete messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_task as base_task

from mlestar_lab.checks.submission import validate_submission
from mlestar_lab.errors import TaskError
from mlestar_lab.task.model import Task


def make_task(metric: str, task_type: str = "regression", classes: list[str] | None = None) -> Task:
    return base_task(
        task_type=task_type, target="y", metric=metric, submission_columns=["id", "y"], classes=classes
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample_submission.csv"
    path.write_text("id,y\n" + "".join(f"{i},0.5\n" for i in range(10, 30)))
    return path


def check(tmp_path: Path, sample: Path, text: str, task: Task | None = None) -> list[str]:
    path = tmp_path / "submission.csv"
    path.write_text(text)
    findings = validate_submission(path, sample, task or make_task("rmse"))
    assert all(f.checker == "submission" and f.severity == "error" for f in findings)
    return [f.message for f in findings]


def rows(values: dict[int, str]) -> str:
    return "id,y\n" + "".join(f"{i},{v}\n" for i, v in values.items())


ALL = {i: "0.25" for i in range(10, 30)}


def test_a_valid_submission_has_no_findings(tmp_path: Path, sample: Path) -> None:
    assert check(tmp_path, sample, rows(ALL)) == []
    reordered = dict(reversed(list(ALL.items())))
    assert check(tmp_path, sample, rows(reordered)) == []
    as_floats = "id,y\n" + "".join(f"{i}.0,0.25\n" for i in range(10, 30))
    assert check(tmp_path, sample, as_floats) == []


def test_missing_and_unreadable_files(tmp_path: Path, sample: Path) -> None:
    assert validate_submission(tmp_path / "nothing.csv", sample, make_task("rmse"))[0].message.startswith(
        f"no submission at {tmp_path / 'nothing.csv'}"
    )
    assert check(tmp_path, sample, "") == [
        "submission.csv is not a readable CSV: No columns to parse from file"
    ]
    with pytest.raises(TaskError, match="cannot read the sample submission"):
        validate_submission(sample, tmp_path / "missing_sample.csv", make_task("rmse"))


def test_columns_must_match_in_name_and_order(tmp_path: Path, sample: Path) -> None:
    swapped = "y,id\n" + "".join(f"0.25,{i}\n" for i in range(10, 30))
    assert check(tmp_path, sample, swapped) == [
        "columns are in a different order: got ['y', 'id'], expected ['id', 'y']"
    ]
    renamed = "id,target\n" + "".join(f"{i},0.25\n" for i in range(10, 30))
    assert check(tmp_path, sample, renamed) == [
        "columns differ from the sample submission: missing ['y'], unexpected ['target'] "
        "(expected ['id', 'y'])"
    ]


def test_ids_missing_repeated_or_unknown(tmp_path: Path, sample: Path) -> None:
    missing = {i: v for i, v in ALL.items() if i not in (17, 23)}
    assert check(tmp_path, sample, rows(missing)) == [
        "the submission has 18 rows, the sample submission 20 (one per row of test.csv)",
        "2 ids of test.csv are missing from the submission, e.g. 17, 23",
    ]
    text = rows(ALL) + "11,0.3\n99,0.1\n"
    assert check(tmp_path, sample, text) == [
        "the submission has 22 rows, the sample submission 20 (one per row of test.csv)",
        "1 id appears more than once in the submission, e.g. 11",
        "1 id of the submission is not in test.csv, e.g. 99",
    ]
    no_id = rows(ALL).replace("\n12,", "\n,")
    assert check(tmp_path, sample, no_id)[:2] == [
        "1 row of the submission has no id",
        "1 id of test.csv is missing from the submission, e.g. 12",
    ]


def test_values_must_be_present_finite_and_numeric(tmp_path: Path, sample: Path) -> None:
    assert check(tmp_path, sample, rows({**ALL, 12: "", 13: ""})) == ["column 'y' has 2 missing values"]
    assert check(tmp_path, sample, rows({**ALL, 12: "inf", 13: "-inf"})) == [
        "column 'y' has 2 infinite values"
    ]
    assert check(tmp_path, sample, rows({**ALL, 12: "high"})) == [
        "column 'y' must be numeric like the sample submission, but holds 1 non-numeric value, e.g. 'high'"
    ]


def test_metric_ranges(tmp_path: Path, sample: Path) -> None:
    auc = make_task("auc", "binary", ["0", "1"])
    assert check(tmp_path, sample, rows({**ALL, 12: "1.3", 14: "-0.1"}), auc) == [
        "column 'y' must hold probabilities in [0, 1] for auc: 2 values are outside, e.g. 1.3, -0.1"
    ]
    assert check(
        tmp_path, sample, rows({**ALL, 12: "-2"}), make_task("root mean squared logarithmic error")
    ) == ["column 'y' must be non-negative for rmsle: 1 value is negative, e.g. -2.0"]
    assert check(tmp_path, sample, rows({**ALL, 12: "-2"}), make_task("rmse")) == []


def test_labels_must_be_known_classes(tmp_path: Path) -> None:
    sample = tmp_path / "sample_submission.csv"
    sample.write_text("id,y\n1,cat\n2,cat\n3,cat\n")
    accuracy = make_task("accuracy", "multiclass", ["cat", "dog", "eel"])
    assert check(tmp_path, sample, "id,y\n1,dog\n2,eel\n3,cat\n", accuracy) == []
    assert check(tmp_path, sample, "id,y\n1,dog\n2,cow\n3,0.7\n", accuracy) == [
        "column 'y' holds 2 labels not among the classes of the task ['cat', 'dog', 'eel'], e.g. 'cow', '0.7'"
    ]
    numeric = tmp_path / "numeric_sample.csv"
    numeric.write_text("id,y\n1,0\n2,0\n")
    binary = make_task("f1", "binary", ["0", "1"])
    assert check(tmp_path, numeric, "id,y\n1,1\n2,0.0\n", binary) == []
    assert check(tmp_path, numeric, "id,y\n1,1\n2,2\n", binary) == [
        "column 'y' holds 1 label not among the classes of the task ['0', '1'], e.g. '2'"
    ]


def test_class_probability_columns(tmp_path: Path) -> None:
    sample = tmp_path / "sample_submission.csv"
    sample.write_text("id,a,b,c\n1,0.3,0.3,0.4\n2,0.3,0.3,0.4\n")
    task = make_task("mlogloss", "multiclass", ["a", "b", "c"])
    assert check(tmp_path, sample, "id,a,b,c\n1,0.2,0.2,0.6\n2,1,0,0\n", task) == []
    assert check(tmp_path, sample, "id,a,b,c\n1,0.2,0.2,1.6\n2,1,,0\n", task) == [
        "column 'b' has 1 missing value",
        "column 'c' must hold probabilities in [0, 1] for mlogloss: 1 value is outside, e.g. 1.6",
    ]
