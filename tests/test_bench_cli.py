"""`mlestar bench`: one-line errors for bad input, and one real end-to-end bench on a tiny task."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from test_bench_tasks import write_bench_task

from mlestar_lab.cli.main import main
from mlestar_lab.store.workspace import Workspace


def _bench(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["bench", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(name="bench_dirs")
def bench_dirs_fixture(tmp_path: Path) -> tuple[Path, Path]:
    write_bench_task(tmp_path, "cancer", "binary", "accuracy")
    return tmp_path / "tasks", tmp_path / "answers"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--baselines", "lgbm,xgb"], "unknown baseline xgb in --baselines; choose from lgbm, flaml"),
        (["--tasks", "cancer,titanic"], "--tasks names titanic, not in"),
        (["--time-budget", "soon"], "cannot read the duration 'soon'"),
        (["--workers", "0"], "--workers 0: give at least 1"),
    ],
)
def test_bad_flags_are_one_line_errors(capsys, tmp_path, bench_dirs, extra, expected):
    tasks, answers = bench_dirs
    code, _, err = _bench(capsys, str(tasks), "--answers", str(answers), "--out", str(tmp_path / "o"), *extra)
    assert code == 2 and err.count("\n") == 1 and expected in err
    assert not (tmp_path / "o").exists()


def test_missing_answers_folder_is_a_one_line_error(capsys, tmp_path, bench_dirs):
    tasks, _ = bench_dirs
    code, _, err = _bench(capsys, str(tasks), "--answers", str(tmp_path / "nowhere"))
    assert code == 2 and err.count("\n") == 1 and "--answers" in err and "nowhere" in err


def test_tasks_without_answers_are_a_one_line_error(capsys, tmp_path, bench_dirs):
    tasks, _ = bench_dirs
    (tmp_path / "other").mkdir()
    code, _, err = _bench(capsys, str(tasks), "--answers", str(tmp_path / "other"))
    assert code == 2 and err.count("\n") == 1 and "no task folder" in err


def test_one_competition_folder_as_tasks_dir_says_to_pass_its_parent(capsys, bench_dirs):
    tasks, answers = bench_dirs
    code, _, err = _bench(capsys, str(tasks / "cancer"), "--answers", str(answers))
    assert code == 2 and err.count("\n") == 1 and f"pass {tasks} and --tasks cancer" in err


def test_a_broken_answer_key_is_refused_before_any_run(capsys, tmp_path, bench_dirs):
    tasks, answers = bench_dirs
    (answers / "cancer" / "task.json").write_text("{", encoding="utf-8")
    code, _, err = _bench(capsys, str(tasks), "--answers", str(answers), "--out", str(tmp_path / "o"))
    assert code == 2 and err.count("\n") == 1 and "task.json is not valid JSON" in err
    assert not (tmp_path / "o").exists()


def _accuracy(submission: Path, answers: Path) -> float:
    """Accuracy computed directly from the two files, independently of the bench's grader."""
    merged = pd.read_csv(submission).merge(pd.read_csv(answers), on="id", suffixes=("_pred", ""))
    assert len(merged) == len(pd.read_csv(answers))
    return float((merged["diagnosis_pred"] == merged["diagnosis"]).mean())


@pytest.mark.slow
def test_bench_end_to_end_on_a_tiny_task(capsys, tmp_path, bench_dirs):
    tasks, answers = bench_dirs
    out = tmp_path / "results"
    argv = [str(tasks), "--answers", str(answers), "--time-budget", "45s", "--baselines", "lgbm"]
    code, stdout, err = _bench(capsys, *argv, "--out", str(out), "--workers", "2")
    assert code == 0, err
    assert {"results.md", "results.json", "score_vs_time.png"} <= {p.name for p in out.iterdir()}
    assert (out / "score_vs_time.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    results = json.loads((out / "results.json").read_text())
    [entry] = results["tasks"]
    agent, lgbm = entry["agent"], entry["lgbm"]
    answers_csv = answers / "cancer" / "answers.csv"
    assert agent["valid"] and lgbm["valid"]
    assert agent["test_score"] == pytest.approx(_accuracy(Path(agent["submission"]), answers_csv))
    assert lgbm["test_score"] == pytest.approx(_accuracy(Path(lgbm["submission"]), answers_csv))
    initial = agent["initial"]
    assert initial["test_score"] == pytest.approx(_accuracy(Path(initial["submission"]), answers_csv))

    with Workspace(agent["workspace"]).open_store() as store:
        run = store.get_run(agent["run_id"])
        best_initial = max(s.score for s in store.steps(run.id, "candidate") if s.score is not None)
    assert run.status == "finished" and agent["val_score"] == run.best_score
    assert initial["val_score"] == best_initial and agent["final_val_score"] >= best_initial
    assert agent["gap"] == pytest.approx(abs(agent["val_score"] - agent["test_score"]))
    expected = (agent["test_score"] - initial["test_score"]) / initial["test_score"]
    assert agent["improvement_test"] == pytest.approx(expected)
    assert agent["seconds"] < 45 + 30 and math.isfinite(lgbm["val_score"])
    curve = agent["curve"]
    assert curve[-1][1] == agent["val_score"] and all(a[1] < b[1] for a, b in itertools.pairwise(curve))

    markdown = (out / "results.md").read_text()
    assert markdown in stdout and results["command"] in markdown
    assert results["command"] == "mlestar bench " + " ".join(argv) + f" --out {out} --workers 2"
    assert f"{agent['test_score']:.4g}" in markdown and "agent beats LightGBM on" in markdown
