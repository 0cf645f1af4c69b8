"""A run report (`mlestar_lab.report.run_report`) as pandas DataFrames, for analysis in a notebook.

Only a reshaping of the report every front end reads: a number here is the number `mlestar show`
prints and the panels display.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

STEP_COLUMNS = ["id", "stage", "title", "status", "score", "delta", "runtime", "block", "plan", "notebook"]
ABLATION_COLUMNS = ["block", "description", "delta", "score", "runtime", "status", "chosen"]
STAGE_COLUMNS = ["stage", "steps", "ok", "failed", "runtime"]


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)


def steps_frame(report: dict[str, Any]) -> pd.DataFrame:
    """Every executed step, in order, indexed by step id."""
    return _frame(report["steps"], STEP_COLUMNS).set_index("id")


def stages_frame(report: dict[str, Any]) -> pd.DataFrame:
    return _frame(report["stages"], STAGE_COLUMNS).set_index("stage")


def ablation_frames(report: dict[str, Any]) -> list[pd.DataFrame]:
    """One table per outer step: component → Δscore (> 0: the component helps), `chosen` marks the
    block refined next; `attrs` holds the outer step, its base step and base score."""
    frames = []
    for outer in report["ablations"]:
        rows = [{**row, "chosen": row["block"] == outer["chosen_block"]} for row in outer["table"]]
        frame = _frame(rows, ABLATION_COLUMNS)
        frame.attrs.update(
            outer_step=outer["outer_step"],
            base_step=outer["base_step"],
            base_score=outer["base_score"],
            chosen_block=outer["chosen_block"],
            reason=outer["reason"],
        )
        frames.append(frame)
    return frames


def refinements_frame(report: dict[str, Any]) -> pd.DataFrame:
    """Every refinement plan tried, with the outer step and block it belongs to."""
    rows = [
        {**step, "outer_step": outer["outer_step"], "refined_block": outer["chosen_block"]}
        for outer in report["ablations"]
        for step in outer["refinements"]
    ]
    return _frame(rows, ["outer_step", "refined_block", *STEP_COLUMNS]).set_index("id")


def ensembles_frame(report: dict[str, Any]) -> pd.DataFrame:
    return _frame(report["ensembles"], STEP_COLUMNS).set_index("id")
