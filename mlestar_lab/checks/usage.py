"""Data-usage checker: every provided file is read or consciously skipped.

MLE-STAR's finding is that agents quietly ignore auxiliary files that carry signal. This check
is static and deliberately simple: a file counts as read when the code names it (its path
relative to DATA_DIR, its file name, its stem as a word of a string literal, its folder, or a
glob pattern that matches it). A solution can skip a file on purpose by saying so in a comment,
`# mlestar: skip extra/stores.csv — no key shared with train`, and a column with
`# mlestar: skip column <name> — <reason>`; both become `info` findings, so the reason is
recorded with the step. Columns dropped by literal name (`drop(columns=[...])`) are listed as
skipped too. A column that is never mentioned is fine: models use every column by default.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.checks.source import CodeCell, code_cells
from mlestar_lab.store.models import Finding
from mlestar_lab.task.model import FileInfo, Task

CHECKER = "data_usage"
_SKIP = re.compile(
    r"#\s*mlestar:\s*skip\s+(?:(?P<column>column)\s+)?(?P<name>\S+)\s*(?:[—–:]+|-{1,2}\s)?\s*(?P<reason>.*)$"
)
_FOLDER_GROUP = 5  # a folder of this many files is read, skipped and reported as a whole
_MIN_STEM = 3  # shorter stems ("a" of a.csv) are words of too many unrelated strings


@dataclass(frozen=True)
class _Skip:
    name: str
    column: bool
    reason: str
    block: str | None
    line: int


def check_data_usage(nb_or_code: NotebookNode | str, task: Task) -> list[Finding]:
    """Findings for files never read, and `info` records of files and columns skipped on purpose."""
    cells = code_cells(nb_or_code)
    code, strings, skips = [], [], []
    for cell in cells:
        cell_code, comments = _split_comments(cell.source)
        code.append(cell_code)
        strings.extend(_string_literals(cell.source))
        skips.extend(_skips(cell, comments))
    text = "\n".join(code)
    files = [f for f in task.files if PurePosixPath(f.path).name.lower() != "description.md"]
    findings = [_skip_finding(s, files) for s in skips]
    declared = [s for s in skips if not s.column]
    sizes = Counter(str(p) for f in files for p in PurePosixPath(f.path).parents if str(p) != ".")
    bulk = {folder for folder, size in sizes.items() if size >= _FOLDER_GROUP}
    unread = [
        f
        for f in files
        if not _read(f.path, text, strings, bulk) and not any(_covers(s.name, f.path) for s in declared)
    ]
    findings += _unread_findings(unread, task)
    findings += _dropped_columns(cells, task)
    return findings


def _split_comments(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The source without its comments, and the comments with their line numbers."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        lines = enumerate(source.splitlines(), 1)
        comments = [(n, m.group(0)) for n, line in lines if (m := re.search(r"#.*", line))]
        return re.sub(r"#[^\n]*", "", source), comments
    comments = [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT]
    lines = source.splitlines(keepends=True)
    for number, comment in reversed(comments):
        line = lines[number - 1]
        at = line.rindex(comment)
        lines[number - 1] = line[:at] + line[at + len(comment) :]
    return "".join(lines), comments


def _string_literals(source: str) -> list[str]:
    try:
        tree = safe_ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return re.findall(r"""["']([^"'\n]*)["']""", source)
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _skips(cell: CodeCell, comments: list[tuple[int, str]]) -> list[_Skip]:
    found = []
    for line, comment in comments:
        match = _SKIP.search(comment)
        if match:
            reason = match.group("reason").strip()
            name = match.group("name").rstrip(":;,")
            found.append(_Skip(name, bool(match.group("column")), reason, cell.block, line))
    return found


def _covers(declared: str, path: str) -> bool:
    """Does a skip declaration name this file: its path, its file name, or a folder holding it?"""
    declared = declared.strip("`'\"").rstrip("/")
    pure = PurePosixPath(path)
    return declared in {path, pure.name} or any(declared == str(p) for p in pure.parents if str(p) != ".")


def _read(path: str, code: str, strings: list[str], bulk: set[str]) -> bool:
    pure = PurePosixPath(path)
    if any(re.search(rf"(?<![\w.-]){re.escape(name)}", code) for name in (path, pure.name)):
        return True
    # A folder of many files counts as read when a string names the folder itself ("images/",
    # f"{DATA_DIR}/images/{name}"), not another file inside it ("images/0.png"). Files of small
    # folders (a few tables) must each be named.
    folders = [str(p) for p in pure.parents if str(p) in bulk]
    patterns = [re.compile(rf"(?<![\w.-]){re.escape(f)}/?(?![\w./-])") for f in folders]
    if len(pure.stem) >= _MIN_STEM:
        patterns.append(re.compile(rf"(?<![A-Za-z0-9_]){re.escape(pure.stem)}(?![A-Za-z0-9_])"))
    for literal in strings:
        if any(p.search(literal) for p in patterns):
            return True
        if any(ch in literal for ch in "*?[") and any(
            fnmatch.fnmatch(candidate, pattern)
            for pattern in {literal, PurePosixPath(literal).name}
            for candidate in (path, pure.name)
        ):
            return True
    return False


def _skip_finding(skip: _Skip, files: list[FileInfo]) -> Finding:
    reason = skip.reason or "no reason given"
    if skip.column:
        message = f"column {skip.name} skipped on purpose: {reason}"
    elif any(_covers(skip.name, f.path) for f in files):
        message = f"{skip.name} skipped on purpose: {reason}"
    else:
        known = ", ".join(f.path for f in files[:8]) + (", …" if len(files) > 8 else "")
        message = f"`# mlestar: skip {skip.name}` names no file of the task (files: {known})"
        return Finding(checker=CHECKER, severity="warning", message=message, block=skip.block, line=skip.line)
    return Finding(checker=CHECKER, severity="info", message=message, block=skip.block, line=skip.line)


def _unread_findings(unread: list[FileInfo], task: Task) -> list[Finding]:
    by_folder: dict[str, list[str]] = defaultdict(list)
    for info in unread:
        by_folder[str(PurePosixPath(info.path).parent)].append(info.path)
    findings = []
    for folder, paths in sorted(by_folder.items()):
        if folder != "." and len(paths) >= _FOLDER_GROUP:
            message = (
                f"{folder}/ ({len(paths)} files) is never read — use its files or state why they are skipped "
                f"(`# mlestar: skip {folder}/ — <reason>`)"
            )
            findings.append(Finding(checker=CHECKER, severity="warning", message=message))
            continue
        for path in paths:
            findings.append(Finding(checker=CHECKER, severity="warning", message=_unread_message(path, task)))
    return findings


def _unread_message(path: str, task: Task) -> str:
    if path == task.train_file:
        return f"{path} is never read — a solution must train on it"
    if path == task.test_file:
        return f"{path} is never read — a solution must predict its rows"
    if path == task.sample_submission_file:
        return f"{path} is never read — read it to write the submission in its format (columns, row order)"
    return (
        f"{path} is never read — join it on a shared key or state why it is skipped "
        f"(`# mlestar: skip {path} — <reason>`)"
    )


def _dropped_columns(cells: list[CodeCell], task: Task) -> list[Finding]:
    train_columns = {c.name for c in task.columns}
    train_columns |= {c for f in task.files if f.path == task.train_file for c in f.columns or []}
    train_columns -= {task.target, task.id_column}
    findings = []
    for cell in cells:
        try:
            tree = safe_ast.parse(cell.source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            names = [n for n in _drop_names(node) if n in train_columns]
            if names:
                listed = ", ".join(dict.fromkeys(names))
                findings.append(
                    Finding(
                        checker=CHECKER,
                        severity="info",
                        message=f"train columns dropped on purpose: {listed}",
                        block=cell.block,
                        line=getattr(node, "lineno", None),
                    )
                )
    return findings


def _drop_names(node: ast.AST) -> list[str]:
    """Literal names of `x.drop(columns=[...])`, `x.drop([...], axis=1)`, `x.drop(labels=..., axis=1)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "drop"):
        return []
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    axis = keywords.get("axis")
    by_columns = isinstance(axis, ast.Constant) and axis.value in (1, "columns")
    chosen = keywords.get("columns")
    if chosen is None and by_columns:
        chosen = keywords.get("labels", node.args[0] if node.args else None)
    return _literal_strings(chosen) if chosen is not None else []


def _literal_strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []
