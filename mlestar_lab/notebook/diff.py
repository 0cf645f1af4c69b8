"""Per-block diffs between two candidates: what an ablation or a refinement changed, cell by cell."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from nbformat import NotebookNode

from mlestar_lab.notebook.candidate import blocks


@dataclass(frozen=True)
class BlockDiff:
    block: str
    change: Literal["changed", "added", "removed"]
    old: str
    new: str

    def unified(self) -> str:
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.block}",
            tofile=f"b/{self.block}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_blocks(old: NotebookNode, new: NotebookNode) -> list[BlockDiff]:
    """The blocks whose code differs, in the new notebook's order (removed blocks last)."""
    old_blocks = {b.name: b.source for b in blocks(old)}
    new_blocks = {b.name: b.source for b in blocks(new)}
    diffs = []
    for name, source in new_blocks.items():
        if name not in old_blocks:
            diffs.append(BlockDiff(name, "added", "", source))
        elif old_blocks[name].strip() != source.strip():
            diffs.append(BlockDiff(name, "changed", old_blocks[name], source))
    diffs.extend(BlockDiff(n, "removed", s, "") for n, s in old_blocks.items() if n not in new_blocks)
    return diffs


def unified_diff(old: NotebookNode, new: NotebookNode) -> str:
    """All block changes as one unified diff, each hunk headed by its block name."""
    return "".join(d.unified() for d in diff_blocks(old, new))
