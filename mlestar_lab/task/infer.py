"""Reading a competition's intent from its tables: id, target, classes, task type, column kinds.

Each rule mirrors how a Kaggle page is laid out: the sample submission says what to predict and
for which rows, train has what test lacks, and the description may say it all explicitly. Every
function returns None (or raises nothing) when unsure, so the loader can ask the user precisely.
"""

from __future__ import annotations

import re
from typing import cast

import numpy as np
import pandas as pd

from mlestar_lab.task.metrics import Metric
from mlestar_lab.task.model import ColumnInfo, ColumnKind, TaskType

MAX_CLASS_LABELS = 20
_POSITIVE_WORDS = {"1", "true", "yes", "y", "t", "positive", "pos"}
_DATE_LIKE = re.compile(
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
)
_SAMPLE = 2_000


def label_strings(values: pd.Series) -> pd.Series:
    """Class labels as strings, integer-valued floats without '.0', so 1.0 and 1 name one class."""
    values = values.dropna()
    if pd.api.types.is_float_dtype(values) and np.all(np.mod(values.to_numpy(), 1) == 0):
        values = values.astype("int64")
    return values.astype(str)


def find_id_column(sample: pd.DataFrame, test: pd.DataFrame) -> str | None:
    """The first sample-submission column holding exactly the values of test's same-named column."""
    for column in sample.columns:
        if column in test.columns and same_values(sample[column], test[column]):
            return str(column)
    return None


def same_values(a: pd.Series, b: pd.Series) -> bool:
    """Equal as sets, compared as strings when the dtypes differ ('007' read as 7 on one side)."""
    left, right = set(a.dropna().tolist()), set(b.dropna().tolist())
    return bool(left) and (left == right or set(label_strings(a)) == set(label_strings(b)))


def missing_from_test(train: pd.DataFrame, test: pd.DataFrame) -> list[str]:
    """Train columns that test lacks or holds only as an empty placeholder."""
    return [str(c) for c in train.columns if c not in test.columns or test[c].isna().all()]


def match_class_columns(labels: pd.Series, columns: list[str]) -> list[str] | None:
    """Class labels in `columns` order if the columns name the labels, with or without a prefix.

    Kaggle probability submissions name one column per class: the labels themselves (`F`, `VF`)
    or a prefix plus the label (`Class_1`, `Status_C` for label `C`).
    """
    labels_set = set(label_strings(labels))
    if len(columns) < 2 or len(labels_set) != len(columns):
        return None
    if set(columns) == labels_set:
        return list(columns)
    for cut in range(min(len(c) for c in columns) - 1, 0, -1):
        stripped = [c[cut:] for c in columns]
        if len({c[:cut] for c in columns}) == 1 and set(stripped) == labels_set:
            return stripped
    return None


def explicit_task_type(description: str) -> str | None:
    """'binary', 'multiclass', 'regression' or 'classification' from a 'Task type: …' line.

    The first task word on the line counts. Raises ValueError with the stated text when the
    line names no supported type (multi-label, segmentation, …).
    """
    found = re.search(r"task\s*type\s*[:=][\s*_`]*([^\n]*)", description.lower())
    if not found:
        return None
    stated = found.group(1).replace("-", " ").replace("_", " ")
    words = re.finditer(r"multi ?label|multi ?class|binary|regression|classification", stated)
    first = next(words, None)
    if first is None or "label" in first.group(0):
        raise ValueError(" ".join(stated.replace("*", " ").replace("`", " ").split())[:60])
    return "multiclass" if first.group(0).startswith("multi") else first.group(0)


def infer_task_type(
    target: pd.Series,
    class_columns: bool,
    stated: str | None,
    metric: Metric | None,
    sample: pd.Series | None,
) -> TaskType:
    """The task type: stated in the description, else read from the submission, metric and target.

    A regression-only metric settles a numeric target with few values (ratings, counts);
    otherwise few distinct integers or any non-numeric target mean classification.
    """
    n_labels = target.dropna().nunique()
    if stated in ("binary", "multiclass", "regression"):
        return cast(TaskType, stated)
    if class_columns:
        return "multiclass"
    numeric = pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target)
    if stated == "classification" or not numeric:
        return "binary" if n_labels <= 2 else "multiclass"
    if metric is not None and metric.task_types == ("regression",):
        return "regression"
    if n_labels <= 2:
        return "binary"
    values = target.dropna().to_numpy(dtype=float)
    if n_labels <= MAX_CLASS_LABELS and np.all(np.mod(values, 1) == 0) and not _fractional(sample):
        return "multiclass"
    return "regression"


def _fractional(sample: pd.Series | None) -> bool:
    """True when the sample submission shows fractional predictions: a regression, not labels."""
    if sample is None or not pd.api.types.is_float_dtype(sample):
        return False
    return bool(np.any(np.mod(sample.dropna().to_numpy(), 1) != 0))


def binary_classes(target: pd.Series) -> list[str]:
    """[negative, positive] of a two-label target, as strings: 1/True/'yes' is positive, else the minority."""
    counts = label_strings(target).value_counts()
    labels = sorted(counts.index, key=_label_sort_key)
    positive = [label for label in labels if label.lower() in _POSITIVE_WORDS]
    minority = min(reversed(labels), key=lambda label: counts[label])
    chosen = positive[0] if len(positive) == 1 else minority
    return [next(label for label in labels if label != chosen), chosen]


def multiclass_labels(target: pd.Series) -> list[str]:
    """Class labels of a label-submission task, numbers in numeric order."""
    return sorted(label_strings(target).unique(), key=_label_sort_key)


def _label_sort_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def profile_columns(train: pd.DataFrame, test_columns: list[str], id_column: str) -> list[ColumnInfo]:
    """One ColumnInfo per train column, computed on train only (test never informs the profile)."""
    infos = []
    for name in train.columns:
        series = train[name]
        n_unique = int(series.nunique(dropna=True))
        infos.append(
            ColumnInfo(
                name=str(name),
                kind="id" if name == id_column else column_kind(series, n_unique),
                dtype=str(series.dtype),
                n_unique=n_unique,
                missing_fraction=round(float(series.isna().mean()), 6) if len(series) else 0.0,
                in_test=name in test_columns,
            )
        )
    return infos


def column_kind(series: pd.Series, n_unique: int) -> ColumnKind:
    values = series.dropna()
    if n_unique <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(series):
        return "numeric"
    if pd.api.types.is_numeric_dtype(series):
        return "id" if _row_id_like(values, n_unique) else "numeric"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    strings = values.astype(str).head(_SAMPLE)
    if _dates(strings):
        return "datetime"
    if _free_text(strings, n_unique, len(values)):
        return "text"
    return "categorical"


def _row_id_like(values: pd.Series, n_unique: int) -> bool:
    """Unique integers packed in a range not much wider than the row count, as row ids are."""
    if n_unique != len(values) or len(values) < 10 or not pd.api.types.is_integer_dtype(values):
        return False
    return int(values.max()) - int(values.min()) + 1 <= 3 * len(values)


def _dates(strings: pd.Series) -> bool:
    if not strings.str.match(_DATE_LIKE).all():
        return False
    parsed = pd.to_datetime(strings, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def _free_text(strings: pd.Series, n_unique: int, n_values: int) -> bool:
    """Long, mostly distinct strings with spaces: names, comments, addresses."""
    if n_values == 0 or n_unique < 0.5 * n_values or n_unique < 20:
        return False
    return bool(strings.str.contains(" ").mean() >= 0.5 and strings.str.len().mean() >= 15)
