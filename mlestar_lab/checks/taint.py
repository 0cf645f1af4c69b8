"""Vocabulary of the leakage checker's taint analysis: what is test data, what only describes it.

A value is *tainted* when it holds test rows (`kind="test"`) or a mix of train and test rows
(`kind="mixed"`). These helpers decide, from names and syntax alone, where taint starts, where
it stops (`test.columns` describes test data but holds none of its rows) and which row
selections of a mixed frame give back its training rows. They err towards "not tainted" for
metadata and towards "uncertain" (a warning, not an error) where the rows cannot be known.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from mlestar_lab import safe_ast

TaintKind = Literal["test", "mixed"]


@dataclass(frozen=True)
class Taint:
    kind: TaintKind
    origin: str  # e.g. "rows read from 'test.csv' (block 'load', line 3)"
    certain: bool = True


def combine(taints: list[Taint | None]) -> Taint | None:
    """The taint of a value built from several: certain test rows first, then any certain taint."""
    present = [t for t in taints if t is not None]
    for wanted in (lambda t: t.certain and t.kind == "test", lambda t: t.certain, lambda t: True):
        for taint in present:
            if wanted(taint):
                return taint
    return None


def unpacked(element: ast.expr, taint: Taint | None) -> Taint | None:
    """The taint of one name of `train, test = f(train, test)`: the names say which is which."""
    name = root_name(element) or ""
    if taint is None or not name:
        return taint
    if is_test_name(name):
        return Taint("test", taint.origin, taint.certain)
    if is_train_name(name):
        return None if taint.kind == "test" else Taint("mixed", taint.origin, certain=False)
    return taint


# Methods and functions that fit something to the rows they are given.
FIT_METHODS = frozenset({"fit", "fit_transform", "fit_resample", "fit_predict", "partial_fit", "fit_sample"})
FIT_FUNCTIONS = frozenset({"cross_val_score", "cross_val_predict", "cross_validate", "learning_curve"})
BOOSTING_MODULES = frozenset({"lgb", "lightgbm", "xgb", "xgboost", "cb", "catboost"})
BOOSTING_TRAIN = frozenset({"train", "cv"})
# Early-stopping sets: passing a holdout there is standard practice, and Kaggle test rows
# have no labels, so what is passed there cannot be the test set.
EVAL_KEYWORDS = frozenset({"eval_set", "valid_sets", "evals", "validation_data", "eval_names", "callbacks"})

# Row-wise (concat-like) and column-wise (merge-like) combinations of frames.
CONCAT_FUNCTIONS = frozenset({"concat", "vstack", "concatenate", "row_stack", "append"})
MERGE_METHODS = frozenset({"merge", "join", "combine_first"})

# Attributes and calls that describe data without carrying its rows.
META_ATTRIBUTES = frozenset({"columns", "shape", "dtypes", "dtype", "ndim", "size", "index", "name", "names"})
META_FUNCTIONS = frozenset({"len", "print", "isinstance", "type", "id", "hasattr", "display"})

# Folder names that hold test data; any other folder (`/home/me/contest`, a pytest tmp dir
# `test_something0`) says nothing about the rows of the files inside it.
_TEST_FOLDERS = frozenset({"test", "tests", "test_images", "test_data", "testset", "test_set", "tst"})
_PATH_LIKE = re.compile(
    r"[/\\]|\.(?:csv|tsv|txt|parquet|pq|feather|json|jsonl|pkl|pickle|npy|npz|h5|hdf5|xlsx?|zip|gz|arrow)\b",
    re.IGNORECASE,
)
_NAME_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[a-z]+")
_TARGET_NAME = re.compile(r"(?:y|target|targets|label|labels)(?:_(?:train|trn|tr|all|full|col|column|name))?")


def name_parts(name: str) -> list[str]:
    """`X_test` → ['x', 'test']; `testDF` → ['test', 'df']; `Xtest` → ['xtest']."""
    return [p.lower() for chunk in re.split(r"[_\d]+", name) for p in _NAME_PARTS.findall(chunk)]


def is_test_name(name: str) -> bool:
    """A name that says it holds test data: `test`, `X_test`, `df_test`, `dtest`, `testset`.

    Short prefixes/suffixes only, so `latest`, `contest` or `fastest` are not test data.
    """
    for part in name_parts(name):
        if part in {"test", "tests", "tst"}:
            return True
        if (part.endswith("test") and len(part) <= 5) or (part.startswith("test") and len(part) <= 8):
            return True
    return False


def is_train_name(name: str) -> bool:
    return any(p in {"train", "trn", "tr", "training"} for p in name_parts(name))


def is_validation_name(name: str) -> bool:
    return any(p in {"val", "valid", "validation", "va", "vl", "holdout"} for p in name_parts(name))


def is_target_name(name: str) -> bool:
    return _TARGET_NAME.fullmatch(name.lower()) is not None


def is_test_path(text: str, test_file_names: frozenset[str]) -> bool:
    """A string that names the test file: the task's test file name, or a path with a test part."""
    for name in test_file_names:
        if name and re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}", text, re.IGNORECASE):
            return True
    if not _PATH_LIKE.search(text):
        return False
    *folders, last = re.split(r"[/\\]", text)
    if any(folder.lower() in _TEST_FOLDERS for folder in folders):
        return True
    return any(is_test_name(p) for p in re.split(r"[^A-Za-z0-9_]+", last) if p)


def call_name(node: ast.Call) -> tuple[ast.expr | None, str]:
    """(receiver, name) of a call: `pd.concat(x)` → (pd, 'concat'); `len(x)` → (None, 'len')."""
    if isinstance(node.func, ast.Attribute):
        return node.func.value, node.func.attr
    if isinstance(node.func, ast.Name):
        return None, node.func.id
    return None, ""


def root_name(node: ast.AST) -> str | None:
    """The variable an access chain starts from: `X_val.iloc[idx]` → 'X_val'."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def path_or_string(node: ast.expr) -> bool:
    """A receiver whose `.join` joins text, not frames: `os.path`, `"/"`, `str`."""
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return True
    return root_name(node) in {"os", "posixpath", "ntpath", "str"} or (
        isinstance(node, ast.Attribute) and node.attr == "path"
    )


def clean_source(node: ast.AST | None) -> bool:
    """A value whose rows cannot come from anywhere: a literal or a constructor call.

    Used so `test_scaler = StandardScaler()` is not test data just because of its name.
    """
    if node is None:
        return False
    if isinstance(node, (ast.Constant, ast.Lambda)):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(clean_source(e) for e in node.elts)
    if isinstance(node, ast.Call):
        _, name = call_name(node)
        return name[:1].isupper()
    return False


def mentions(node: ast.AST, target: str | None, names: bool = True) -> bool:
    """Does `node` mention the target: its column name as a string, or a target-like variable?"""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and target and sub.value == target:
            return True
        if isinstance(sub, ast.Attribute) and target and sub.attr == target:
            return True
        if names and isinstance(sub, ast.Name) and is_target_name(sub.id):
            return True
    return False


# "all": every row is kept (a column selection); "unknown": rows are filtered in a way the
# code does not reveal.
Selection = Literal["all", "train", "test", "unknown"]


def row_selection(node: ast.AST, target: str | None) -> Selection:
    """Which rows a subscript of a train+test frame keeps.

    `all_df[:n_train]`, `all_df[all_df.is_train == 1]` or `all_df[all_df[target].notna()]` keep
    the training rows; `all_df[n_train:]`, `all_df[all_df.is_train == 0]` or a mask mentioning
    test keep test rows; a string, a list of strings or a column-list variable selects columns
    and keeps every row.
    """
    if isinstance(node, ast.Tuple) and node.elts:
        node = node.elts[0]
    if isinstance(node, ast.Slice):
        if node.lower is None:
            return "all" if node.upper is None else "train"
        return "test" if node.upper is None else "unknown"
    if isinstance(node, ast.Constant):
        return "all"
    if isinstance(node, ast.Name):
        return _named_selection(node.id)
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts):
        return "all"
    return _mask_selection(node, target)


def _mask_selection(node: ast.AST, target: str | None) -> Selection:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
        return _flip(_mask_selection(node.operand, target))
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.Eq, ast.NotEq))
        and isinstance(node.comparators[0], ast.Constant)
    ):
        value = node.comparators[0].value
        if isinstance(value, str):
            side = words_selection(value)
        else:
            side = _mask_selection(node.left, target)
            side = side if value else _flip(side)
        return _flip(side) if isinstance(node.ops[0], ast.NotEq) else side
    words = _words(node)
    if mentions(node, target, names=False) or any(is_target_name(w) for w in words):
        if any(w in {"notna", "notnull"} for w in words):
            return "train"
        if any(w in {"isna", "isnull"} for w in words):
            return "test"
    if any(is_test_name(w) for w in words):
        return "test"
    return "train" if any(is_train_name(w) for w in words) else "unknown"


def _flip(selection: Selection) -> Selection:
    if selection == "train":
        return "test"
    return "train" if selection == "test" else selection


def _named_selection(name: str) -> Selection:
    parts = name_parts(name)
    if is_test_name(name):
        return "test"
    if is_train_name(name):
        return "train"
    if any(p in {"cols", "columns", "features", "feats", "feature", "vars", "fields"} for p in parts):
        return "all"
    return "unknown"


def words_selection(text: str) -> Selection:
    """The rows a label such as `"train"` or `"test_part"` stands for."""
    words = [w for w in re.split(r"[^A-Za-z0-9_]+", text) if w]
    if any(is_test_name(w) for w in words):
        return "test"
    return "train" if any(is_train_name(w) for w in words) else "unknown"


def query_selection(text: str, target: str | None) -> Selection:
    """The rows `frame.query(text)` keeps: `"is_train == 1"`, `"split != 'test'"` …"""
    try:
        mask = safe_ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return words_selection(text)
    return _mask_selection(mask, target)


def _words(node: ast.AST) -> list[str]:
    words: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            words.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            words.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            words.append(sub.value)
    return words


def fold_loop(node: ast.For | ast.AsyncFor) -> bool:
    """A loop over cross-validation folds (`for fold, (tr, va) in enumerate(kf.split(X))`)."""
    text = f"{ast.unparse(node.target)} in {ast.unparse(node.iter)}".lower()
    return re.search(r"fold|\.split\(|\b[sg]?kf\b|\bcv\b|idx|index", text) is not None
