"""The baselines for real on tiny tasks, and their child process under a hard limit."""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import psutil
import pytest
from test_bench_tasks import write_bench_task

from mlestar_lab.bench.baseline_worker import run_baseline, worker_command
from mlestar_lab.bench.baselines import read_flaml_curve, run_lgbm
from mlestar_lab.bench.grading import grade_file, load_answer_key
from mlestar_lab.bench.prepare import prepare
from mlestar_lab.bench.runner import baseline_fields
from mlestar_lab.task.metrics import improvement


def test_preprocessing_gives_train_and_test_the_same_categories_from_train(tmp_path):
    task_dir, _ = write_bench_task(tmp_path, "cancer", "binary", "accuracy")
    test = pd.read_csv(task_dir / "test.csv")
    test.loc[test.index[0], "size_band"] = "enormous"
    test.to_csv(task_dir / "test.csv", index=False)
    prepared = prepare(task_dir)
    assert "id" not in prepared.X.columns and "diagnosis" not in prepared.X.columns
    train_dtype, test_dtype = prepared.X["size_band"].dtype, prepared.X_test["size_band"].dtype
    assert isinstance(train_dtype, pd.CategoricalDtype) and train_dtype == test_dtype
    assert set(train_dtype.categories) == {"small", "medium", "large"}
    assert pd.isna(prepared.X_test["size_band"].iloc[0])
    assert prepared.labels == ["benign", "malignant"] and set(prepared.y) == {0, 1}


@pytest.mark.parametrize(
    ("task_type", "metric"),
    [("binary", "accuracy"), ("binary", "logloss"), ("multiclass", "mlogloss"), ("regression", "rmsle")],
)
def test_default_lightgbm_writes_a_valid_submission_that_beats_the_constant_one(tmp_path, task_type, metric):
    task_dir, answers_dir = write_bench_task(tmp_path, "tiny", task_type, metric)
    key = load_answer_key(answers_dir)
    output = run_lgbm(prepare(task_dir), seed=42, n_jobs=1)
    path = tmp_path / "submission.csv"
    output.submission.to_csv(path, index=False)
    grade, constant = grade_file(path, key), grade_file(task_dir / "sample_submission.csv", key)
    assert grade.valid, grade.error
    assert improvement(metric, grade.score, constant.score) > 0
    assert improvement(metric, output.val_score, constant.score) > 0  # the CV score is a real score too
    assert list(output.submission.columns) == key.submission_columns
    if metric == "accuracy":
        assert set(output.submission["diagnosis"]) <= {"benign", "malignant"}
    if metric == "rmsle":
        assert (output.submission["progression"] >= 0).all()


def test_flaml_runs_in_its_child_process_and_logs_its_search(tmp_path):
    task_dir, answers_dir = write_bench_task(tmp_path, "wine", "multiclass", "mlogloss")
    out_dir = tmp_path / "flaml"
    command = worker_command("flaml", task_dir, out_dir, seed=1, budget=5.0, n_jobs=1)
    run = run_baseline("flaml", command, out_dir, limit=120.0)
    assert run.error is None, (out_dir / "worker.log").read_text()
    row = baseline_fields(run, load_answer_key(answers_dir))
    assert row["valid"] and row["test_score"] < 1.0  # a uniform guess over 3 classes scores ln 3 ≈ 1.1
    losses = [score for _, score in run.curve]
    assert losses == sorted(losses, reverse=True) and len(losses) >= 2
    assert run.val_score == pytest.approx(losses[-1])
    assert run.curve == read_flaml_curve(out_dir / "flaml.log", "log_loss")
    assert run.info["best_estimator"] and run.seconds < 60


def test_a_hung_worker_is_killed_at_the_hard_limit_with_its_children(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    started = time.perf_counter()
    run = run_baseline("flaml", [sys.executable, "-c", script], tmp_path / "out", limit=2.0)
    assert time.perf_counter() - started < 15
    assert run.error == "killed at the hard limit of 2 s" and run.submission is None
    grandchild = int(pid_file.read_text())
    assert not psutil.pid_exists(grandchild) or psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE


def test_a_crashing_worker_becomes_an_error_row_with_its_last_words(tmp_path):
    task_dir, answers_dir = write_bench_task(tmp_path, "tiny", "regression", "rmse")
    (task_dir / "train.csv").unlink()
    out_dir = tmp_path / "lgbm"
    run = run_baseline("lgbm", worker_command("lgbm", task_dir, out_dir, 0, 5.0, 1), out_dir, limit=60.0)
    assert run.error.startswith(
        "lgbm worker exited with status 1: mlestar_lab.errors.TaskError: no train.csv"
    )
    row = baseline_fields(run, load_answer_key(answers_dir))
    assert row["valid"] is False and row["test_score"] is None and row["error"] == run.error
    silent = run_baseline("lgbm", [sys.executable, "-c", "pass"], out_dir, limit=60.0)
    assert silent.error == "lgbm worker exited without writing result.json"


def test_flaml_curve_is_the_running_best_in_the_metrics_direction(tmp_path):
    log = tmp_path / "flaml.log"
    records = [(0.5, 0.30), (1.5, 0.20), (1.0, 0.25), (3.0, 0.22)]
    log.write_text(
        "\n".join(f'{{"wall_clock_time": {t}, "validation_loss": {loss}}}' for t, loss in records)
        + '\n{"curr_best_record_id": 1}\n',
        encoding="utf-8",
    )
    curve = read_flaml_curve(log, "roc_auc")
    assert [t for t, _ in curve] == [0.5, 1.0, 1.5]
    assert [s for _, s in curve] == pytest.approx([0.70, 0.75, 0.80])
    assert np.all(np.diff([s for _, s in curve]) > 0)
