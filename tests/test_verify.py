"""The agent re-scores every notebook from its OOF predictions with the metric the notebook embeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_task

from mlestar_lab.agent.verify import ScoreVerifier
from mlestar_lab.task.metrics import score
from mlestar_lab.task.model import Task


def _task(**fields) -> Task:
    return make_task(**{"target": "y", "submission_columns": ["id", "y"], **fields})


def test_binary_oof_is_rescored_and_a_false_claim_is_reported(tmp_path):
    task = _task(
        task_type="binary",
        metric="auc",
        higher_is_better=True,
        classes=["no", "yes"],
        submission_columns=["id", "y"],
    )
    train = pd.DataFrame({"id": range(8), "y": ["no", "yes"] * 4})
    proba = np.linspace(0.1, 0.9, 8)
    pd.DataFrame({"id": range(8), "y": proba}).to_csv(tmp_path / "oof.csv", index=False)
    verifier = ScoreVerifier(task, train)
    truth = score("auc", np.array([0, 1] * 4), proba)
    assert verifier.check(truth, str(tmp_path / "oof.csv")) == (pytest.approx(truth), [])
    claimed, findings = verifier.check(0.99, str(tmp_path / "oof.csv"))
    assert claimed == pytest.approx(truth)
    assert "reported 0.99" in findings[0].message


def test_multiclass_label_submission_reads_one_probability_column_per_class(tmp_path):
    task = _task(
        task_type="multiclass",
        metric="accuracy",
        higher_is_better=True,
        classes=["a", "b", "c"],
        submission_columns=["id", "y"],
    )
    train = pd.DataFrame({"id": range(6), "y": ["a", "b", "c", "a", "b", "c"]})
    proba = np.eye(3)[[0, 1, 2, 0, 1, 1]]
    pd.DataFrame({"id": range(6), **{c: proba[:, k] for k, c in enumerate("abc")}}).to_csv(
        tmp_path / "oof.csv", index=False
    )
    value, problem = ScoreVerifier(task, train).rescore(tmp_path / "oof.csv")
    assert problem is None and value == pytest.approx(5 / 6)


def test_incomplete_oof_cannot_verify_and_says_why(tmp_path):
    task = _task(
        task_type="regression", metric="rmse", higher_is_better=False, submission_columns=["id", "y"]
    )
    train = pd.DataFrame({"id": range(5), "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    pd.DataFrame({"id": range(3), "y": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "oof.csv", index=False)
    value, findings = ScoreVerifier(task, train).check(0.5, str(tmp_path / "oof.csv"))
    assert value == 0.5 and "cover 3 of 5" in findings[0].message
    value, findings = ScoreVerifier(task, train).check(None, None)
    assert value is None and "could not be verified" in findings[0].message
