"""The Task: everything the agent knows about a competition folder.

A Task is built once per run (see `mlestar_lab.task.load`) and stored with the run as JSON, so
a resumed run sees exactly the task the run started with even if the folder changed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TaskType = Literal["binary", "multiclass", "regression"]
FileKind = Literal["table", "text", "image", "audio", "archive", "json", "other"]
ColumnKind = Literal["numeric", "categorical", "text", "datetime", "id", "constant"]


class ColumnInfo(BaseModel):
    """Profile of one column of the training table, computed on train only."""

    name: str
    kind: ColumnKind
    dtype: str
    n_unique: int
    missing_fraction: float
    in_test: bool = True


class FileInfo(BaseModel):
    """One file of the competition folder, path relative to the folder root."""

    path: str
    kind: FileKind
    size: int
    columns: list[str] | None = None
    rows: int | None = None


class Task(BaseModel):
    """A competition: files, target, id, metric and validation scheme."""

    name: str
    root: str
    description: str = ""
    task_type: TaskType
    target: str
    id_column: str
    metric: str
    higher_is_better: bool
    train_file: str
    test_file: str
    sample_submission_file: str
    submission_columns: list[str]
    classes: list[str] | None = Field(
        default=None,
        description="Multiclass: class labels in submission-column order. Binary: [negative, positive].",
    )
    columns: list[ColumnInfo] = Field(default_factory=list)
    files: list[FileInfo] = Field(default_factory=list)
    n_train: int = 0
    n_test: int = 0
    n_folds: int = 5
    group_column: str | None = None
    time_column: str | None = None

    @property
    def feature_columns(self) -> list[ColumnInfo]:
        """Columns a model may use: present in test, not the id, not the target."""
        return [c for c in self.columns if c.in_test and c.name not in (self.id_column, self.target)]

    @property
    def auxiliary_files(self) -> list[FileInfo]:
        """Every file other than train, test, sample submission and the description."""
        main = {self.train_file, self.test_file, self.sample_submission_file, "description.md"}
        return [f for f in self.files if f.path not in main]
