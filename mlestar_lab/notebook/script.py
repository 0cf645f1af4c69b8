"""Candidates as percent-format scripts (jupytext): what an LLM reads and writes.

Block names travel as cell metadata (`# %% {"mlestar": {...}}` headers), so a script converted
back to a notebook keeps its named blocks and its `parameters` tag.
"""

from __future__ import annotations

import jupytext
from nbformat import NotebookNode

from mlestar_lab.notebook.candidate import clean_copy


def to_script(nb: NotebookNode) -> str:
    return jupytext.writes(clean_copy(nb), fmt="py:percent")


def from_script(text: str) -> NotebookNode:
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    return nb
