"""The fixed fold assignment: stratified, grouped, time-ordered, deterministic, saved atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_task_dir

from mlestar_lab.errors import TaskError
from mlestar_lab.task.folds import make_folds, read_folds, write_folds
from mlestar_lab.task.inventory import read_table
from mlestar_lab.task.load import load_task


def _task_and_train(folder: Path, overrides: dict | None = None):
    task = load_task(folder, overrides)
    return task, read_table(folder / task.train_file)


def _grouped_dir(tmp_path: Path, classification: bool) -> Path:
    rng = np.random.default_rng(3)
    n = 240
    frame = pd.DataFrame({"row": rng.permutation(n), "site": rng.integers(0, 24, n), "x": rng.normal(size=n)})
    frame["when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.permutation(n), unit="D")
    frame["when"] = frame["when"].dt.strftime("%Y-%m-%d")
    frame["y"] = (frame["x"] > 0.3).astype(int) if classification else frame["x"] * 2
    train, test = frame.iloc[:200], frame.iloc[200:].drop(columns="y")
    metric = "Evaluation metric: auc" if classification else "Evaluation metric: rmse"
    return make_task_dir(tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": 0.5}), metric)


def test_every_row_gets_exactly_one_fold(binary_task_dir: Path) -> None:
    task, train = _task_and_train(binary_task_dir)
    folds = make_folds(task, train, seed=0)
    assert list(folds.columns) == ["id", "fold"]
    assert folds["id"].tolist() == train["id"].tolist()
    assert sorted(folds["fold"].unique()) == list(range(task.n_folds))
    sizes = folds["fold"].value_counts()
    assert sizes.max() - sizes.min() <= 1


def test_stratification_keeps_class_ratios(binary_task_dir: Path) -> None:
    task, train = _task_and_train(binary_task_dir)
    folds = make_folds(task, train, seed=0)
    per_fold = pd.crosstab(folds["fold"], train["malignant"])
    assert (per_fold.max() - per_fold.min()).max() <= 1
    overall = train["malignant"].mean()
    assert np.allclose(train.groupby(folds["fold"])["malignant"].mean(), overall, atol=0.01)


def test_multiclass_stratification(multiclass_task_dir: Path) -> None:
    task, train = _task_and_train(multiclass_task_dir)
    per_fold = pd.crosstab(make_folds(task, train, seed=5)["fold"], train["cultivar"])
    assert (per_fold.max() - per_fold.min()).max() <= 1


def test_folds_are_deterministic_for_a_seed(demo_task_dir: Path) -> None:
    task, train = _task_and_train(demo_task_dir)
    first = make_folds(task, train, seed=7)
    assert first.equals(make_folds(task, train, seed=7))
    assert not first["fold"].equals(make_folds(task, train, seed=8)["fold"])


def test_rare_class_falls_back_to_plain_kfold(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"row": np.arange(60), "x": rng.normal(size=60), "y": ["b"] * 3 + ["a"] * 57})
    train, test = frame.iloc[:50], frame.iloc[50:].drop(columns="y")
    folder = make_task_dir(
        tmp_path, train, test, pd.DataFrame({"row": test["row"], "y": "a"}), "Metric: accuracy"
    )
    task, train = _task_and_train(folder)
    folds = make_folds(task, train, seed=0)
    assert sorted(folds["fold"].unique()) == [0, 1, 2, 3, 4] and len(folds) == 50


@pytest.mark.parametrize("classification", [False, True])
def test_group_folds_keep_groups_together(tmp_path: Path, classification: bool) -> None:
    task, train = _task_and_train(_grouped_dir(tmp_path, classification), {"group_column": "site"})
    folds = make_folds(task, train, seed=1)
    assert (train.groupby(folds["fold"].to_numpy())["site"].nunique().sum()) == train["site"].nunique()
    assert folds.assign(site=train["site"]).groupby("site")["fold"].nunique().max() == 1
    assert folds.equals(make_folds(task, train, seed=1))


def test_too_few_groups(tmp_path: Path) -> None:
    task, train = _task_and_train(_grouped_dir(tmp_path, False), {"group_column": "site", "n_folds": 3})
    with pytest.raises(TaskError, match="has 2 groups, fewer than n_folds = 3"):
        make_folds(task, train.assign(site=train["site"] % 2), seed=0)


def test_time_folds_are_contiguous_blocks(tmp_path: Path) -> None:
    task, train = _task_and_train(_grouped_dir(tmp_path, False), {"time_column": "when", "n_folds": 4})
    folds = make_folds(task, train, seed=0)
    when = pd.to_datetime(train["when"])
    spans = when.groupby(folds["fold"].to_numpy()).agg(["min", "max"]).sort_index()
    assert (spans["max"].iloc[:-1].to_numpy() < spans["min"].iloc[1:].to_numpy()).all()
    assert folds["fold"].value_counts().tolist() == [50, 50, 50, 50]


def test_duplicate_ids_are_refused(demo_task_dir: Path) -> None:
    task, train = _task_and_train(demo_task_dir)
    train.loc[1, "id"] = train.loc[0, "id"]
    with pytest.raises(TaskError, match="id column 'id' repeats values"):
        make_folds(task, train, seed=0)


def test_write_and_read_folds(demo_task_dir: Path, tmp_path: Path) -> None:
    task, train = _task_and_train(demo_task_dir)
    folds = make_folds(task, train, seed=0)
    write_folds(folds, tmp_path / "run" / "folds.csv")
    assert read_folds(tmp_path / "run" / "folds.csv").equals(folds)
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["folds.csv"]
    (tmp_path / "bad.csv").write_text("id,split\n1,a\n")
    with pytest.raises(TaskError, match="not a fold file"):
        read_folds(tmp_path / "bad.csv")
