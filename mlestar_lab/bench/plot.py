"""`score_vs_time.png`: per task, how the validation score grew over time, against hidden test scores.

Lines are best-so-far validation scores (agent: seconds since its run was created; FLAML: seconds
since its search started, from its log; LightGBM: one cross-validation point); a filled marker at the
end of each system's time and a dashed line of the same colour mark its hidden test score, so the
vertical distance between a curve's end and its marker is the system's validation/test gap.
Agent and LightGBM dashes are offset, so equal test scores still show both colours. The
y-range is fitted to the final scores: the first, much worse trials leave the frame at the top (or
bottom) rather than squeezing every difference that matters into a few pixels.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

COLOURS = {"agent": "tab:blue", "lgbm": "tab:green", "flaml": "tab:orange"}
TITLES = {"agent": "agent", "lgbm": "LightGBM", "flaml": "FLAML"}
TEST_STYLES = {"agent": (0, (6, 3)), "lgbm": (3, (6, 3)), "flaml": (0, (2, 2))}
_COLUMNS = 3


def write_plot(results: dict[str, Any], path: Path) -> Path:
    """Draw one subplot per task into `path` (written beside it first, then renamed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tasks = results["tasks"]
    columns = max(1, min(_COLUMNS, len(tasks)))
    rows = max(1, math.ceil(len(tasks) / columns))
    figure = Figure(figsize=(5.4 * columns, 3.9 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, entry in zip(axes, tasks, strict=False):
        _draw_task(axis, entry, tuple(results["settings"]["baselines"]))
    for axis in axes[len(tasks) :]:
        axis.set_visible(False)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(tmp, dpi=100, format="png")
    os.replace(tmp, path)
    return path


def _draw_task(axis: Any, entry: dict[str, Any], baselines: tuple[str, ...]) -> None:
    focus: list[float] = []
    end = 1.0
    for system in ("agent", *baselines):
        row, colour, title = entry[system], COLOURS[system], TITLES[system]
        curve = row.get("curve") or []
        finish = max([row["seconds"] or 0.0, *(t for t, _ in curve)])
        if curve:
            times, scores = [t for t, _ in curve] + [finish], [s for _, s in curve] + [curve[-1][1]]
            axis.plot(times, scores, drawstyle="steps-post", color=colour, label=f"{title} val")
            focus.append(curve[-1][1])
        elif row.get("val_score") is not None:
            axis.plot([finish], [row["val_score"]], "o", color=colour, label=f"{title} val")
            focus.append(row["val_score"])
        if row.get("valid") and row.get("test_score") is not None:
            axis.axhline(row["test_score"], color=colour, linestyle=TEST_STYLES[system], linewidth=1.2)
            axis.plot([finish], [row["test_score"]], "D", color=colour, label=f"{title} test")
            focus.append(row["test_score"])
        end = max(end, finish)
    initial = (entry["agent"].get("initial") or {}).get("test_score")
    if initial is not None:
        axis.axhline(initial, color="tab:gray", linestyle=":", linewidth=1.0, label="agent best initial test")
        focus.append(initial)
    if focus:
        low, high = min(focus), max(focus)
        margin = max(high - low, 0.01 * max(abs(high), abs(low)), 1e-9)
        axis.set_ylim(low - margin, high + margin)
    axis.set_xlim(0, end * 1.04)
    direction = "higher" if entry["higher_is_better"] else "lower"
    axis.set_title(f"{entry['task']} — {entry['metric']} ({direction} is better)", fontsize=10)
    axis.set_xlabel("seconds since the system started")
    axis.set_ylabel(entry["metric"])
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="best")
