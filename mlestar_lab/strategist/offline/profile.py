"""What the strategist knows about a task's data: column groups and a few target statistics.

Column groups come from the task's column profiles (computed on train by the task loader); the
target statistics (class balance, sign and skew) are read once from the training file, because
deciding on class weights or a log target needs them and no notebook fit depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from mlestar_lab.task.model import ColumnInfo, Task

LOW_CARDINALITY = 50
CONTINUOUS_MIN_UNIQUE = 10
CHEAP_TEXT_ROWS = 200_000


@dataclass(frozen=True)
class TargetStats:
    minority_share: float | None = None
    minimum: float | None = None
    skew: float | None = None


@dataclass(frozen=True)
class TaskView:
    """The task seen through its column profiles: which feature steps and encodings apply."""

    task: Task

    def _kind(self, *kinds: str) -> list[ColumnInfo]:
        return [c for c in self.task.feature_columns if c.kind in kinds]

    @property
    def numeric(self) -> list[str]:
        return [c.name for c in self._kind("numeric")]

    @property
    def continuous(self) -> list[str]:
        return [c.name for c in self._kind("numeric") if c.n_unique > CONTINUOUS_MIN_UNIQUE]

    @property
    def categorical(self) -> list[str]:
        return [c.name for c in self._kind("categorical")]

    @property
    def text(self) -> list[str]:
        return [c.name for c in self._kind("text")]

    @property
    def datetime(self) -> list[str]:
        return [c.name for c in self._kind("datetime")]

    @property
    def useless(self) -> list[str]:
        """Feature columns that carry no signal as they are: row-id-like or constant."""
        return [c.name for c in self._kind("id", "constant")]

    @property
    def with_missing(self) -> list[str]:
        return [c.name for c in self.task.feature_columns if c.missing_fraction > 0]

    @property
    def group_keys(self) -> list[str]:
        """Low-cardinality columns that can serve as keys of group aggregates."""
        return [
            c.name
            for c in self.task.feature_columns
            if c.kind in ("categorical", "numeric") and 2 <= c.n_unique <= LOW_CARDINALITY
        ]

    @property
    def has_strings(self) -> bool:
        """Whether raw features include non-numeric columns, i.e. whether an encoding matters."""
        return bool(self._kind("categorical", "text", "datetime"))

    @property
    def cheap_text(self) -> bool:
        return bool(self.text) and self.task.n_train * len(self.text) <= CHEAP_TEXT_ROWS

    @property
    def target_stats(self) -> TargetStats:
        path = Path(self.task.root) / self.task.train_file
        return _target_stats(str(path), self.task.target, self.task.task_type)

    @property
    def imbalanced(self) -> bool:
        share = self.target_stats.minority_share
        return share is not None and share < 0.2

    @property
    def skewed_positive_target(self) -> bool:
        stats = self.target_stats
        return stats.minimum is not None and stats.minimum >= 0 and (stats.skew or 0.0) > 1.0

    @property
    def nonnegative_target(self) -> bool:
        minimum = self.target_stats.minimum
        return minimum is None or minimum >= 0


@lru_cache(maxsize=32)
def _target_stats(path: str, target: str, task_type: str) -> TargetStats:
    """Class balance or sign/skew of the target; empty stats when the file cannot be read."""
    try:
        values = pd.read_csv(path, usecols=[target])[target].dropna()
    except (OSError, ValueError):
        return TargetStats()
    if values.empty:
        return TargetStats()
    if task_type != "regression":
        shares = values.astype(str).value_counts(normalize=True)
        return TargetStats(minority_share=float(shares.min()))
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if numbers.size < 3 or np.std(numbers) == 0:
        return TargetStats(minimum=float(numbers.min()) if numbers.size else None)
    skew = float(np.mean(((numbers - numbers.mean()) / numbers.std()) ** 3))
    return TargetStats(minimum=float(numbers.min()), skew=skew)
