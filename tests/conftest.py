"""Shared fixtures: real competition folders built offline from scikit-learn's bundled data.

The session-scoped folders are shared by many tests: treat them as read-only (copy one with
`shutil.copytree` into `tmp_path` before changing it). For a custom case, call
`make_task_dir(tmp_path, train, test, sample, description)` — importable with
`from conftest import make_task_dir`, or requested as the fixture `make_task_dir`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlestar_lab.demo.competition import build_classification_demo, build_demo_task, build_multiclass_demo
from mlestar_lab.task.model import Task


def make_task(**fields: object) -> Task:
    """A Task built directly (no folder): a regression task on `price`, with `fields` replaced."""
    defaults: dict[str, object] = dict(
        name="prices",
        root="/data/prices",
        task_type="regression",
        target="price",
        id_column="id",
        metric="rmse",
        higher_is_better=False,
        train_file="train.csv",
        test_file="test.csv",
        sample_submission_file="sample_submission.csv",
        submission_columns=["id", "price"],
    )
    return Task.model_validate({**defaults, **fields})


def make_task_dir(
    tmp_path: Path,
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    sample_df: pd.DataFrame,
    description: str | None = "Evaluation metric: rmse\n",
    *,
    name: str = "task",
    files: dict[str, str | bytes] | None = None,
) -> Path:
    """A Kaggle-layout folder `tmp_path/name`; `files` adds extra files by relative path."""
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    train_df.to_csv(folder / "train.csv", index=False)
    test_df.to_csv(folder / "test.csv", index=False)
    sample_df.to_csv(folder / "sample_submission.csv", index=False)
    if description is not None:
        (folder / "description.md").write_text(description, encoding="utf-8")
    for rel, content in (files or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(name="make_task_dir")
def make_task_dir_fixture():
    """The `make_task_dir` helper, for tests that prefer a fixture to an import."""
    return make_task_dir


def _three_folds(folder: Path) -> Path:
    """Whole runs on the shared demo folders cross-validate with 3 folds, not 5: 2 fits fewer per
    notebook, and the same code paths (a task's own settings file, as a user writes)."""
    (folder / "mlestar-task.toml").write_text("n_folds = 3\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def demo_task_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Regression demo (diabetes, 442 patients, RMSE)."""
    return _three_folds(build_demo_task(tmp_path_factory.mktemp("demo") / "diabetes"))


@pytest.fixture(scope="session")
def binary_task_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Binary demo (breast cancer, 569 biopsies, AUC, positive class 1 = malignant)."""
    return _three_folds(build_classification_demo(tmp_path_factory.mktemp("demo") / "breast_cancer"))


@pytest.fixture(scope="session")
def multiclass_task_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Multiclass demo (wine, 178 wines, 3 cultivars, one probability column per class, mlogloss)."""
    return _three_folds(build_multiclass_demo(tmp_path_factory.mktemp("demo") / "wine"))
