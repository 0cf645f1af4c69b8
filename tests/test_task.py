"""Turning competition folders into Tasks: inference, settings, inventory and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_task_dir

from mlestar_lab.errors import TaskError, UserError
from mlestar_lab.task.inventory import inventory, read_table
from mlestar_lab.task.load import load_task
from mlestar_lab.task.model import Task


def _frames(n_train: int = 60, n_test: int = 20, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small numeric problem: ids interleaved between train and test, as after a shuffle."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(n_train + n_test)
    frame = pd.DataFrame({"row": ids, "x1": rng.normal(size=ids.size), "x2": rng.integers(0, 50, ids.size)})
    frame["y"] = 3 * frame["x1"] + rng.normal(size=ids.size)
    return frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].drop(columns="y")


def _error(folder: Path, overrides: dict | None = None) -> str:
    with pytest.raises(TaskError) as caught:
        load_task(folder, overrides)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message
    return message


def test_regression_demo_is_inferred(demo_task_dir: Path) -> None:
    task = load_task(demo_task_dir)
    assert (task.target, task.id_column, task.task_type) == ("progression", "id", "regression")
    assert (task.metric, task.higher_is_better, task.classes) == ("rmse", False, None)
    assert task.submission_columns == ["id", "progression"]
    assert task.n_train + task.n_test == 442
    assert [c.name for c in task.feature_columns] == [
        "age",
        "sex",
        "bmi",
        "bp",
        "s1",
        "s2",
        "s3",
        "s4",
        "s5",
        "s6",
    ]
    kinds = {c.name: c.kind for c in task.columns}
    assert kinds["id"] == "id" and kinds["bmi"] == "numeric" and kinds["progression"] == "numeric"
    assert not next(c for c in task.columns if c.name == "progression").in_test
    assert [f.path for f in task.files] == [
        "description.md",
        "sample_submission.csv",
        "test.csv",
        "train.csv",
    ]
    train_info = next(f for f in task.files if f.path == "train.csv")
    assert (
        train_info.kind == "table" and train_info.rows == task.n_train and "progression" in train_info.columns
    )
    assert task.auxiliary_files == []
    assert "Diabetes" in task.description


def test_binary_demo_is_inferred(binary_task_dir: Path) -> None:
    task = load_task(binary_task_dir)
    assert (task.target, task.id_column, task.task_type) == ("malignant", "id", "binary")
    assert (task.metric, task.higher_is_better, task.classes) == ("auc", True, ["0", "1"])
    assert task.n_train + task.n_test == 569
    assert len(task.feature_columns) == 30
    assert all(c.kind == "numeric" for c in task.feature_columns)


def test_multiclass_demo_is_inferred(multiclass_task_dir: Path) -> None:
    task = load_task(multiclass_task_dir)
    assert (task.target, task.id_column, task.task_type) == ("cultivar", "id", "multiclass")
    assert (task.metric, task.higher_is_better) == ("mlogloss", False)
    assert task.classes == ["class_0", "class_1", "class_2"]
    assert task.submission_columns == ["id", "class_0", "class_1", "class_2"]
    assert next(c for c in task.columns if c.name == "cultivar").kind == "categorical"


def test_task_survives_a_json_round_trip(demo_task_dir: Path) -> None:
    task = load_task(demo_task_dir)
    assert Task.model_validate_json(task.model_dump_json()) == task


def test_string_labels_pick_yes_as_positive(tmp_path: Path) -> None:
    train, test = _frames()
    train["y"] = np.where(train["x1"] > 0.8, "yes", "no")
    sample = pd.DataFrame({"row": test["row"], "y": 0.5})
    task = load_task(make_task_dir(tmp_path, train, test, sample, "Submissions are evaluated on log loss."))
    assert (task.task_type, task.classes, task.metric) == ("binary", ["no", "yes"], "logloss")


def test_ambiguous_binary_labels_make_the_minority_positive(tmp_path: Path) -> None:
    train, test = _frames()
    train["y"] = np.where(train["x1"] > 0.8, "rare", "common")
    sample = pd.DataFrame({"row": test["row"], "y": 0.5})
    task = load_task(make_task_dir(tmp_path, train, test, sample, "Evaluation metric: AUC"))
    assert task.classes == ["common", "rare"]


def test_few_integer_labels_with_a_label_submission_are_multiclass(tmp_path: Path) -> None:
    train, test = _frames()
    train["y"] = np.digitize(train["x1"], [-0.5, 0.0, 0.5])
    sample = pd.DataFrame({"row": test["row"], "y": 0})
    task = load_task(make_task_dir(tmp_path, train, test, sample, "Evaluation metric: accuracy"))
    assert (task.task_type, task.classes) == ("multiclass", ["0", "1", "2", "3"])


def test_a_regression_metric_or_line_settles_an_integer_target(tmp_path: Path) -> None:
    train, test = _frames()
    train["y"] = np.digitize(train["x1"], [-0.5, 0.0, 0.5])
    sample = pd.DataFrame({"row": test["row"], "y": 1})
    assert (
        load_task(make_task_dir(tmp_path, train, test, sample, "Metric: MAE", name="a")).task_type
        == "regression"
    )
    stated = "Task type: **regression**\nEvaluation: root mean squared error"
    assert load_task(make_task_dir(tmp_path, train, test, sample, stated, name="b")).metric == "rmse"


def test_prefixed_class_columns_map_to_labels(tmp_path: Path) -> None:
    train, test = _frames()
    train["status"] = np.array(["C", "CL", "D"])[np.digitize(train["x1"], [-0.3, 0.3])]
    train = train.drop(columns="y")
    sample = pd.DataFrame({"row": test["row"], "status_C": 0.3, "status_CL": 0.3, "status_D": 0.4})
    task = load_task(make_task_dir(tmp_path, train, test, sample, "Evaluation metric: multi-class log loss"))
    assert (task.target, task.task_type, task.classes) == ("status", "multiclass", ["C", "CL", "D"])


def test_column_kinds(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 80
    words = np.array(["red", "green", "blue", "amber", "violet", "grey", "black", "white"])
    frame = pd.DataFrame(
        {
            "row": np.arange(n),
            "when": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "note": [" ".join(rng.choice(words, 5)) + f" item {i}" for i in range(n)],
            "colour": rng.choice(words[:3], n),
            "flat": 7,
            "amount": rng.normal(size=n),
            "y": rng.normal(size=n),
        }
    )
    train, test = frame.iloc[:60], frame.iloc[60:].drop(columns="y")
    sample = pd.DataFrame({"row": test["row"], "y": 0.0})
    task = load_task(make_task_dir(tmp_path, train, test, sample))
    kinds = {c.name: c.kind for c in task.columns}
    assert kinds == {
        "row": "id",
        "when": "datetime",
        "note": "text",
        "colour": "categorical",
        "flat": "constant",
        "amount": "numeric",
        "y": "numeric",
    }
    missing = load_task(
        make_task_dir(
            tmp_path, train.assign(amount=train["amount"].mask(train.index < 15)), test, sample, name="m"
        )
    )
    assert next(c for c in missing.columns if c.name == "amount").missing_fraction == pytest.approx(0.25)


def test_settings_file_and_overrides(tmp_path: Path) -> None:
    train, test = _frames()
    train["fold_group"] = train["row"] % 7
    sample = pd.DataFrame({"row": test["row"], "prediction": 0.0})
    folder = make_task_dir(tmp_path, train, test, sample, "Evaluation metric: rmse")
    assert "cannot tell the target column" in _error(folder)
    (folder / "mlestar-task.toml").write_text(
        'target = "y"\nmetric = "mae"\nn_folds = 3\ngroup_column = "fold_group"\n'
    )
    from_file = load_task(folder)
    assert (from_file.target, from_file.metric, from_file.n_folds, from_file.group_column) == (
        "y",
        "mae",
        3,
        "fold_group",
    )
    assert "mlestar-task.toml" not in [f.path for f in from_file.files]
    overridden = load_task(folder, {"metric": "RMSE", "n_folds": 4, "target": None})
    assert (overridden.target, overridden.metric, overridden.n_folds) == ("y", "rmse", 4)


def test_unknown_setting_names_the_allowed_keys(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    message = _error(folder, {"targte": "y"})
    assert "'targte'" in message and "target, id_column, metric" in message
    (folder / "mlestar-task.toml").write_text("n_folds = 1\n")
    assert "n_folds must be a whole number of at least 2" in _error(folder)
    (folder / "mlestar-task.toml").write_text("n_folds = [\n")
    assert "mlestar-task.toml: not valid TOML" in _error(folder)


def test_auxiliary_files_are_listed_with_their_columns(tmp_path: Path) -> None:
    train, test = _frames()
    sample = pd.DataFrame({"row": test["row"], "y": 0.0})
    extra = "store,region\n1,north\n2,south\n3,east\n"
    files = {
        "extra/stores.csv": extra,
        "images/a.png": b"\x89PNG\r\n",
        ".hidden.csv": "a\n1\n",
        "notes.txt": "hi",
    }
    task = load_task(make_task_dir(tmp_path, train, test, sample, files=files))
    aux = {f.path: f for f in task.auxiliary_files}
    assert set(aux) == {"extra/stores.csv", "images/a.png", "notes.txt"}
    assert (aux["extra/stores.csv"].kind, aux["extra/stores.csv"].columns, aux["extra/stores.csv"].rows) == (
        "table",
        ["store", "region"],
        3,
    )
    assert (aux["images/a.png"].kind, aux["notes.txt"].kind) == ("image", "text")
    assert aux["extra/stores.csv"].size == len(extra)


def test_inventory_sees_every_kind_of_file(tmp_path: Path) -> None:
    for rel, data in {
        "a.tsv": b"x\ty\n1\t2\n",
        "b.csv.gz": __import__("gzip").compress(b"x\n1\n2\n"),
        "c.json": b"{}",
        "d.wav": b"RIFF",
        "e.zip": b"PK",
        "f.bin": b"\x00",
    }.items():
        (tmp_path / rel).write_bytes(data)
    infos = {f.path: f for f in inventory(tmp_path)}
    assert {p: f.kind for p, f in infos.items()} == {
        "a.tsv": "table",
        "b.csv.gz": "table",
        "c.json": "json",
        "d.wav": "audio",
        "e.zip": "archive",
        "f.bin": "other",
    }
    assert (infos["a.tsv"].columns, infos["b.csv.gz"].rows) == (["x", "y"], 2)


def test_sample_submission_by_its_camel_case_name(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    (folder / "sample_submission.csv").rename(folder / "sampleSubmission.csv")
    assert load_task(folder).sample_submission_file == "sampleSubmission.csv"


def test_missing_folder(tmp_path: Path) -> None:
    message = _error(tmp_path / "nowhere")
    assert "nowhere does not exist" in message


def test_missing_sample_submission(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    (folder / "sample_submission.csv").unlink()
    message = _error(folder)
    assert message.startswith("no sample_submission.csv in ") and "submission format; add it" in message


def test_missing_target(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test.assign(y=1.0), pd.DataFrame({"row": test["row"], "y": 0.0}))
    message = _error(folder)
    assert (
        "cannot tell the target column" in message and 'target = "..."' in message and "--target" in message
    )


def test_unknown_metric(tmp_path: Path) -> None:
    train, test = _frames()
    sample = pd.DataFrame({"row": test["row"], "y": 0.0})
    described = "Evaluation metric: quadratic weighted kappa (unlike accuracy, it rewards near misses)"
    message = _error(make_task_dir(tmp_path, train, test, sample, described))
    assert message.startswith("description.md names no supported metric")
    assert "'Evaluation metric: rmse'" in message and "supported: auc" in message
    assert "unknown metric 'kappa'" in _error(
        make_task_dir(tmp_path, train, test, sample, name="b"), {"metric": "kappa"}
    )


def test_metric_that_does_not_fit_the_task(tmp_path: Path) -> None:
    train, test = _frames()
    sample = pd.DataFrame({"row": test["row"], "y": 0.0})
    message = _error(make_task_dir(tmp_path, train, test, sample, "Evaluation metric: AUC"))
    assert "metric auc is for binary tasks" in message and "is regression" in message


def test_corrupt_csv_with_ragged_rows(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    with (folder / "train.csv").open("a") as handle:
        handle.write("1,2,3,4,5,6\n")
    message = _error(folder)
    assert message.startswith("train.csv: not a readable CSV (") and "Expected 4 fields" in message
    assert message.endswith("fix or replace the file")


def test_binary_garbage_file(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    (folder / "test.csv").write_bytes(np.random.default_rng(0).bytes(4000))
    assert _error(folder) == "test.csv: binary content, not a text table — fix or replace the file"


def test_empty_train_csv(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    (folder / "train.csv").write_bytes(b"")
    assert _error(folder) == "train.csv: empty file (0 bytes) — fix or replace the file"
    train.iloc[:0].to_csv(folder / "train.csv", index=False)
    assert _error(folder).startswith("train.csv: has no rows")


def test_undecodable_auxiliary_table(tmp_path: Path) -> None:
    train, test = _frames()
    sample = pd.DataFrame({"row": test["row"], "y": 0.0})
    folder = make_task_dir(tmp_path, train, test, sample, files={"more/extra.csv": b"name\ncaf\xe9\n"})
    assert _error(folder) == "more/extra.csv: not UTF-8 text (byte 0xe9) — re-save the file as UTF-8"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_table(tmp_path: Path) -> None:
    train, test = _frames()
    folder = make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.0}))
    (folder / "test.csv").chmod(0)
    assert "test.csv: permission denied" in _error(folder)


def test_errors_are_user_errors_and_read_table_reads(demo_task_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(demo_task_dir, tmp_path / "copy")
    assert issubclass(TaskError, UserError)
    assert len(read_table(tmp_path / "copy" / "test.csv")) == load_task(tmp_path / "copy").n_test
    with pytest.raises(TaskError, match=r"^description\.md: not a table"):
        read_table(tmp_path / "copy" / "description.md", label="description.md")
    assert json.loads(load_task(tmp_path / "copy").model_dump_json())["metric"] == "rmse"
