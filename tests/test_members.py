"""Ensemble members: the best of every lineage first, near copies left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlestar_lab.agent.members import choose_members
from mlestar_lab.notebook import contract
from mlestar_lab.store.models import StepRecord

ROWS = 200


def step(
    tmp_path: Path, id: int, stage: str, score: float, parent: int | None, oof: np.ndarray
) -> StepRecord:
    out = tmp_path / f"s{id}"
    out.mkdir()
    pd.DataFrame({"id": np.arange(ROWS), "target": oof}).to_csv(out / contract.OOF_FILE, index=False)
    return StepRecord(
        id=id, run_id="r", key=f"k{id}", stage=stage, score=score, parent_id=parent, output_dir=str(out)
    )


def test_best_of_each_lineage_first_and_near_copies_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    signal = rng.normal(size=ROWS)
    noise = {name: rng.normal(size=ROWS) for name in "abcdm"}
    a = step(tmp_path, 1, "candidate", 0.80, None, signal + noise["a"])
    b = step(tmp_path, 2, "candidate", 0.78, None, signal + noise["b"])
    c = step(tmp_path, 3, "candidate", 0.70, None, signal + noise["c"])
    ablation = step(tmp_path, 4, "ablation", 0.81, 1, signal + 0.9 * noise["a"])
    refined = step(tmp_path, 5, "refinement", 0.85, 4, signal + 0.5 * noise["a"])
    near_copy = step(tmp_path, 6, "refinement", 0.849, 5, signal + 0.5 * noise["a"] + 1e-4 * noise["d"])
    other = step(tmp_path, 7, "refinement", 0.83, 1, signal + noise["d"])
    merge = step(tmp_path, 8, "merge", 0.82, 1, signal + noise["m"])
    ranked = [refined, near_copy, other, merge, a, b, c]
    every = [*ranked, ablation]

    chosen = choose_members(ranked, every, 4, "id")

    # refined leads lineage 1 (through the ablation step, which is no member), b and c lead their
    # own; the fourth slot goes to the best non-copy in rank order.
    assert [s.id for s in chosen] == [5, 7, 2, 3]
    assert [s.id for s in choose_members(ranked, every, 10, "id")] == [5, 7, 8, 1, 2, 3]


def test_solutions_without_readable_predictions_are_skipped(tmp_path: Path) -> None:
    good = step(tmp_path, 1, "candidate", 0.9, None, np.linspace(0, 1, ROWS))
    broken = StepRecord(
        id=2, run_id="r", key="k2", stage="candidate", score=0.95, output_dir=str(tmp_path / "gone")
    )
    assert choose_members([broken, good], [broken, good], 6, "id") == [good]
