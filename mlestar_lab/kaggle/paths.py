"""Rewriting path literals between Kaggle's layout and the candidate contract's parameters.

On Kaggle a notebook reads `/kaggle/input/<competition>/...` (older ones `../input/<competition>`,
newer mounts `/kaggle/input/competitions/<competition>`) and writes to `/kaggle/working`. A
candidate reads `DATA_DIR` and writes `OUTPUT_DIR`. Only string literals are rewritten, found with
the tokenizer (never a regex over code), so comments and identifiers are left alone; an f-string
keeps its placeholders.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

from mlestar_lab.notebook.contract import PARAM_DATA_DIR, PARAM_OUTPUT_DIR

KAGGLE_INPUT = "/kaggle/input"
KAGGLE_WORKING = "/kaggle/working"
_INPUT_ROOTS = ("/kaggle/input/competitions", "/kaggle/input", "../input")
_PREFIX = re.compile(r"^([A-Za-z]*)('''|\"\"\"|'|\")", re.S)
_MAGIC_LINE = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class Rewrite:
    """One literal changed: where, from what, to what (shown to the user after an import)."""

    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Target:
    """Where a recognised literal now points: a variable (`DATA_DIR`) or a plain path, plus the rest."""

    rest: str
    variable: str | None = None
    path: str | None = None


# Maps a literal's text to its new target when it should be rewritten, else None.
Mapper = Callable[[str], "Target | None"]


def rewrite_literals(source: str, mapper: Mapper) -> tuple[str, list[Rewrite]]:
    """`source` with every string literal that `mapper` recognises rewritten to use its variable."""
    lines = source.splitlines(keepends=True)
    blanked = "".join(
        " " * len(line.rstrip("\n")) + "\n" if _MAGIC_LINE.match(line) else line for line in lines
    )
    edits: list[tuple[tuple[int, int], tuple[int, int], str, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(blanked).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source, []
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        new = _rewritten(token.string, mapper)
        if new is not None:
            edits.append((token.start, token.end, token.string, new))
    if not edits:
        return source, []
    for (row, col), (end_row, end_col), _, new in reversed(edits):
        if row != end_row:
            continue
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end_col:]
    return "".join(lines), [Rewrite(s[0], old, new) for s, e, old, new in edits if s[0] == e[0]]


def _rewritten(literal: str, mapper: Mapper) -> str | None:
    match = _PREFIX.match(literal)
    if match is None:
        return None
    prefix, quote = match.group(1), match.group(2)
    if "b" in prefix.lower():
        return None
    body = literal[len(prefix) + len(quote) : -len(quote)]
    target = mapper(body)
    if target is None:
        return None
    if target.variable is None:
        return f"{prefix}{quote}{target.path}{target.rest}{quote}"
    if not target.rest and "f" not in prefix.lower():
        return target.variable
    rest = target.rest
    if "f" not in prefix.lower():
        rest = rest.replace("{", "{{").replace("}", "}}")
        prefix += "f"
    return f"{prefix}{quote}{{{target.variable}}}{rest}{quote}"


def kaggle_to_local(competitions: set[str], unknown: set[str]) -> Mapper:
    """Kaggle paths of `competitions` → DATA_DIR, `/kaggle/working` → OUTPUT_DIR.

    Inputs under another name (a dataset, another competition) are collected in `unknown`: the
    task folder does not have them, so the import must say so rather than run into a missing file.
    """

    def mapper(body: str) -> Target | None:
        if body == KAGGLE_WORKING or body.startswith(KAGGLE_WORKING + "/"):
            return Target(rest=body[len(KAGGLE_WORKING) :], variable=PARAM_OUTPUT_DIR)
        for root in _INPUT_ROOTS:
            if body.rstrip("/") == root:
                return Target(rest=body[len(root) :], variable=PARAM_DATA_DIR)
            if body.startswith(root + "/"):
                name, _, rest = body[len(root) + 1 :].partition("/")
                if name == "competitions" and root == KAGGLE_INPUT:
                    continue
                if name in competitions:
                    tail = "/" + rest if rest or body.endswith(name + "/") else ""
                    return Target(rest=tail, variable=PARAM_DATA_DIR)
                unknown.add(f"{root}/{name}")
                return None
        return None

    return mapper


def local_to_kaggle(task_root: str, competition: str) -> Mapper:
    """Literal paths under the local task folder → the competition's folder on Kaggle."""
    root = task_root.rstrip("/")
    target = f"{KAGGLE_INPUT}/{competition}"

    def mapper(body: str) -> Target | None:
        if root and (body == root or body.startswith(root + "/")):
            return Target(rest=body[len(root) :], path=target)
        return None

    return mapper
