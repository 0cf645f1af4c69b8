"""`mlestar kaggle pull OWNER/KERNEL`: a public notebook as an initial candidate of a new run.

The kernel is fetched with the real client (`kernels_pull` with its metadata), converted by
`importer` and saved in the new run's folder; `RunConfig.starting_notebooks` makes the loop run it
beside the retrieved families. Without `--task`, the kernel's competition is downloaded (or the
folder already downloaded for it is reused).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.errors import UserError
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.download import download_competition, read_competition
from mlestar_lab.kaggle.errors import NotebookImportError
from mlestar_lab.kaggle.importer import ImportedNotebook, import_notebook, parameter_defaults
from mlestar_lab.notebook.candidate import with_metadata
from mlestar_lab.store.models import RunRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace, safe_name

IMPORTS_DIR = "imports"
METADATA_FILE = "kernel-metadata.json"


@dataclass
class PulledKernel:
    ref: str
    notebook: NotebookNode
    competitions: list[str]


@dataclass
class PullResult:
    run: RunRecord
    imported: ImportedNotebook
    task_dir: str


def kernel_ref(text: str) -> str:
    parts = text.strip().strip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "code":
        parts = parts[-2:]
    if len(parts) != 2 or not all(parts):
        raise UserError(
            f"{text!r} is not a kernel: use OWNER/KERNEL as in https://www.kaggle.com/code/OWNER/KERNEL"
        )
    return "/".join(parts)


def fetch_kernel(session: KaggleSession, ref: str) -> PulledKernel:
    with tempfile.TemporaryDirectory(prefix="mlestar-kernel-") as folder:
        session.call(f"pulling kernel {ref}", session.api.kernels_pull, ref, path=folder, metadata=True)
        meta = json.loads((Path(folder) / METADATA_FILE).read_text(encoding="utf-8"))
        language = str(meta.get("language") or "").lower()
        if language != "python":
            raise NotebookImportError(
                f"{ref} is written in {language or 'an unknown language'}; "
                "only Python kernels can be imported"
            )
        text = (Path(folder) / meta["code_file"]).read_text(encoding="utf-8")
    if str(meta.get("kernel_type")).lower() == "notebook":
        notebook = nbformat.reads(text, as_version=4)
    else:
        notebook = jupytext.reads(text, fmt="py:percent" if "# %%" in text else "py:light")
    return PulledKernel(ref, notebook, [str(c) for c in meta.get("competition_sources") or []])


def pull_kernel(
    session: KaggleSession,
    workspace: Workspace,
    store: RunStore,
    ref: str,
    config: RunConfig,
    task_dir: Path | None,
    download_parent: Path,
    score_variable: str | None = None,
) -> PullResult:
    """A new run whose initial candidates include kernel `ref`; not started (the caller runs it)."""
    ref = kernel_ref(ref)
    kernel = fetch_kernel(session, ref)
    task_dir = _task_folder(session, kernel, task_dir, download_parent)
    competitions = set(kernel.competitions)
    info = read_competition(task_dir)
    if info is not None:
        if kernel.competitions and info.slug not in competitions:
            raise NotebookImportError(
                f"{ref} is a notebook of {', '.join(kernel.competitions)}, but {task_dir} holds {info.slug}; "
                "pass the matching --task folder"
            )
        competitions.add(info.slug)
    defaults = parameter_defaults(str(task_dir), config.seed)
    metric = info.metric if info is not None else None
    imported = import_notebook(kernel.notebook, ref, competitions, defaults, score_variable, metric)
    relative = f"{IMPORTS_DIR}/{safe_name(ref.replace('/', '-'), 'kernel')}.ipynb"
    config = config.model_copy(update={"starting_notebooks": [*config.starting_notebooks, relative]})
    run = create_run(workspace, store, task_dir, config)
    notes = imported.rewrites + imported.warnings
    write_notebook(with_metadata(imported.notebook, import_notes=notes), Path(run.run_dir) / relative)
    store.add_event(
        run.id,
        "kaggle.pulled",
        {"kernel": ref, "notebook": relative, "blocks": imported.blocks, "notes": notes},
    )
    return PullResult(run=run, imported=imported, task_dir=str(task_dir))


def _task_folder(session: KaggleSession, kernel: PulledKernel, task_dir: Path | None, parent: Path) -> Path:
    if task_dir is not None:
        if not task_dir.is_dir():
            raise UserError(f"--task {task_dir} is not a folder")
        return task_dir.resolve()
    if not kernel.competitions:
        raise NotebookImportError(
            f"{kernel.ref} has no competition as a data source; pass --task with the folder of its data"
        )
    slug = kernel.competitions[0]
    folder = parent / slug
    existing = read_competition(folder) if folder.is_dir() else None
    if existing is not None and existing.slug == slug:
        return folder.resolve()
    if folder.is_dir() and any(folder.iterdir()):
        raise UserError(f"{folder} exists but was not downloaded for {slug}; pass --task {folder} to use it")
    return Path(download_competition(session, slug, folder).task_dir)
