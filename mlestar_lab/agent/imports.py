"""Imported notebooks (e.g. `mlestar kaggle pull`) as initial candidates of the loop.

They join the candidate stage beside the retrieved families and go through the same step
runner: leakage and data-usage checks, execution, score verification, the debugger, the gates.
The notebook file lives in the run folder, so a resumed run imports exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlestar_lab.agent.context import RunContext
from mlestar_lab.errors import UserError
from mlestar_lab.notebook.candidate import clean_copy, notebook_metadata, read
from mlestar_lab.store.workspace import safe_name
from mlestar_lab.strategist.base import Draft

IMPORT_KEY = "candidate/import"


def imported_drafts(ctx: RunContext) -> list[tuple[str, Callable[[], Draft]]]:
    """(step key, draft maker) per starting notebook; a missing file stops the run with a clear message."""
    found = []
    for index, relative in enumerate(ctx.config.starting_notebooks, 1):
        path = Path(ctx.run.run_dir) / relative
        if not path.is_file() and ctx.store.step_by_key(ctx.run.id, _key(index, relative)) is None:
            raise UserError(
                f"the imported notebook {relative} is missing from {ctx.run.run_dir}; import it again"
            )
        found.append((_key(index, relative), lambda p=path: _draft(p)))
    return found


def _key(index: int, relative: str) -> str:
    return f"{IMPORT_KEY}-{index}-{safe_name(Path(relative).stem, 'notebook')}"


def _draft(path: Path) -> Draft:
    nb = read(str(path))
    meta = notebook_metadata(nb)
    title = str(meta.get("title") or f"Imported: {path.stem}")
    return Draft(
        notebook=clean_copy(nb),
        title=title,
        plan=f"{title}, run unchanged apart from its paths (see the import notes).",
        info={"imported": meta.get("source", {}), "import_notes": meta.get("import_notes", [])},
    )
