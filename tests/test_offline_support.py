"""Tiny real competitions for the offline strategist's tests, and a papermill runner.

Each task folder is written to a temporary directory with train/test/sample submission CSVs
(numeric, categorical, free-text, date and missing values), a folds file, and — for the
regression task — an auxiliary table and a non-table file. Tasks are built directly from the
pydantic model with hand-written column profiles, independent of the task loader.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.pool import ExecutorPool
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook import contract
from mlestar_lab.strategist.base import Solution
from mlestar_lab.task.model import ColumnInfo, FileInfo, Task

N_TRAIN, N_TEST, N_FOLDS = 150, 40, 3
WORDS = ["red", "blue", "green", "quick", "brown", "fox", "lazy", "dog", "river", "stone"]


def _frame(rng: np.random.Generator, n: int, start: int) -> pd.DataFrame:
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "num_a": rng.normal(size=n).round(4),
            "num_b": rng.uniform(1, 10, n).round(3),
            "num_gap": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n).round(3)),
            "shade": rng.choice(["low", "mid", "high", "top"], n),
            "code": rng.choice([f"c{k}" for k in range(12)], n),
            "note": [" ".join(rng.choice(WORDS, rng.integers(2, 6))) for _ in range(n)],
            "when": dates.strftime("%Y-%m-%d"),
            "serial": np.arange(start, start + n) * 7 + 3,
            "flat": 1,
        }
    )


def _signal(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    shade = frame["shade"].map({"low": -1.0, "mid": 0.0, "high": 1.0, "top": 2.0}).to_numpy()
    return (
        1.5 * frame["num_a"].to_numpy()
        + shade
        + 0.3 * frame["num_b"].to_numpy()
        + rng.normal(0, 0.5, len(frame))
    )


PROFILES = [
    ("id", "id", 1.0),
    ("num_a", "numeric", 1.0),
    ("num_b", "numeric", 1.0),
    ("num_gap", "numeric", 0.8),
    ("shade", "categorical", 4 / N_TRAIN),
    ("code", "categorical", 12 / N_TRAIN),
    ("note", "text", 0.9),
    ("when", "datetime", 0.9),
    ("serial", "id", 1.0),
    ("flat", "constant", 1 / N_TRAIN),
]


def make_task(root: Path, task_type: str) -> Task:
    """A tiny competition of `task_type` in `root`, with its folds in `root/folds.csv`."""
    rng = np.random.default_rng({"binary": 1, "multiclass": 2, "regression": 3}[task_type])
    root.mkdir(parents=True, exist_ok=True)
    train, test = _frame(rng, N_TRAIN, 0), _frame(rng, N_TEST, 1000)
    signal = _signal(train, rng)
    files = []
    if task_type == "binary":
        train["label"] = np.where(signal > np.median(signal), "yes", "no")
        metric, classes, columns = "auc", ["no", "yes"], ["id", "label"]
        sample = pd.DataFrame({"id": test["id"], "label": 0.5})
    elif task_type == "multiclass":
        train["label"] = np.select([signal < -0.3, signal < 1.2], ["ant", "bee"], "cat")
        metric, classes, columns = "mlogloss", ["ant", "bee", "cat"], ["id", "ant", "bee", "cat"]
        sample = pd.DataFrame({"id": test["id"], "ant": 1 / 3, "bee": 1 / 3, "cat": 1 / 3})
    else:
        train["label"] = np.round(np.exp(1 + 0.3 * signal), 2)
        metric, classes, columns = "rmsle", None, ["id", "label"]
        sample = pd.DataFrame({"id": test["id"], "label": 1.0})
        extra = pd.DataFrame(
            {"code": [f"c{k % 12}" for k in range(36)], "weight": rng.normal(size=36).round(3)}
        )
        extra.to_csv(root / "extra.csv", index=False)
        (root / "notes.txt").write_text("free-form notes, not a table\n", encoding="utf-8")
        files = [
            FileInfo(path="extra.csv", kind="table", size=1, columns=["code", "weight"], rows=36),
            FileInfo(path="notes.txt", kind="text", size=1),
        ]
    train.to_csv(root / "train.csv", index=False)
    test.to_csv(root / "test.csv", index=False)
    sample.to_csv(root / "sample_submission.csv", index=False)
    folds = pd.DataFrame({"id": train["id"], "fold": np.arange(N_TRAIN) % N_FOLDS})
    folds.to_csv(root / "folds.csv", index=False)
    profiles = [
        ColumnInfo(
            name=name,
            kind=kind,
            dtype=str(train[name].dtype),
            n_unique=int(train[name].nunique()),
            missing_fraction=float(train[name].isna().mean()),
        )
        for name, kind, _ in PROFILES
    ]
    profiles.append(
        ColumnInfo(
            name="label",
            kind="numeric" if task_type == "regression" else "categorical",
            dtype=str(train["label"].dtype),
            n_unique=int(train["label"].nunique()),
            missing_fraction=0.0,
            in_test=False,
        )
    )
    main_files = [
        FileInfo(path=p, kind="table", size=1) for p in ("train.csv", "test.csv", "sample_submission.csv")
    ]
    return Task(
        name=f"tiny_{task_type}",
        root=str(root),
        task_type=task_type,
        target="label",
        id_column="id",
        metric=metric,
        higher_is_better=metric == "auc",
        train_file="train.csv",
        test_file="test.csv",
        sample_submission_file="sample_submission.csv",
        submission_columns=columns,
        classes=classes,
        columns=profiles,
        files=main_files + files,
        n_train=N_TRAIN,
        n_test=N_TEST,
        n_folds=N_FOLDS,
    )


def request(task: Task, notebook: nbformat.NotebookNode, out: Path, **parameters: object) -> ExecutionRequest:
    """Write `notebook` into `out` and describe its execution with the loop's parameters."""
    out.mkdir(parents=True, exist_ok=True)
    write_notebook(notebook, out / contract.INPUT_NOTEBOOK)
    params = {
        contract.PARAM_DATA_DIR: task.root,
        contract.PARAM_FOLDS_FILE: str(Path(task.root) / "folds.csv"),
        contract.PARAM_N_JOBS: 1,
        contract.PARAM_TIME_LIMIT: 300,
        **parameters,
    }
    return ExecutionRequest(
        notebook_path=str(out / contract.INPUT_NOTEBOOK),
        output_dir=str(out),
        parameters=params,
        timeout=300,
        memory_limit_mb=None,
    )


def run_batch(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    """Execute the notebooks like the loop does: each in its own process, three at a time."""
    with ExecutorPool(workers=3) as pool:
        return pool.map(requests)


def stdout(result: ExecutionResult) -> str:
    executed = nbformat.read(result.executed_notebook or "", as_version=4)
    return "".join(
        o.get("text", "") for c in executed.cells for o in c.get("outputs", []) if o.get("name") == "stdout"
    )


def solution(result: ExecutionResult, notebook: nbformat.NotebookNode, title: str) -> Solution:
    assert result.status == "ok" and result.score is not None, result.reason
    return Solution(0, notebook, result.score, str(Path(result.executed_notebook or "").parent), title)


def assert_outputs_match(task: Task, out: Path) -> None:
    """submission.csv has the sample's columns and ids; the prediction files hold numbers only."""
    sample = pd.read_csv(Path(task.root) / task.sample_submission_file)
    submission = pd.read_csv(out / contract.SUBMISSION_FILE)
    assert list(submission.columns) == list(sample.columns)
    assert submission[task.id_column].tolist() == sample[task.id_column].tolist()
    assert not submission.isna().any().any()
    train_ids = pd.read_csv(Path(task.root) / task.train_file)[task.id_column]
    for name, ids in (
        (contract.OOF_FILE, train_ids),
        (contract.TEST_PREDICTIONS_FILE, sample[task.id_column]),
    ):
        frame = pd.read_csv(out / name)
        assert list(frame.columns) == list(sample.columns)
        assert sorted(frame[task.id_column]) == sorted(ids)
        assert np.isfinite(frame.drop(columns=[task.id_column]).to_numpy(dtype=float)).all()
