"""Notebooks as the scripts a model reads and writes: one `# %% block: <name> (kind: <kind>)`
header per named block, the parameters cell left out (the agent owns it).

Replies are checked here before anything runs: headers, unique names, each block valid Python on
its own (a cell is executed alone), the contract's outputs and score line present, no parameter
redefined. Every problem is a `ReplyProblem` the repair round can send back.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import Block, blocks, new_notebook, replace_block
from mlestar_lab.strategist.llm.parse import ReplyProblem, check_syntax

HEADER = re.compile(r"^# %%\s*block:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(kind:\s*([A-Za-z_]+)\s*\))?\s*$")
PARAMETERS = (
    contract.PARAM_DATA_DIR,
    contract.PARAM_OUTPUT_DIR,
    contract.PARAM_FOLDS_FILE,
    contract.PARAM_SEED,
    contract.PARAM_N_JOBS,
    contract.PARAM_TIME_LIMIT,
    contract.PARAM_MEMBER_DIRS,
)
REQUIRED_TEXT = (
    (contract.SCORE_PREFIX, "print the score line `Final Validation Performance: <score>`"),
    (contract.SUBMISSION_FILE, f"write {contract.SUBMISSION_FILE}"),
    (contract.OOF_FILE, f"write {contract.OOF_FILE}"),
    (contract.TEST_PREDICTIONS_FILE, f"write {contract.TEST_PREDICTIONS_FILE}"),
)


def header(block: Block) -> str:
    return f"# %% block: {block.name} (kind: {block.kind})"


def to_script(nb: NotebookNode) -> str:
    return "\n\n".join(f"{header(b)}\n{b.source.strip()}" for b in blocks(nb)) + "\n"


def block_names(nb: NotebookNode) -> str:
    return ", ".join(b.name for b in blocks(nb))


def parse_blocks(code: str) -> list[Block]:
    """The blocks of a script with headers; each must compile on its own."""
    found: list[Block] = []
    name, kind, lines, preamble = None, "", [], []
    for line in code.splitlines():
        match = HEADER.match(line.strip())
        if match:
            if name is not None:
                found.append(Block(name, kind, "\n".join(lines).strip("\n")))
            name, kind, lines = match.group(1), match.group(2) or match.group(1), []
        elif name is None:
            preamble.append(line)
        else:
            lines.append(line)
    if name is not None:
        found.append(Block(name, kind, "\n".join(lines).strip("\n")))
    if not found:
        raise ReplyProblem("its script has no block header lines `# %% block: <name> (kind: <kind>)`")
    if any(line.strip() and not line.strip().startswith("#") for line in preamble):
        raise ReplyProblem("it has code before the first block header; every line must belong to a block")
    names = [b.name for b in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ReplyProblem(f"block names must be unique; repeated: {', '.join(duplicates)}")
    for block in found:
        if block.name == contract.PARAMETERS_BLOCK:
            raise ReplyProblem("the parameters cell is written by the agent; leave it out")
        if not block.source.strip():
            raise ReplyProblem(f"block {block.name} is empty")
        check_syntax(block.source, f"block {block.name}")
        _no_parameter_assignment(block)
    return found


def _no_parameter_assignment(block: Block) -> None:
    for node in ast.walk(safe_ast.parse(block.source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in PARAMETERS:
                raise ReplyProblem(
                    f"block {block.name} assigns the parameter {target.id}; parameters come from the agent"
                )


def solution_notebook(code: str, parameters: dict[str, Any], metadata: dict[str, Any]) -> NotebookNode:
    """A whole solution from a script: every block, and the contract's outputs and score line."""
    found = parse_blocks(code)
    text = "\n".join(b.source for b in found)
    missing = [why for needle, why in REQUIRED_TEXT if needle not in text]
    if missing:
        raise ReplyProblem("the solution does not " + "; does not ".join(missing))
    return new_notebook(found, parameters, metadata)


def apply_blocks(nb: NotebookNode, changed: list[Block]) -> NotebookNode:
    """`nb` with the given blocks rewritten; a block the notebook does not have is a ReplyProblem."""
    existing = {b.name for b in blocks(nb)}
    unknown = [b.name for b in changed if b.name not in existing]
    if unknown:
        raise ReplyProblem(
            f"block {', '.join(unknown)} is not in the notebook; its blocks are {block_names(nb)}"
        )
    for block in changed:
        nb = replace_block(nb, block.name, block.source)
    return nb


def replace_one(nb: NotebookNode, name: str, code: str) -> NotebookNode:
    """`nb` with block `name` rewritten by a reply that holds just that block's code (a header optional)."""
    lines = code.strip().splitlines()
    if lines and HEADER.match(lines[0].strip()):
        found = parse_blocks(code)
        if len(found) != 1 or found[0].name != name:
            raise ReplyProblem(f"it must hold the code of block {name} only")
        code = found[0].source
    check_syntax(code, f"block {name}")
    _no_parameter_assignment(Block(name, name, code))
    if name not in {b.name for b in blocks(nb)}:
        raise ReplyProblem(f"block {name} is not in the notebook; its blocks are {block_names(nb)}")
    return replace_block(nb, name, code)
