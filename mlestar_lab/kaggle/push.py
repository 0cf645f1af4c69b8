"""`mlestar kaggle push RUN`: the run's final solution as a Kaggle kernel that runs as a code submission.

The notebook is the final solution's candidate (never the executed copy, so no output, path or
log of this machine travels), with the parameters cell set to Kaggle's layout
(`/kaggle/input/<competition>`, `/kaggle/working`), any literal path under the local task folder
rewritten to the competition's input folder, and internet off, as code competitions require. The
kernel folder (`<run>/kaggle/kernel/`) stays on disk for inspection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlestar_lab.errors import UserError
from mlestar_lab.fsutil import atomic_write_json, write_notebook
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.errors import KaggleError
from mlestar_lab.kaggle.paths import KAGGLE_INPUT, KAGGLE_WORKING, local_to_kaggle, rewrite_literals
from mlestar_lab.kaggle.records import PUSH, competition_of, record
from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import clean_copy, parameters, read, set_parameters
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore

KERNEL_DIR = "kaggle/kernel"
CODE_FILE = "notebook.ipynb"
METADATA_FILE = "kernel-metadata.json"
KAGGLE_N_JOBS = 4
KAGGLE_TIME_LIMIT = 8 * 3600.0


@dataclass
class PushOptions:
    public: bool = False
    gpu: bool = False
    step_id: int | None = None
    competition: str | None = None


def final_step(store: RunStore, run: RunRecord, step_id: int | None) -> StepRecord:
    """The solution to push: `step_id`, else the one the run submitted."""
    if step_id is not None:
        step = store.get_step(step_id)
        if step.run_id != run.id or step.score is None:
            raise UserError(
                f"step {step_id} is not a scored solution of run {run.id}; `mlestar show {run.id}` lists them"
            )
        return step
    submitted = store.step_by_key(run.id, "submission")
    if submitted is None or "source_step" not in submitted.info:
        raise UserError(
            f"run {run.id} has no final solution yet ({run.status}); let it finish, or pass --step ID"
        )
    return store.get_step(int(submitted.info["source_step"]))


def kaggle_notebook(store: RunStore, run: RunRecord, step: StepRecord, competition: str) -> Any:
    nb = read(str(Path(step.output_dir or "") / contract.INPUT_NOTEBOOK))
    if contract.PARAM_MEMBER_DIRS in parameters(nb):
        alternative = _best_single(store, run)
        hint = (
            f"; push the best single solution with --step {alternative.id} ({alternative.title})"
            if alternative
            else ""
        )
        raise UserError(
            f"#{step.id} {step.title} blends predictions saved on this machine, "
            f"so it cannot run on Kaggle alone{hint}"
        )
    nb = set_parameters(
        nb,
        {
            contract.PARAM_DATA_DIR: f"{KAGGLE_INPUT}/{competition}",
            contract.PARAM_OUTPUT_DIR: KAGGLE_WORKING,
            contract.PARAM_FOLDS_FILE: "folds.csv",
            contract.PARAM_N_JOBS: KAGGLE_N_JOBS,
            contract.PARAM_TIME_LIMIT: KAGGLE_TIME_LIMIT,
        },
    )
    mapper = local_to_kaggle(run.task_dir, competition)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, _ = rewrite_literals(cell.source, mapper)
    local = [str(Path(run.run_dir).parent.parent), run.task_dir]
    leftovers = [c.source for c in nb.cells if c.cell_type == "code" and any(p in c.source for p in local)]
    if leftovers:
        raise UserError(
            f"#{step.id} still names a local path ({leftovers[0][:80]!r}…); edit it to use DATA_DIR"
        )
    return clean_copy(nb)


def _best_single(store: RunStore, run: RunRecord) -> StepRecord | None:
    sign = -1.0 if run.higher_is_better else 1.0
    singles = [
        s
        for s in store.steps(run.id)
        if s.stage in ("candidate", "merge", "refinement") and s.status == "ok" and s.score is not None
    ]
    return min(singles, key=lambda s: sign * (s.score or 0.0), default=None)


def push_kernel(session: KaggleSession, store: RunStore, run: RunRecord, options: PushOptions) -> StepRecord:
    competition = competition_of(run, options.competition)
    step = final_step(store, run, options.step_id)
    nb = kaggle_notebook(store, run, step, competition.slug)
    slug = kernel_slug(run)
    ref = f"{session.username}/{slug}"
    folder = Path(run.run_dir) / KERNEL_DIR
    metadata = {
        "id": ref,
        "title": slug,
        "code_file": CODE_FILE,
        "language": "python",
        "kernel_type": "notebook",
        "is_private": not options.public,
        "enable_gpu": options.gpu,
        "enable_tpu": False,
        "enable_internet": False,
        "dataset_sources": [],
        "competition_sources": [competition.slug],
        "kernel_sources": [],
        "model_sources": [],
    }
    write_notebook(nb, folder / CODE_FILE)
    atomic_write_json(folder / METADATA_FILE, metadata)
    response = session.call(f"pushing kernel {ref}", session.api.kernels_push, str(folder))
    problem = getattr(response, "error", "") or _invalid_sources(response)
    if problem:
        raise KaggleError(f"Kaggle did not accept kernel {ref}: {session.redact(problem)}")
    info = {
        "kernel": ref,
        "url": getattr(response, "url", "") or f"https://www.kaggle.com/code/{ref}",
        "version": getattr(response, "version_number", None),
        "competition": competition.slug,
        "private": not options.public,
        "gpu": options.gpu,
        "source_step": step.id,
        "folder": str(folder),
        "kernel_status": "queued",
    }
    return record(store, run, PUSH, f"Kaggle kernel {ref}", info, parent_id=step.id, score=step.score)


def kernel_slug(run: RunRecord) -> str:
    """`mlestar-<run id>` as Kaggle slugifies titles (letters, digits, '-'; at most 50 characters), so
    the title can be the slug itself and every push of a run is a new version of one kernel."""
    return re.sub(r"[^a-z0-9]+", "-", f"mlestar-{run.id}".lower())[:50].strip("-")


def _invalid_sources(response: Any) -> str:
    bad = [
        f"{name}: {', '.join(map(str, values))}"
        for name in ("invalid_competition_sources", "invalid_dataset_sources", "invalid_tags")
        if (values := getattr(response, name, None))
    ]
    return "; ".join(bad)
