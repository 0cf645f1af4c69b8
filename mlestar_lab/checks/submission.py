"""Submission validation: would the competition accept this submission.csv?

The sample submission is the reference: same columns in the same order, one row per id of the
test set, no id twice, no missing or infinite value, numbers where the sample has numbers, and
values the metric can take (probabilities in [0, 1], non-negative values for RMSLE, known class
labels for accuracy/F1). Every problem is an `error` finding that says concretely what is wrong,
so a failed submission can be fixed (or the next-best solution used) without opening the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from mlestar_lab.errors import TaskError
from mlestar_lab.store.models import Finding
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

CHECKER = "submission"
PROBABILITY_METRICS = frozenset({"auc", "logloss", "mlogloss"})
LABEL_METRICS = frozenset({"accuracy", "f1"})
_EXAMPLES = 5


def validate_submission(
    submission_path: str | os.PathLike[str], sample_submission_path: str | os.PathLike[str], task: Task
) -> list[Finding]:
    """Findings about `submission_path`; any `error` means the submission is invalid."""
    sample = _read_sample(Path(sample_submission_path))
    path = Path(submission_path)
    if not path.is_file():
        return [_error(f"no submission at {path} — the notebook must write submission.csv into OUTPUT_DIR")]
    try:
        submission = pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return [_error(f"{path.name} is not a readable CSV: {str(exc).strip()}")]
    test_name = Path(task.test_file).name
    findings = _columns(submission, sample)
    if len(submission) != len(sample):
        findings.append(
            _error(
                f"the submission has {_count(len(submission), 'row')}, the sample submission {len(sample)} "
                f"(one per row of {test_name})"
            )
        )
    id_column = task.id_column if task.id_column in sample.columns else str(sample.columns[0])
    if id_column in submission.columns:
        findings += _ids(submission[id_column], sample[id_column], id_column, test_name)
    metric = _metric_name(task.metric)
    values = [c for c in sample.columns if c != id_column and c in submission.columns]
    for column in values:
        findings += _values(submission[column], sample[column], str(column), metric)
    if metric in LABEL_METRICS and task.classes and len(values) == 1:
        findings += _labels(submission[values[0]], str(values[0]), task.classes)
    return findings


def _error(message: str) -> Finding:
    return Finding(checker=CHECKER, severity="error", message=message)


def _read_sample(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, low_memory=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TaskError(f"cannot read the sample submission {path}: {exc}; check the task folder") from exc


def _metric_name(metric: str) -> str | None:
    try:
        return get_metric(metric).name
    except KeyError:
        return None


def _examples(values: list[object]) -> str:
    shown = ", ".join(str(v) for v in values[:_EXAMPLES])
    return shown + (", …" if len(values) > _EXAMPLES else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _be(n: int, one: str = "is", many: str = "are") -> str:
    return one if n == 1 else many


def _keys(values: pd.Series) -> pd.Series:
    """Ids and labels as text, whole floats without '.0', so 17, 17.0 and '17' are one id."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype(str).str.strip()


def _columns(submission: pd.DataFrame, sample: pd.DataFrame) -> list[Finding]:
    got, expected = [str(c) for c in submission.columns], [str(c) for c in sample.columns]
    if got == expected:
        return []
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    if missing or extra:
        return [
            _error(
                f"columns differ from the sample submission: missing {missing}, unexpected {extra} "
                f"(expected {expected})"
            )
        ]
    return [_error(f"columns are in a different order: got {got}, expected {expected}")]


def _ids(ids: pd.Series, sample_ids: pd.Series, name: str, test_name: str) -> list[Finding]:
    findings = []
    blank = int(ids.isna().sum())
    if blank:
        findings.append(
            _error(f"{_count(blank, 'row')} of the submission {_be(blank, 'has', 'have')} no {name}")
        )
    keys, expected = _keys(ids[ids.notna()]), _keys(sample_ids)
    repeated = keys[keys.duplicated()].unique().tolist()
    if repeated:
        findings.append(
            _error(
                f"{_count(len(repeated), 'id')} {_be(len(repeated), 'appears', 'appear')} more than once "
                f"in the submission, e.g. {_examples(repeated)}"
            )
        )
    present, wanted = set(keys), set(expected)
    missing = [k for k in expected if k not in present]
    if missing:
        findings.append(
            _error(
                f"{_count(len(missing), 'id')} of {test_name} {_be(len(missing))} missing from the "
                f"submission, e.g. {_examples(missing)}"
            )
        )
    extra = [k for k in dict.fromkeys(keys) if k not in wanted]
    if extra:
        findings.append(
            _error(
                f"{_count(len(extra), 'id')} of the submission {_be(len(extra))} not in {test_name}, "
                f"e.g. {_examples(extra)}"
            )
        )
    return findings


def _values(column: pd.Series, sample: pd.Series, name: str, metric: str | None) -> list[Finding]:
    findings = []
    if column.isna().any():
        findings.append(_error(f"column {name!r} has {_count(int(column.isna().sum()), 'missing value')}"))
    if not pd.api.types.is_numeric_dtype(sample) or pd.api.types.is_bool_dtype(sample):
        return findings
    numbers = pd.to_numeric(column, errors="coerce")
    wrong = column[numbers.isna() & column.notna()].astype(str).tolist()
    if wrong:
        findings.append(
            _error(
                f"column {name!r} must be numeric like the sample submission, but holds "
                f"{_count(len(wrong), 'non-numeric value')}, e.g. {_examples([repr(v) for v in wrong])}"
            )
        )
    values = numbers.to_numpy(dtype=float)
    infinite = values[np.isinf(values)].tolist()
    if infinite:
        findings.append(_error(f"column {name!r} has {_count(len(infinite), 'infinite value')}"))
    finite = values[np.isfinite(values)]
    if metric in PROBABILITY_METRICS:
        outside = finite[(finite < 0) | (finite > 1)].tolist()
        if outside:
            findings.append(
                _error(
                    f"column {name!r} must hold probabilities in [0, 1] for {metric}: "
                    f"{_count(len(outside), 'value')} {_be(len(outside))} outside, e.g. {_examples(outside)}"
                )
            )
    if metric == "rmsle":
        negative = finite[finite < 0].tolist()
        if negative:
            findings.append(
                _error(
                    f"column {name!r} must be non-negative for rmsle: {_count(len(negative), 'value')} "
                    f"{_be(len(negative))} negative, e.g. {_examples(negative)}"
                )
            )
    return findings


def _labels(column: pd.Series, name: str, classes: list[str]) -> list[Finding]:
    known = set(_keys(pd.Series(classes)))
    unknown = [v for v in dict.fromkeys(_keys(column[column.notna()])) if v not in known]
    if not unknown:
        return []
    return [
        _error(
            f"column {name!r} holds {_count(len(unknown), 'label')} not among the classes of the task "
            f"{classes}, e.g. {_examples([repr(v) for v in unknown])}"
        )
    ]
