"""Tiny bench tasks with hidden answers, made from real data bundled with scikit-learn.

`write_bench_task` is what the other bench tests build on (import it with
`from test_bench_tasks import write_bench_task`); the tests here check that such a pair of
folders is what the bench expects: the agent's task inference agrees with the answer key, and
the held-back labels themselves grade as a perfect submission.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets

from mlestar_lab.bench.grading import grade_file, load_answer_key
from mlestar_lab.task.load import load_task


def _breast_cancer() -> tuple[pd.DataFrame, str]:
    """Tumour diagnosis as text labels, with a text feature: label form and categories both matter."""
    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.data.iloc[:, :6].rename(columns=lambda name: name.replace(" ", "_"))
    frame["size_band"] = pd.qcut(frame["mean_radius"], 3, labels=["small", "medium", "large"]).astype(str)
    frame["diagnosis"] = np.where(bunch.target == 0, "malignant", "benign")
    return frame, "diagnosis"


def _wine() -> tuple[pd.DataFrame, str]:
    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.data.iloc[:, :6].copy()
    frame["cultivar"] = [f"c{k}" for k in bunch.target]
    return frame, "cultivar"


def _diabetes() -> tuple[pd.DataFrame, str]:
    bunch = datasets.load_diabetes(scaled=False, as_frame=True)
    frame = bunch.frame.rename(columns={"target": "progression"})
    frame["sex"] = np.where(frame["sex"] == 1, "sex1", "sex2")
    return frame, "progression"


_SOURCES = {"binary": _breast_cancer, "multiclass": _wine, "regression": _diabetes}


def write_bench_task(root: Path, name: str, task_type: str, metric: str, seed: int = 0) -> tuple[Path, Path]:
    """`root/tasks/<name>` (a competition folder) and `root/answers/<name>` (its hidden labels)."""
    frame, target = _SOURCES[task_type]()
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)))
    test_rows = frame.index % 4 == 0
    train, test = frame[~test_rows], frame[test_rows]
    meta: dict[str, object] = {
        "name": name,
        "task_type": task_type,
        "target": target,
        "id_column": "id",
        "metric": metric,
        "higher_is_better": metric in ("accuracy", "auc", "f1", "r2"),
    }
    if task_type == "multiclass" and metric == "mlogloss":
        classes = sorted(train[target].unique())
        shares = train[target].value_counts(normalize=True)
        sample = pd.DataFrame({"id": test["id"], **{c: round(float(shares[c]), 4) for c in classes}})
        meta["classes"] = classes
    elif task_type == "regression":
        sample = pd.DataFrame({"id": test["id"], target: round(float(train[target].mean()), 1)})
    elif metric in ("accuracy", "f1"):
        sample = pd.DataFrame({"id": test["id"], target: train[target].mode()[0]})
    else:
        sample = pd.DataFrame({"id": test["id"], target: 0.5})
    if task_type == "binary":
        meta["positive_label"] = "malignant"
    meta["submission_columns"] = [str(c) for c in sample.columns]
    task_dir, answers_dir = root / "tasks" / name, root / "answers" / name
    task_dir.mkdir(parents=True)
    answers_dir.mkdir(parents=True)
    train.to_csv(task_dir / "train.csv", index=False)
    test.drop(columns=target).to_csv(task_dir / "test.csv", index=False)
    sample.to_csv(task_dir / "sample_submission.csv", index=False)
    (task_dir / "description.md").write_text(
        f"# {name}\n\nPredict `{target}` for every row of test.csv.\n\nEvaluation metric: {metric}\n",
        encoding="utf-8",
    )
    test[["id", target]].to_csv(answers_dir / "answers.csv", index=False)
    (answers_dir / "task.json").write_text(json.dumps(meta), encoding="utf-8")
    return task_dir, answers_dir


@pytest.mark.parametrize(
    ("task_type", "metric"),
    [("binary", "accuracy"), ("binary", "auc"), ("multiclass", "mlogloss"), ("regression", "rmsle")],
)
def test_tiny_task_is_inferred_as_its_key_says_and_its_answers_grade_perfectly(tmp_path, task_type, metric):
    task_dir, answers_dir = write_bench_task(tmp_path, "tiny", task_type, metric)
    key = load_answer_key(answers_dir)
    task = load_task(task_dir)
    assert (task.task_type, task.target, task.id_column, task.metric) == (
        key.task_type,
        key.target,
        key.id_column,
        key.metric,
    )
    answers = key.answers
    if metric == "mlogloss":
        perfect = pd.DataFrame(
            {"id": answers["id"], **{c: (answers[key.target] == c) * 1.0 for c in key.classes}}
        )
    elif metric == "auc":
        perfect = answers.assign(**{key.target: (answers[key.target] == "malignant") * 1.0})
    else:
        perfect = answers
    perfect.sample(frac=1.0, random_state=1).to_csv(tmp_path / "perfect.csv", index=False)
    grade = grade_file(tmp_path / "perfect.csv", key)
    best = {"accuracy": 1.0, "auc": 1.0, "mlogloss": 0.0, "rmsle": 0.0}[metric]
    assert grade.valid and grade.score == pytest.approx(best, abs=1e-9)
    constant = grade_file(task_dir / "sample_submission.csv", key)
    assert constant.valid and constant.score != pytest.approx(best, abs=1e-3)
