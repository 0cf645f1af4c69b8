"""A Kaggle notebook → a candidate notebook the loop can execute, check, score and refine.

What changes, and why:
- Kaggle paths become the contract's parameters (`DATA_DIR`, `OUTPUT_DIR`), so the notebook runs
  on the local task folder and writes where the executor collects outputs.
- Code cells are grouped into named blocks: consecutive code cells under one markdown heading
  form one block named after the heading (a notebook without headings keeps one block per cell),
  so ablations and refinements address "feature engineering", not "cell 17".
- Shell commands (`!pip install …`) are commented out: candidates run offline, like code
  competitions, and installing packages is not the candidate's business.
- The score: the loop ranks candidates by the printed `Final Validation Performance: <float>`.
  A notebook that prints it is imported as is. Otherwise the user names the variable holding the
  validation score (`score_variable`) and a last block prints it; guessing which number is the
  validation score is not safe, so without it the import stops and lists the likely variables.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.checks.source import code_cells
from mlestar_lab.kaggle.errors import NotebookImportError
from mlestar_lab.kaggle.paths import Mapper, kaggle_to_local, rewrite_literals
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import Block, blocks, new_notebook
from mlestar_lab.store.workspace import safe_name

SCORE_BLOCK = "score"
_HEADING = re.compile(r"^\s{0,3}#{1,3}\s+(.+?)\s*#*\s*$", re.M)
_SHELL = re.compile(r"^(\s*)(!|%pip\b|%conda\b)", re.M)
_SCORE_NAME = re.compile(r"score|auc|rmse|rmsle|mae|mse|loss|acc|f1|r2|metric|cv", re.I)
# scikit-learn metric functions → the project's metrics they compute (MSE is no metric of ours).
_SKLEARN_METRICS = {
    "roc_auc_score": ("auc",),
    "accuracy_score": ("accuracy",),
    "log_loss": ("logloss", "mlogloss"),
    "f1_score": ("f1",),
    "mean_absolute_error": ("mae",),
    "r2_score": ("r2",),
    "root_mean_squared_error": ("rmse",),
    "root_mean_squared_log_error": ("rmsle",),
    "mean_squared_error": (),
    "mean_squared_log_error": (),
}
_KINDS = (
    ("submission", re.compile(r"submission|to_csv\(")),
    ("model", re.compile(r"\.fit\(|\.train\(|lgb\.|xgb\.|catboost|Classifier\(|Regressor\(")),
    ("features", re.compile(r"fillna|get_dummies|LabelEncoder|\.map\(|\.apply\(|astype\(")),
    ("load", re.compile(r"read_csv|read_parquet|read_json")),
)


@dataclass
class ImportedNotebook:
    notebook: NotebookNode
    blocks: list[str]
    rewrites: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_notebook(
    source: NotebookNode,
    ref: str,
    competitions: set[str],
    parameters: dict[str, Any],
    score_variable: str | None = None,
    metric: str | None = None,
) -> ImportedNotebook:
    """The candidate made from Kaggle notebook `source` (`ref` = OWNER/KERNEL, for messages);
    `metric`, the competition's, lets the import warn when the score is computed with another."""
    unknown: set[str] = set()
    layout, sections, rewrites = _group(source, kaggle_to_local(competitions, unknown))
    if unknown:
        raise NotebookImportError(
            f"{ref} reads {', '.join(sorted(unknown))}, which the task folder does not have (only the "
            f"competition's data is available); download that data into the task folder and replace "
            "those paths, or import another notebook"
        )
    if not sections:
        raise NotebookImportError(f"{ref} has no code cells to import")
    names = _block_names([h for h, _ in sections])
    nb = new_notebook([], parameters, {"title": f"Imported from Kaggle: {ref}", "source": {"kaggle": ref}})
    for item in layout:
        if isinstance(item, tuple):
            index = item[1]
            code = "\n\n".join(sections[index][1])
            nb.cells.append(_block_cell(Block(names[index], _kind(code), code)))
        else:
            nb.cells.append(item)
    warnings = _check_outputs(nb)
    nb, score_warnings = _with_score(nb, ref, score_variable, metric)
    return ImportedNotebook(nb, [b.name for b in blocks(nb)], rewrites, warnings + score_warnings)


Section = tuple[str | None, list[str]]


def _group(
    source: NotebookNode, mapper: Mapper
) -> tuple[list[NotebookNode | tuple[str | None, int]], list[Section], list[str]]:
    """Markdown cells as they are, and code cells (paths rewritten, shell lines disabled) grouped
    into sections: consecutive code cells under one heading; without a heading, one per cell."""
    rewrites: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    layout: list[NotebookNode | tuple[str | None, int]] = []
    for cell in source.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.findall(cell.source)
            heading = found[-1] if found else heading
            layout.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        code, edits = rewrite_literals(cell.source, mapper)
        rewrites += [f"{e.old} → {e.new}" for e in edits]
        code = _SHELL.sub(r"\1# mlestar: shell command disabled (candidates run offline): \2", code)
        if heading is not None and sections and sections[-1][0] == heading and isinstance(layout[-1], tuple):
            sections[-1][1].append(code)
        else:
            sections.append((heading, [code]))
            layout.append((heading, len(sections) - 1))
    return layout, sections, rewrites


def _block_names(headings: list[str | None]) -> list[str]:
    names: list[str] = []
    for index, heading in enumerate(headings, 1):
        base = safe_name(heading, "cell")[:40] if heading else f"cell-{index}"
        name, n = base, 2
        while name in names or name in (contract.PARAMETERS_BLOCK, SCORE_BLOCK):
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def _kind(code: str) -> str:
    return next((kind for kind, pattern in _KINDS if pattern.search(code)), "code")


def _block_cell(block: Block) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(block.source.strip("\n"))
    cell.metadata[contract.METADATA_KEY] = {"block": block.name, "kind": block.kind}
    return cell


def _check_outputs(nb: NotebookNode) -> list[str]:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if contract.SUBMISSION_FILE not in code:
        return [
            f"the notebook never names {contract.SUBMISSION_FILE}: it can be scored, but only a solution "
            f"that writes {contract.SUBMISSION_FILE} into OUTPUT_DIR can become the submission"
        ]
    return []


def _with_score(
    nb: NotebookNode, ref: str, variable: str | None, metric: str | None
) -> tuple[NotebookNode, list[str]]:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if contract.SCORE_PREFIX in code and variable is None:
        return nb, []
    assigned = _assigned_names(nb)
    if variable is not None:
        if not variable.isidentifier():
            raise NotebookImportError(f"--score-variable {variable!r} is not a Python variable name")
        if variable not in assigned:
            known = ", ".join(_likely_scores(assigned)) or "none found"
            raise NotebookImportError(
                f"{ref} never assigns {variable!r} at the top level of a cell; variables that look like "
                f"scores: {known}"
            )
        source = f'print(f"{contract.SCORE_PREFIX} {{float({variable})}}")'
        nb.cells.append(_block_cell(Block(SCORE_BLOCK, "evaluate", source)))
        return nb, _metric_warnings(nb, variable, metric)
    likely = _likely_scores(assigned)
    hint = (
        f"it assigns {', '.join(likely[:5])}; if one of them is the validation score on the competition's "
        f"metric, import with --score-variable NAME (e.g. --score-variable {likely[0].split(' ')[0]})"
        if likely
        else "add a line that prints it after the validation"
    )
    raise NotebookImportError(
        f"{ref} never prints '{contract.SCORE_PREFIX} <float>', the validation score the agent ranks "
        f"candidates by; {hint}, or add print(f'{contract.SCORE_PREFIX} {{score}}') to the notebook"
    )


def _metric_warnings(nb: NotebookNode, variable: str, metric: str | None) -> list[str]:
    """A warning when `variable` is assigned from a scikit-learn metric other than the competition's:
    the loop would rank the notebook by a number on another scale (or in the other direction)."""
    if metric is None:
        return []
    for cell in code_cells(nb):
        try:
            tree = safe_ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in _top_level(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            if not any(isinstance(t, ast.Name) and t.id == variable for t in node.targets):
                continue
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            computes = _SKLEARN_METRICS.get(name)
            if computes is not None and metric not in computes:
                return [
                    f"{variable} is computed with {name}, but the competition is scored with {metric}; "
                    f"the loop compares it with the other candidates' {metric} scores, so score the same "
                    f"predictions with {metric} instead"
                ]
    return []


def _assigned_names(nb: NotebookNode) -> dict[str, str]:
    """Variables assigned outside functions and classes → where (block name), in notebook order."""
    found: dict[str, str] = {}
    for cell in code_cells(nb):
        try:
            tree = safe_ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in _top_level(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found[name.id] = cell.block or f"cell {cell.index}"
    return found


def _top_level(tree: ast.AST) -> list[ast.AST]:
    nodes, pending = [], list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _likely_scores(assigned: dict[str, str]) -> list[str]:
    return [f"{name} (block {where})" for name, where in assigned.items() if _SCORE_NAME.search(name)]


def parameter_defaults(task_root: str, seed: int = 42) -> dict[str, Any]:
    """The parameters cell of an imported notebook: the contract's names, local defaults."""
    return {
        contract.PARAM_DATA_DIR: task_root,
        contract.PARAM_OUTPUT_DIR: ".",
        contract.PARAM_FOLDS_FILE: "folds.csv",
        contract.PARAM_SEED: seed,
        contract.PARAM_N_JOBS: 1,
        contract.PARAM_TIME_LIMIT: 3600.0,
    }
