"""The `setup` and `load_data` blocks: constants, the task metric, data, folds and the target.

The metric is embedded as the exact source from `mlestar_lab.task.metrics`, so a notebook scores
itself with the very code the agent uses to verify it, and runs on Kaggle without this package.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from mlestar_lab.strategist.offline.render.outputs import PREDICTION_COLUMNS
from mlestar_lab.strategist.offline.render.text import py, section
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
MAX_LISTED_SKIPS = 20


@dataclass(frozen=True)
class AuxTable:
    """An auxiliary file and what the load block does with it: join on `key`, or skip for `reason`."""

    path: str
    key: str | None
    reason: str = ""


def render_setup(task: Task) -> str:
    metric = get_metric(task.metric)
    constants = [
        f"TASK_TYPE = {py(task.task_type)}",
        f"METRIC = {py(metric.name)}",
        f"HIGHER_IS_BETTER = {py(metric.higher_is_better)}",
        f"TARGET = {py(task.target)}",
        f"ID_COLUMN = {py(task.id_column)}",
        f"CLASSES = {py(task.classes)}",
        f"SUBMISSION_COLUMNS = {py(task.submission_columns)}",
        f"TRAIN_FILE = {py(task.train_file)}",
        f"TEST_FILE = {py(task.test_file)}",
        f"SAMPLE_SUBMISSION_FILE = {py(task.sample_submission_file)}",
        f"N_FOLDS = {task.n_folds}",
        f"GROUP_COLUMN = {py(task.group_column)}",
    ]
    return section(
        "import json\nimport time\nfrom pathlib import Path\n\nimport numpy as np\nimport pandas as pd",
        f"# The competition metric ({metric.title}), exactly as the agent scores it.\n"
        + metric.source.strip(),
        "\n".join(constants),
        "Path(OUTPUT_DIR).mkdir(parents=True, exist_ok=True)",
        '''def is_better(new, old):
    return new > old if HIGHER_IS_BETTER else new < old


def label_text(values):
    """Labels as text, whole floats without '.0', so 1, 1.0 and '1' name the same class."""
    values = pd.Series(values)
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype(str)''',
    )


def auxiliary_tables(task: Task, join: bool) -> list[AuxTable]:
    """Every auxiliary file: joined by a key it shares with train, or skipped with the reason."""
    train_columns = {c.name for c in task.columns if c.name != task.target and (c.in_test or c.kind == "id")}
    plans, others = [], defaultdict(list)
    for info in task.auxiliary_files:
        suffix = PurePosixPath(info.path).suffix.lower()
        if info.kind != "table" or suffix not in TABLE_SUFFIXES:
            others[info.kind].append(info.path)
            continue
        shared = [c for c in (info.columns or []) if c in train_columns]
        if not join:
            plans.append(AuxTable(info.path, None, "auxiliary joins are switched off in this solution"))
        elif not shared:
            plans.append(AuxTable(info.path, None, "no column shared with the training table to join on"))
        else:
            key = task.id_column if task.id_column in shared else shared[0]
            plans.append(AuxTable(info.path, key))
    for kind, paths in sorted(others.items()):
        reason = f"{kind} file, not a table this tabular solution can join"
        if len(paths) <= MAX_LISTED_SKIPS:
            plans.extend(AuxTable(p, None, reason) for p in sorted(paths))
        else:
            folders = sorted({str(PurePosixPath(p).parent) for p in paths})
            plans.extend(
                AuxTable(f"{folder}/", None, f"{len(paths)} {kind} files, not tables") for folder in folders
            )
    return plans


def render_load(task: Task, join_auxiliary: bool) -> str:
    parts = [
        """data_dir = Path(DATA_DIR)
train = pd.read_csv(data_dir / TRAIN_FILE)
test = pd.read_csv(data_dir / TEST_FILE)
sample_submission = pd.read_csv(data_dir / SAMPLE_SUBMISSION_FILE)
unlabeled = train[TARGET].isna()
if unlabeled.any():
    print(f"dropping {int(unlabeled.sum())} training rows without a target")
    train = train[~unlabeled].reset_index(drop=True)"""
    ]
    tables = auxiliary_tables(task, join_auxiliary)
    if tables:
        parts.append(_render_auxiliary(tables))
    skipped_columns = [
        c.name for c in task.columns if not c.in_test and c.name not in (task.target, task.id_column)
    ]
    if skipped_columns:
        parts.append(
            "\n".join(f"# mlestar: skip column {name} — not in the test table" for name in skipped_columns)
        )
    parts += [FOLDS_CODE, render_labels(task), _FEATURES]
    return section(*parts)


def render_labels(task: Task) -> str:
    """The target in the metric's convention (0/1, class index, float) and the prediction columns."""
    return section(_LABELS.replace("CLASSES_LINE", _classes_line(task)), PREDICTION_COLUMNS)


def _classes_line(task: Task) -> str:
    if task.task_type == "regression" or task.classes:
        return ""
    return "    CLASSES = sorted(label_text(train[TARGET]).unique())\n"


def _render_auxiliary(tables: list[AuxTable]) -> str:
    lines = []
    joins = [t for t in tables if t.key is not None]
    if joins:
        lines.append(_JOIN_HELPERS)
        for table in joins:
            prefix = PurePosixPath(table.path).stem
            lines.append(
                f"train, test = join_table(train, test, read_table(data_dir / {py(table.path)}), "
                f"{py(table.key)}, {py(prefix)})"
            )
    lines.extend(f"# mlestar: skip {t.path} — {t.reason}" for t in tables if t.key is None)
    return "\n".join(lines)


_JOIN_HELPERS = '''def read_table(path):
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep="\\t" if path.suffix == ".tsv" else ",")


def join_table(train, test, table, key, prefix):
    """Left-join an auxiliary table on `key`; when the key repeats, numerics are averaged per key."""
    table = table.drop(columns=[TARGET], errors="ignore")
    table = table.rename(columns={c: f"{prefix}__{c}" for c in table.columns if c != key})
    if not table[key].is_unique:
        numeric = [c for c in table.columns if c != key and pd.api.types.is_numeric_dtype(table[c])]
        rows = table.groupby(key).size().rename(f"{prefix}__rows")
        table = table.groupby(key)[numeric].mean().join(rows).reset_index()
    if table[key].dtype != train[key].dtype:
        table[key] = label_text(table[key])
        train = train.assign(**{key: label_text(train[key])})
        test = test.assign(**{key: label_text(test[key])})
    return train.merge(table, on=key, how="left"), test.merge(table, on=key, how="left")

'''

FOLDS_CODE = '''def fold_assignment():
    """The run's fixed folds aligned to train by id; built here only when FOLDS_FILE is absent."""
    if Path(FOLDS_FILE).exists():
        table = pd.read_csv(FOLDS_FILE)
        fold_of = dict(zip(label_text(table[ID_COLUMN]), table["fold"]))
        assigned = label_text(train[ID_COLUMN]).map(fold_of)
        if assigned.isna().any():
            raise ValueError(f"{FOLDS_FILE} has no fold for {int(assigned.isna().sum())} training rows")
        return assigned.astype(int).to_numpy()
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    print(f"{FOLDS_FILE} not found: building {N_FOLDS} folds with seed {SEED}")
    groups = train[GROUP_COLUMN] if GROUP_COLUMN else None
    if GROUP_COLUMN:
        splitter = GroupKFold(N_FOLDS)
    elif TASK_TYPE == "regression":
        splitter = KFold(N_FOLDS, shuffle=True, random_state=SEED)
    else:
        splitter = StratifiedKFold(N_FOLDS, shuffle=True, random_state=SEED)
    assigned = np.zeros(len(train), dtype=int)
    for k, (_, rows) in enumerate(splitter.split(train, label_text(train[TARGET]), groups)):
        assigned[rows] = k
    return assigned


folds = fold_assignment()'''

_LABELS = """if TASK_TYPE == "regression":
    y = train[TARGET].astype(float).to_numpy()
else:
CLASSES_LINE    class_index = {label: k for k, label in enumerate(CLASSES)}
    y_index = label_text(train[TARGET]).map(class_index)
    if y_index.isna().any():
        unknown = sorted(set(label_text(train[TARGET])) - set(CLASSES))
        raise ValueError(f"training labels {unknown} are not among CLASSES {CLASSES}")
    y = y_index.astype(int).to_numpy()"""

_FEATURES = """FEATURES = [c for c in train.columns if c in test.columns and c not in (ID_COLUMN, TARGET)]
X = train[FEATURES]
X_test = test[FEATURES]
print(f"train {X.shape}, test {X_test.shape}, folds {np.bincount(folds).tolist()}")"""
