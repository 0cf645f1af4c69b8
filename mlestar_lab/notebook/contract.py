"""The candidate-notebook contract shared by every strategist, the executor and the checkers.

A candidate is a notebook whose code cells are *blocks*, each named in its cell metadata
(`cell.metadata["mlestar"] = {"block": name, "kind": kind}`), preceded by one cell tagged
`parameters` that papermill overrides. When executed, a candidate

- reads the competition from `DATA_DIR` and the run's fixed fold assignment from `FOLDS_FILE`
  (columns: the task's id column and `fold`), so every candidate validates on the same rows;
- writes into `OUTPUT_DIR`: `submission.csv` (sample-submission format),
  `oof_predictions.csv` and `test_predictions.csv` (id column + one prediction column per
  submission column: probabilities for classification, values for regression);
- prints `Final Validation Performance: <float>` — the out-of-fold score on the task metric.
"""

from __future__ import annotations

import re

METADATA_KEY = "mlestar"
PARAMETERS_TAG = "parameters"
PARAMETERS_BLOCK = "parameters"

SUBMISSION_FILE = "submission.csv"
OOF_FILE = "oof_predictions.csv"
TEST_PREDICTIONS_FILE = "test_predictions.csv"
EXECUTED_NOTEBOOK = "executed.ipynb"
INPUT_NOTEBOOK = "candidate.ipynb"

SCORE_PREFIX = "Final Validation Performance:"
SCORE_PATTERN = re.compile(
    r"Final Validation Performance:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf)",
    re.IGNORECASE,
)

# Names of the papermill parameters every candidate understands. Ensembles add MEMBER_DIRS.
PARAM_DATA_DIR = "DATA_DIR"
PARAM_OUTPUT_DIR = "OUTPUT_DIR"
PARAM_FOLDS_FILE = "FOLDS_FILE"
PARAM_SEED = "SEED"
PARAM_N_JOBS = "N_JOBS"
PARAM_TIME_LIMIT = "TIME_LIMIT"
PARAM_MEMBER_DIRS = "MEMBER_DIRS"
FOLD_COLUMN = "fold"


def parse_score(text: str) -> float | None:
    """The last `Final Validation Performance: X` in `text` (MLE-STAR's convention), or None."""
    matches = SCORE_PATTERN.findall(text)
    if not matches:
        return None
    return float(matches[-1])
