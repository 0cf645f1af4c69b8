"""The bench results as a markdown page: one row per task, then the head-to-head summary.

Relative numbers follow the MLE-STAR paper: (final − initial) / initial when higher is better,
(initial − final) / initial when lower is better (|initial| in the denominator, so a positive
value always means better, also for a negative R²). The same formula compares agent and FLAML.
"""

from __future__ import annotations

import statistics
from typing import Any

from mlestar_lab.task.metrics import improvement

SYSTEM_TITLES = {"agent": "agent", "lgbm": "LightGBM", "flaml": "FLAML"}


def relative_improvement(metric: str, new: float | None, reference: float | None) -> float | None:
    """How much better `new` is than `reference`, as a fraction of |reference| (> 0: better)."""
    if new is None or reference is None or reference == 0:
        return None
    return improvement(metric, new, reference) / abs(reference)


def _tally(pairs: list[tuple[str, float, float]], at_least: bool) -> dict[str, int]:
    wins = sum(
        improvement(metric, a, b) >= 0 if at_least else improvement(metric, a, b) > 0
        for metric, a, b in pairs
    )
    return {"wins": wins, "of": len(pairs)}


def _pairs(tasks: list[dict[str, Any]], left: str, right: str) -> list[tuple[str, float, float]]:
    """(metric, left test score, right test score) for tasks where both are valid."""
    pairs = []
    for entry in tasks:
        a, b = _test(entry, left), _test(entry, right)
        if a is not None and b is not None:
            pairs.append((entry["metric"], a, b))
    return pairs


def _test(entry: dict[str, Any], system: str) -> float | None:
    if system == "initial":
        initial = entry["agent"].get("initial")
        return initial["test_score"] if initial else None
    row = entry.get(system)
    return row["test_score"] if row and row["valid"] else None


def summarize(tasks: list[dict[str, Any]], baselines: tuple[str, ...]) -> dict[str, Any]:
    """Head-to-head counts on hidden test scores, over the tasks where both sides have one."""
    summary: dict[str, Any] = {"tasks": len(tasks)}
    if "lgbm" in baselines:
        summary["agent_beats_lgbm"] = _tally(_pairs(tasks, "agent", "lgbm"), at_least=False)
    if "flaml" in baselines:
        pairs = _pairs(tasks, "agent", "flaml")
        summary["agent_matches_or_beats_flaml"] = _tally(pairs, at_least=True)
        diffs = [relative_improvement(metric, a, b) for metric, a, b in pairs]
        known = [d for d in diffs if d is not None]
        summary["mean_relative_difference_vs_flaml"] = statistics.fmean(known) if known else None
    summary["refined_beats_initial"] = _tally(_pairs(tasks, "agent", "initial"), at_least=False)
    return summary


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.2f}%"


def _count(tally: dict[str, int]) -> str:
    return f"{tally['wins']}/{tally['of']}"


def _main_row(entry: dict[str, Any], baselines: tuple[str, ...]) -> list[str]:
    systems = ("agent", *baselines)
    scores = {s: _test(entry, s) for s in systems}
    valid = [v for v in scores.values() if v is not None]
    best = (max(valid) if entry["higher_is_better"] else min(valid)) if valid else None

    def test_cell(system: str) -> str:
        value = scores[system]
        if value is None:
            return "invalid"
        return f"**{_score(value)}**" if value == best else _score(value)

    agent = entry["agent"]
    initial = agent.get("initial") or {}
    arrow = "↑" if entry["higher_is_better"] else "↓"
    return [
        entry["task"],
        f"{entry['metric']} {arrow}",
        _score(agent["val_score"]),
        test_cell("agent"),
        _score(agent.get("gap")),
        _score(initial.get("test_score")),
        _percent(agent.get("improvement_test")),
        *(test_cell(s) for s in baselines),
    ]


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render_markdown(results: dict[str, Any]) -> str:
    settings, tasks = results["settings"], results["tasks"]
    baselines = tuple(settings["baselines"])
    titles = [SYSTEM_TITLES[s] for s in baselines]
    lines = [
        "# mlestar bench",
        "",
        f"Budget {settings['budget_seconds']:.0f} s per task for the agent and FLAML (LightGBM runs to "
        f"completion), seed {settings['seed']}, {settings['cores']} cores, systems one after another.",
        "",
        *_table(
            [
                "task",
                "metric",
                "agent val",
                "agent test",
                "gap",
                "best initial test",
                "improvement (test)",
                *(f"{t} test" for t in titles),
            ],
            [_main_row(entry, baselines) for entry in tasks],
        ),
        "",
        "Bold: the best hidden-test score of the row. gap = |agent val − agent test|. Improvement: the "
        "final submission over the best initial candidate, both on the hidden test set.",
        "",
        *_table(
            ["task", "agent s", *(f"{t} val" for t in titles), *(f"{t} s" for t in titles)],
            [
                [
                    entry["task"],
                    f"{entry['agent']['seconds']:.0f}",
                    *(_score(entry[s]["val_score"]) for s in baselines),
                    *(f"{entry[s]['seconds']:.0f}" for s in baselines),
                ]
                for entry in tasks
            ],
        ),
        "",
        *_problems(tasks, baselines),
        _summary_line(results["summary"], baselines),
        "",
        f"Command: `{results['command']}`",
        "",
    ]
    return "\n".join(lines)


def _problems(tasks: list[dict[str, Any]], baselines: tuple[str, ...]) -> list[str]:
    lines = []
    for entry in tasks:
        for system in ("agent", *baselines):
            row = entry[system]
            if not row["valid"]:
                lines.append(f"- {entry['task']} / {SYSTEM_TITLES[system]}: invalid — {row['error']}")
            if row.get("note"):
                lines.append(f"- {entry['task']} / {SYSTEM_TITLES[system]}: {row['note']}")
    return ["Problems:", "", *lines, ""] if lines else []


def _summary_line(summary: dict[str, Any], baselines: tuple[str, ...]) -> str:
    parts = []
    if "lgbm" in baselines:
        parts.append(f"agent beats LightGBM on {_count(summary['agent_beats_lgbm'])}")
    if "flaml" in baselines:
        parts.append(f"matches or beats FLAML on {_count(summary['agent_matches_or_beats_flaml'])}")
        parts.append(
            f"mean relative difference vs FLAML {_percent(summary['mean_relative_difference_vs_flaml'])} "
            "(> 0: agent better)"
        )
    parts.append(f"refined beats best initial candidate on {_count(summary['refined_beats_initial'])}")
    return "Summary (hidden test scores): " + "; ".join(parts) + "."
