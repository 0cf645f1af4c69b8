"""Building and editing candidate notebooks block by block.

A block is a code cell named in its metadata. Ablations and refinements replace whole blocks,
so every change between two candidates is a set of named cell replacements (see `diff`).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Any

import nbformat
from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.notebook.contract import METADATA_KEY, PARAMETERS_BLOCK, PARAMETERS_TAG


@dataclass(frozen=True)
class Block:
    name: str
    kind: str
    source: str


def new_notebook(
    blocks: list[Block], parameters: dict[str, Any], metadata: dict[str, Any] | None = None
) -> NotebookNode:
    """A candidate: a title cell, the `parameters` cell, then one code cell per block."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = dict(metadata or {})
    title = nb.metadata[METADATA_KEY].get("title")
    if title:
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
    nb.cells.append(_parameters_cell(parameters))
    for block in blocks:
        nb.cells.append(_block_cell(block))
    return nb


def _parameters_cell(parameters: dict[str, Any]) -> NotebookNode:
    lines = [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = [PARAMETERS_TAG]
    cell.metadata[METADATA_KEY] = {"block": PARAMETERS_BLOCK, "kind": PARAMETERS_BLOCK}
    return cell


def _block_cell(block: Block) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(block.source.strip("\n"))
    cell.metadata[METADATA_KEY] = {"block": block.name, "kind": block.kind}
    return cell


def block_name(cell: NotebookNode) -> str | None:
    """The block a cell holds, or None for cells that are not blocks (markdown, injected parameters)."""
    return cell.get("metadata", {}).get(METADATA_KEY, {}).get("block")


def blocks(nb: NotebookNode) -> list[Block]:
    """The named code blocks in notebook order, the parameters cell excluded."""
    found = []
    for cell in nb.cells:
        name = block_name(cell)
        if cell.cell_type == "code" and name and name != PARAMETERS_BLOCK:
            kind = cell.metadata[METADATA_KEY].get("kind", name)
            found.append(Block(name=name, kind=kind, source=cell.source))
    return found


def get_block(nb: NotebookNode, name: str) -> Block:
    for block in blocks(nb):
        if block.name == name:
            return block
    raise KeyError(f"notebook has no block named {name!r}; blocks: {[b.name for b in blocks(nb)]}")


def replace_block(nb: NotebookNode, name: str, source: str) -> NotebookNode:
    """A copy of `nb` with block `name` rewritten; outputs of every cell are cleared."""
    new = clean_copy(nb)
    for cell in new.cells:
        if block_name(cell) == name and cell.cell_type == "code":
            cell.source = source.strip("\n")
            return new
    raise KeyError(f"notebook has no block named {name!r}; blocks: {[b.name for b in blocks(nb)]}")


def block_of_cell(nb: NotebookNode, cell_index: int | None) -> str | None:
    """The block at `cell_index` of an executed notebook (injected cells count), or None."""
    if cell_index is None or not 0 <= cell_index < len(nb.cells):
        return None
    return block_name(nb.cells[cell_index])


def parameters(nb: NotebookNode) -> dict[str, Any]:
    """The default parameter values of the `parameters` cell (literals only)."""
    for cell in nb.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            values: dict[str, Any] = {}
            for node in safe_ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
            return values
    return {}


def set_parameters(nb: NotebookNode, values: dict[str, Any]) -> NotebookNode:
    """A copy with the `parameters` cell's defaults replaced (names not present are added)."""
    new = clean_copy(nb)
    merged = {**parameters(nb), **values}
    for index, cell in enumerate(new.cells):
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            new.cells[index] = _parameters_cell(merged)
            return new
    new.cells.insert(0, _parameters_cell(merged))
    return new


def notebook_metadata(nb: NotebookNode) -> dict[str, Any]:
    return dict(nb.metadata.get(METADATA_KEY, {}))


def with_metadata(nb: NotebookNode, **values: Any) -> NotebookNode:
    new = clean_copy(nb)
    new.metadata[METADATA_KEY] = {**notebook_metadata(nb), **values}
    return new


def code(nb: NotebookNode) -> str:
    """All code of the notebook (parameters cell included), as one program."""
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def clean_copy(nb: NotebookNode) -> NotebookNode:
    """A deep copy without outputs, execution counts or papermill's injected cells."""
    new = copy.deepcopy(nb)
    new.cells = [c for c in new.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for cell in new.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    new.metadata.pop("papermill", None)
    return new


def read(path: str) -> NotebookNode:
    return nbformat.read(path, as_version=4)
