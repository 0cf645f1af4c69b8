"""The code a static checker reads: a notebook's code cells with their block names.

Checkers analyse cells one after the other (names flow from cell to cell as in a kernel) and
report every finding at a block and a line inside that block, the coordinates a user sees in
JupyterLab. IPython syntax (`%magic`, `!shell`, `%%cell magic`) is blanked, not removed, so
line numbers stay those of the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbformat import NotebookNode

from mlestar_lab.notebook.candidate import block_name

_MAGIC_LINE = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class CodeCell:
    block: str | None
    index: int | None
    source: str

    @property
    def label(self) -> str:
        """How messages name this cell: its block, else its position."""
        if self.block:
            return f"block '{self.block}'"
        return "the code" if self.index is None else f"cell {self.index}"


def code_cells(nb_or_code: NotebookNode | str) -> list[CodeCell]:
    """The code cells of a notebook (or one pseudo-cell for a plain code string), magics blanked."""
    if isinstance(nb_or_code, str):
        return [CodeCell(block=None, index=None, source=_blank_magics(nb_or_code))]
    if not hasattr(nb_or_code, "cells"):
        raise TypeError(f"expected a notebook or a code string, got {type(nb_or_code).__name__}")
    return [
        CodeCell(block=block_name(cell), index=index, source=_blank_magics(cell.source))
        for index, cell in enumerate(nb_or_code.cells)
        if cell.cell_type == "code"
    ]


def _blank_magics(source: str) -> str:
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n" * (len(lines) - 1)
    return "\n".join("" if _MAGIC_LINE.match(line) else line for line in lines)
