"""Re-scoring every candidate from its saved out-of-fold predictions.

A notebook prints its own score; the agent recomputes it from `oof_predictions.csv` with the very
metric source the notebook embeds, against the training labels it never trusts the notebook
with. A mismatch is reported, and the recomputed score is the one the loop ranks by.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlestar_lab.store.models import Finding
from mlestar_lab.task.infer import label_strings
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

TOLERANCE = 1e-6


def encode_labels(task: Task, target: pd.Series) -> np.ndarray:
    """Labels in the metric convention: binary 0/1 (classes[1] positive), class index, or float."""
    if task.task_type == "regression":
        return target.astype(float).to_numpy()
    classes = [str(c) for c in (task.classes or [])]
    as_text = label_strings(target).to_numpy()
    if task.task_type == "binary" and classes:
        return (as_text == classes[-1]).astype(int)
    return np.array([classes.index(v) for v in as_text])


class ScoreVerifier:
    """Scores OOF files of one task against its training labels, aligned by id."""

    def __init__(self, task: Task, train: pd.DataFrame):
        self.task = task
        self.metric = get_metric(task.metric).function()
        train = train[train[task.target].notna()]
        ids = train[task.id_column].astype(str)
        self.labels = pd.Series(list(encode_labels(task, train[task.target])), index=ids)

    def prediction_columns(self) -> list[str]:
        """Submission columns, except for a multiclass label submission: one probability per class."""
        columns = [c for c in self.task.submission_columns if c != self.task.id_column]
        classes = [str(c) for c in self.task.classes or []]
        if self.task.task_type == "multiclass" and len(columns) != len(classes):
            return classes
        return columns

    def rescore(self, oof_path: str | Path) -> tuple[float | None, str | None]:
        """(score, None) from a complete OOF file, or (None, why it cannot be scored)."""
        try:
            oof = pd.read_csv(oof_path)
        except (OSError, ValueError) as exc:
            return None, f"cannot read {Path(oof_path).name}: {exc}"
        columns = self.prediction_columns()
        missing = [c for c in [self.task.id_column, *columns] if c not in oof.columns]
        if missing:
            return None, f"{Path(oof_path).name} lacks columns {missing}"
        oof = oof.assign(**{self.task.id_column: oof[self.task.id_column].astype(str)})
        oof = oof.drop_duplicates(self.task.id_column).set_index(self.task.id_column)
        covered = self.labels.index.intersection(oof.index)
        if len(covered) < len(self.labels):
            return None, f"out-of-fold predictions cover {len(covered)} of {len(self.labels)} training rows"
        values = oof.loc[self.labels.index, columns].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            return None, "out-of-fold predictions contain NaN or infinite values"
        pred = values if self.task.task_type == "multiclass" else values[:, 0]
        return float(self.metric(np.asarray(list(self.labels.to_numpy())), pred)), None

    def check(self, reported: float | None, oof_path: str | None) -> tuple[float | None, list[Finding]]:
        """The score to rank by, and findings when the notebook's own claim does not hold."""
        if not oof_path:
            return reported, [
                Finding(
                    checker="score",
                    severity="warning",
                    message="no out-of-fold predictions saved: the score could not be verified",
                )
            ]
        recomputed, problem = self.rescore(oof_path)
        if recomputed is None:
            return reported, [Finding(checker="score", severity="warning", message=problem or "")]
        if reported is None:
            return recomputed, [
                Finding(
                    checker="score",
                    severity="warning",
                    message=f"no 'Final Validation Performance' line; score {recomputed:.6g} "
                    "recomputed from out-of-fold predictions",
                )
            ]
        if abs(recomputed - reported) > TOLERANCE * max(1.0, abs(reported)):
            return recomputed, [
                Finding(
                    checker="score",
                    severity="warning",
                    message=f"the notebook reported {reported:.6g} but its out-of-fold predictions "
                    f"score {recomputed:.6g}; the recomputed score is used",
                )
            ]
        return recomputed, []
