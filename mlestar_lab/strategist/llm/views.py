"""The facts a prompt shows: the task, the files, an ablation table, earlier attempts, members.

Plain text, bounded in size: a long description or a wide table is cut with a note saying so,
so that a prompt never grows with the data.
"""

from __future__ import annotations

import re

from mlestar_lab.strategist.base import AblationRow, Attempt, Solution
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

MAX_DESCRIPTION = 4000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_COLUMNS = 60
MAX_FILES = 40


def plain(text: str) -> str:
    """`text` without terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text or "")


def direction(task: Task) -> str:
    return "higher is better" if task.higher_is_better else "lower is better"


def task_view(task: Task) -> str:
    metric = get_metric(task.metric)
    lines = [
        f"## Competition: {task.name}",
        f"- Task type: {task.task_type}; target column `{task.target}`; id column `{task.id_column}`",
        f"- Metric: {metric.title} ({task.metric}), {direction(task)}",
        f"- Training rows: {task.n_train}; test rows: {task.n_test}; folds: {task.n_folds}",
        f"- Files (relative to DATA_DIR): train `{task.train_file}`, test `{task.test_file}`, "
        f"sample submission `{task.sample_submission_file}` with columns {task.submission_columns}",
    ]
    if task.classes:
        lines.append(f"- Classes, in submission order: {task.classes}")
    if task.group_column:
        lines.append(f"- Folds are grouped by `{task.group_column}`")
    if task.time_column:
        lines.append(f"- Folds are ordered in time by `{task.time_column}`")
    if task.auxiliary_files:
        lines.append("- Other files:\n" + files_view(task))
    columns = task.columns[:MAX_COLUMNS]
    lines.append("\n### Training columns (kind, dtype, distinct values, missing share, in test)")
    lines += [
        f"- {c.name}: {c.kind}, {c.dtype}, {c.n_unique}, {c.missing_fraction:.1%}, "
        + ("yes" if c.in_test else "no")
        for c in columns
    ]
    if len(task.columns) > len(columns):
        lines.append(f"- … and {len(task.columns) - len(columns)} more columns")
    lines.append(
        "\n### The metric, exactly as the agent re-scores your out-of-fold predictions\n"
        f"```python\n{metric.source.strip()}\n```\n"
        + (
            "`y_true` holds the target values and `pred` the predicted values."
            if task.task_type == "regression"
            else "`y_true` holds class indices (0/1 for binary, the position in the class list for "
            "multiclass); `pred` the probability of class 1 (binary) or one column per class (multiclass)."
        )
    )
    description = task.description.strip()
    if description:
        cut = description[:MAX_DESCRIPTION]
        note = "\n[description cut here]" if len(description) > MAX_DESCRIPTION else ""
        lines.append(f"\n### Description\n{cut}{note}")
    return "\n".join(lines)


def files_view(task: Task) -> str:
    lines = []
    for info in task.files[:MAX_FILES]:
        extra = f", columns {info.columns[:20]}" if info.columns else ""
        rows = f", {info.rows} rows" if info.rows is not None else ""
        lines.append(f"  - `{info.path}`: {info.kind}, {info.size} bytes{rows}{extra}")
    if len(task.files) > MAX_FILES:
        lines.append(f"  - … and {len(task.files) - MAX_FILES} more files")
    return "\n".join(lines)


def score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def table_view(table: list[AblationRow]) -> str:
    if not table:
        return "(no variant ran)"
    lines = ["| block | variant | status | score without | Δscore | runtime s |", "|---|---|---|---|---|---|"]
    for row in table:
        delta = "—" if row.delta is None else f"{row.delta:+.6g}"
        runtime = "—" if row.runtime is None else f"{row.runtime:.1f}"
        cells = [row.block, row.description, row.status, score_text(row.score), delta, runtime]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def history_view(history: list[Attempt]) -> str:
    if not history:
        return "(none yet)"
    lines = []
    for attempt in history:
        delta = "" if attempt.delta is None else f", Δscore {attempt.delta:+.6g}"
        user = attempt.info.get("user_reason")
        note = f"; the user said: {user}" if user else ""
        lines.append(
            f"- {attempt.title} ({attempt.status}, score {score_text(attempt.score)}{delta}{note}): "
            f"{attempt.plan}"
        )
    return "\n".join(lines)


def members_view(members: list[Solution]) -> str:
    return "\n".join(
        f"- MEMBER_DIRS[{i}]: {m.title} (validation score {score_text(m.score)})"
        for i, m in enumerate(members)
    )
