"""Choosing ensemble members: strong solutions that err differently.

Ranking alone fills every slot with small variations of the best line (its refinements differ by
one cell), and an ensemble of near-copies cannot beat its best member. So the best solution of
each lineage — the line grown from one initial candidate — comes first, and a solution whose
out-of-fold predictions are a near copy of a member's is left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlestar_lab.notebook import contract
from mlestar_lab.store.models import StepRecord

NEAR_COPY_CORRELATION = 0.999


def choose_members(
    ranked: list[StepRecord], every_step: list[StepRecord], limit: int, id_column: str
) -> list[StepRecord]:
    """Up to `limit` of `ranked` (best first): the best of each lineage, then the rest in rank order.

    `every_step` of the run is needed to trace lineages through steps that are not members.
    """
    by_id = {s.id: s for s in every_step}
    leaders: list[StepRecord] = []
    lineages: set[int | None] = set()
    for step in ranked:
        root = _lineage(step, by_id)
        if root not in lineages:
            lineages.add(root)
            leaders.append(step)
    order = leaders + [s for s in ranked if s not in leaders]
    chosen: list[StepRecord] = []
    kept: list[np.ndarray] = []
    for step in order:
        predictions = _oof_vector(step, id_column)
        if predictions is None or any(_near_copy(predictions, other) for other in kept):
            continue
        chosen.append(step)
        kept.append(predictions)
        if len(chosen) == limit:
            break
    rank = {s.id: i for i, s in enumerate(ranked)}
    return sorted(chosen, key=lambda s: rank[s.id])


def _lineage(step: StepRecord, by_id: dict[int | None, StepRecord]) -> int | None:
    """The id of the candidate this step descends from (itself for a candidate)."""
    seen: set[int | None] = set()
    current = step
    while current.stage != "candidate" and current.parent_id in by_id and current.parent_id not in seen:
        seen.add(current.id)
        current = by_id[current.parent_id]
    return current.id if current.stage == "candidate" else step.id


def _oof_vector(step: StepRecord, id_column: str) -> np.ndarray | None:
    """The step's out-of-fold predictions as one flat vector (rows × prediction columns)."""
    try:
        frame = pd.read_csv(Path(step.output_dir or "") / contract.OOF_FILE)
    except (OSError, ValueError):
        return None
    values = frame.drop(columns=[id_column], errors="ignore").select_dtypes("number")
    if values.empty:
        return None
    return values.sort_index(axis=1).to_numpy(dtype=float).ravel()


def _near_copy(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if np.allclose(a, b):
        return True
    if a.std() == 0 or b.std() == 0:
        return False
    return float(np.corrcoef(a, b)[0, 1]) >= NEAR_COPY_CORRELATION
