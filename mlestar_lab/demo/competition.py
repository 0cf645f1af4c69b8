"""Kaggle-layout demo competitions made from real data that ships inside scikit-learn.

`make demo` and the tests need a competition on a machine without internet. These folders look
exactly like a Kaggle download (train, test, sample submission, a description page) and hold
real measurements, so the agent's scores on them mean something. Building is deterministic and
idempotent: an unchanged file is never rewritten, so its modification time stays put.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.model_selection import train_test_split

from mlestar_lab.fsutil import atomic_write_text

TEST_SIZE = 0.25

_DIABETES_COLUMNS = {
    "age": "age in years",
    "sex": "sex, coded 1 or 2",
    "bmi": "body mass index",
    "bp": "average blood pressure",
    "s1": "tc, total serum cholesterol",
    "s2": "ldl, low-density lipoproteins",
    "s3": "hdl, high-density lipoproteins",
    "s4": "tch, total cholesterol / HDL",
    "s5": "ltg, log of serum triglycerides level",
    "s6": "glu, blood sugar level",
    "progression": "quantitative measure of disease progression one year after baseline",
}


@dataclass(frozen=True)
class _Competition:
    """What a description page says about a competition, besides its data."""

    title: str
    overview: str
    task_type: str
    target: str
    metric_line: str
    rows_are: str
    submission: str
    meanings: dict[str, str]


def build_demo_task(dest: str | os.PathLike[str], seed: int = 0) -> Path:
    """Regression demo: diabetes progression of 442 patients (Efron et al. 2004), scored by RMSE."""
    bunch = datasets.load_diabetes(scaled=False, as_frame=True)
    frame = _whole_numbers(bunch.frame.rename(columns={"target": "progression"}))
    competition = _Competition(
        title="Diabetes Progression",
        overview="Ten baseline measurements of 442 diabetes patients. Predict a quantitative measure "
        "of how far the disease progressed one year later.",
        task_type="regression",
        target="progression",
        metric_line="rmse — root mean squared error, sqrt(mean((prediction - progression)^2)); "
        "lower is better",
        rows_are="patients",
        submission="one row per `id` of `test.csv` with the predicted `progression`",
        meanings=_DIABETES_COLUMNS,
    )
    train, test = _split(frame, seed)
    sample = pd.DataFrame({"id": test["id"], "progression": round(float(train["progression"].mean()), 1)})
    return _write(dest, competition, train, test.drop(columns="progression"), sample)


def build_classification_demo(dest: str | os.PathLike[str], seed: int = 0) -> Path:
    """Binary demo: malignant vs benign breast tumours from 569 biopsies (Wisconsin), scored by AUC."""
    bunch = datasets.load_breast_cancer(as_frame=True)
    features = bunch.data.rename(columns=lambda name: name.replace(" ", "_"))
    frame = features.assign(malignant=(bunch.target == 0).astype("int64"))
    competition = _Competition(
        title="Breast Tumour Diagnosis",
        overview="Thirty measurements of cell nuclei, computed from digitised images of fine-needle "
        "aspirates of breast masses. Predict whether the mass is malignant (1) or benign (0).",
        task_type="binary classification",
        target="malignant",
        metric_line="auc — area under the ROC curve of the predicted probability of `malignant` = 1; "
        "higher is better",
        rows_are="biopsies",
        submission="one row per `id` of `test.csv` with the probability that `malignant` = 1",
        meanings={name: _nucleus_meaning(name) for name in features.columns},
    )
    train, test = _split(frame, seed, stratify="malignant")
    sample = pd.DataFrame({"id": test["id"], "malignant": round(float(train["malignant"].mean()), 4)})
    return _write(dest, competition, train, test.drop(columns="malignant"), sample)


def build_multiclass_demo(dest: str | os.PathLike[str], seed: int = 0) -> Path:
    """Multiclass demo: the cultivar of 178 Italian wines from their chemistry, scored by log loss."""
    bunch = datasets.load_wine(as_frame=True)
    labels = [str(name) for name in bunch.target_names]
    frame = bunch.data.assign(cultivar=[labels[k] for k in bunch.target])
    competition = _Competition(
        title="Wine Cultivars",
        overview="Chemical analysis of 178 wines grown in one region of Italy from three cultivars. "
        "Predict the cultivar; submit one probability per cultivar.",
        task_type="multiclass classification",
        target="cultivar",
        metric_line="mlogloss — multi-class log loss of the predicted probabilities; lower is better",
        rows_are="wines",
        submission=f"one row per `id` of `test.csv` with a probability for each of {', '.join(labels)}",
        meanings={},
    )
    train, test = _split(frame, seed, stratify="cultivar")
    shares = train["cultivar"].value_counts(normalize=True)
    sample = pd.DataFrame({"id": test["id"], **{label: round(float(shares[label]), 4) for label in labels}})
    return _write(dest, competition, train, test.drop(columns="cultivar"), sample)


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer-valued float columns as integers, as the original data files write them."""
    return frame.apply(lambda col: col.astype("int64") if np.all(np.mod(col.to_numpy(), 1) == 0) else col)


def _split(frame: pd.DataFrame, seed: int, stratify: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle, number rows 0..n-1 (ids then carry no information), and hold out a quarter."""
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    shuffled.insert(0, "id", np.arange(len(shuffled)))
    train, test = train_test_split(
        shuffled, test_size=TEST_SIZE, random_state=seed, stratify=shuffled[stratify] if stratify else None
    )
    return train.sort_values("id"), test.sort_values("id")


def _nucleus_meaning(name: str) -> str:
    words = name.split("_")
    if words[0] == "mean":
        return f"mean {' '.join(words[1:])} of the nuclei in the image"
    if words[0] == "worst":
        return f"mean of the three largest values of {' '.join(words[1:])}"
    return f"standard error of {' '.join(words[:-1])}"


def _write(
    dest: str | os.PathLike[str],
    competition: _Competition,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
) -> Path:
    folder = Path(dest)
    texts = {
        "train.csv": train.to_csv(index=False),
        "test.csv": test.to_csv(index=False),
        "sample_submission.csv": sample.to_csv(index=False),
        "description.md": _description(competition, train, test, sample),
    }
    for name, text in texts.items():
        path = folder / name
        if not (path.is_file() and path.read_text(encoding="utf-8") == text):
            atomic_write_text(path, text)
    return folder


def _description(c: _Competition, train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame) -> str:
    columns = ", ".join(f"`{name}`" for name in sample.columns)
    lines = [
        f"# {c.title}",
        "",
        "## Overview",
        "",
        c.overview,
        "",
        f"- Task type: {c.task_type}",
        f"- Target column: `{c.target}`",
        "",
        "## Evaluation",
        "",
        f"Evaluation metric: {c.metric_line}",
        "",
        "## Files",
        "",
        f"- `train.csv` — {len(train)} {c.rows_are} with the target",
        f"- `test.csv` — {len(test)} {c.rows_are} without the target",
        f"- `sample_submission.csv` — a submission in the correct format ({columns})",
        "",
        "## Submission",
        "",
        f"A CSV file with columns {columns}: {c.submission}. Row ids were assigned after a random "
        "shuffle and carry no information.",
        "",
        "## Columns of train.csv",
        "",
        "| column | meaning | type | distinct | example |",
        "|---|---|---|---|---|",
    ]
    for name in train.columns:
        column = train[name]
        kind = "number" if pd.api.types.is_numeric_dtype(column) else "text"
        meaning = "row id" if name == "id" else c.meanings.get(name, "")
        if name == c.target:
            meaning = f"**target** — {meaning}" if meaning else "**target**"
        lines.append(f"| `{name}` | {meaning} | {kind} | {column.nunique()} | {column.iloc[0]} |")
    return "\n".join(lines) + "\n"
