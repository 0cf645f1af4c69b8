"""Reading what an executed notebook left behind, including a partial one.

Both the worker (after papermill returns) and the parent (after it killed the worker) need the
same facts from the output folder: which cell was running, what was printed, which result files
exist. papermill saves the notebook when each cell starts and ends, so even after a timeout the
saved copy says which cell was running.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlestar_lab.executor.models import LOG_FILE
from mlestar_lab.notebook.candidate import block_of_cell
from mlestar_lab.notebook.contract import (
    EXECUTED_NOTEBOOK,
    OOF_FILE,
    SUBMISSION_FILE,
    TEST_PREDICTIONS_FILE,
)

STDOUT_TAIL_CHARS = 4000
_LOG_TAIL_LINES = 3
_LOG_TAIL_CHARS = 600
# papermill inserts these markdown cells around a failing cell *after* computing the cell index
# it reports, so they are removed before any index is looked up.
_ERROR_MARKER_TAG = "papermill-error-cell-tag"
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class CellLocation:
    """A cell of the executed notebook: its index (papermill's injected cell counts) and block."""

    index: int
    block: str | None

    def describe(self) -> str:
        if self.block:
            return f"block {self.block!r} (cell {self.index})"
        return f"cell {self.index}"


@dataclass(frozen=True)
class Artifacts:
    executed_notebook: str | None
    submission_path: str | None
    oof_path: str | None
    test_predictions_path: str | None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def executed_path(output_dir: str | Path) -> Path:
    return Path(output_dir) / EXECUTED_NOTEBOOK


def read_executed(output_dir: str | Path) -> NotebookNode | None:
    """The executed notebook without papermill's error markers, or None if absent or half written.

    A kill can land while papermill rewrites the file; such a copy is simply not evidence.
    """
    path = executed_path(output_dir)
    if not path.is_file():
        return None
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None
    nb.cells = [
        cell for cell in nb.cells if _ERROR_MARKER_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    return nb


def locate(nb: NotebookNode | None, cell_index: int | None) -> CellLocation | None:
    if nb is None or cell_index is None:
        return None
    return CellLocation(index=cell_index, block=block_of_cell(nb, cell_index))


def last_started_cell(nb: NotebookNode | None) -> CellLocation | None:
    """The last cell papermill had started when it last saved the notebook.

    After a kill this is the cell that was running; after a dead kernel too, although papermill
    has by then marked that cell "completed".
    """
    if nb is None:
        return None
    started = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return locate(nb, started[-1]) if started else None


def stdout_text(nb: NotebookNode | None) -> str:
    """Everything the code cells printed to stdout, in cell order."""
    if nb is None:
        return ""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                parts.append(output.get("text", ""))
    return "".join(parts)


def tail(text: str, chars: int = STDOUT_TAIL_CHARS) -> str:
    return text[-chars:]


def find_artifacts(output_dir: str | Path) -> Artifacts:
    folder = Path(output_dir)

    def existing(name: str) -> str | None:
        path = folder / name
        return str(path) if path.is_file() else None

    return Artifacts(
        executed_notebook=existing(EXECUTED_NOTEBOOK),
        submission_path=existing(SUBMISSION_FILE),
        oof_path=existing(OOF_FILE),
        test_predictions_path=existing(TEST_PREDICTIONS_FILE),
    )


def log_tail(output_dir: str | Path) -> str:
    """The last lines of the worker's log on one line: where a crash outside any cell shows up."""
    try:
        text = (Path(output_dir) / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-_LOG_TAIL_LINES:])[-_LOG_TAIL_CHARS:] or "(empty log)"
