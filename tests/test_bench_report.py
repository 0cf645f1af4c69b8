"""The results page and plot: relative numbers in the metric's direction, counts, markers, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlestar_lab.bench.plot import write_plot
from mlestar_lab.bench.report import relative_improvement, render_markdown, summarize


def test_relative_improvement_is_positive_when_better_in_either_direction():
    assert relative_improvement("rmse", 9.0, 10.0) == pytest.approx(0.1)  # (10 - 9) / 10
    assert relative_improvement("auc", 0.88, 0.8) == pytest.approx(0.1)  # (0.88 - 0.8) / 0.8
    assert relative_improvement("mae", 11.0, 10.0) == pytest.approx(-0.1)
    assert relative_improvement("r2", 0.1, -0.2) == pytest.approx(1.5)  # |initial| keeps the sign meaningful
    assert relative_improvement("rmse", 1.0, 0.0) is None and relative_improvement("rmse", None, 1.0) is None


def _system(test: float | None, val: float | None = None, error: str | None = None, **extra: Any) -> dict:
    return {
        "val_score": val,
        "test_score": test,
        "valid": test is not None,
        "error": error,
        "seconds": 12.0,
        **extra,
    }


def _entry(task: str, metric: str, higher: bool, agent: dict, lgbm: dict, flaml: dict) -> dict:
    return {
        "task": task,
        "metric": metric,
        "higher_is_better": higher,
        "agent": agent,
        "lgbm": lgbm,
        "flaml": flaml,
    }


def _results(tmp_path: Path) -> dict:
    tasks = [
        _entry(
            "churn",
            "auc",
            True,
            _system(
                0.85,
                0.86,
                initial={"test_score": 0.84},
                improvement_test=relative_improvement("auc", 0.85, 0.84),
                curve=[(1.0, 0.8), (5.0, 0.86)],
                gap=0.01,
            ),
            _system(0.82, 0.83),
            _system(0.85, 0.84, curve=[(0.5, 0.7), (3.0, 0.84)]),
        ),
        _entry(
            "prices",
            "rmse",
            False,
            _system(500.0, 490.0, initial={"test_score": 490.0}),
            _system(520.0, 515.0),
            _system(None, error="flaml worker killed at the hard limit of 570 s"),
        ),
    ]
    settings = {"budget_seconds": 300.0, "seed": 42, "cores": 2, "baselines": ["lgbm", "flaml"]}
    return {
        "command": "mlestar bench t --answers a",
        "settings": settings,
        "tasks": tasks,
        "summary": summarize(tasks, ("lgbm", "flaml")),
    }


def test_summary_counts_only_tasks_where_both_sides_have_a_test_score(tmp_path):
    summary = _results(tmp_path)["summary"]
    assert summary["agent_beats_lgbm"] == {"wins": 2, "of": 2}
    assert summary["agent_matches_or_beats_flaml"] == {"wins": 1, "of": 1}  # 0.85 vs 0.85: a match
    assert summary["mean_relative_difference_vs_flaml"] == 0.0
    assert summary["refined_beats_initial"] == {"wins": 1, "of": 2}  # churn 0.85 > 0.84; prices 500 > 490


def test_markdown_marks_the_best_test_score_and_lists_failures(tmp_path):
    page = render_markdown(_results(tmp_path))
    assert "| churn | auc ↑ | 0.86 | **0.85** | 0.01 | 0.84 | +1.19% | 0.82 | **0.85** |" in page
    assert "| prices | rmse ↓ | 490 | **500** | — | 490 | — | 520 | invalid |" in page
    assert "- prices / FLAML: invalid — flaml worker killed at the hard limit of 570 s" in page
    assert "agent beats LightGBM on 2/2; matches or beats FLAML on 1/1" in page
    assert "Command: `mlestar bench t --answers a`" in page


def test_plot_has_one_panel_per_task_and_survives_missing_systems(tmp_path):
    path = write_plot(_results(tmp_path), tmp_path / "plot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
