"""`mlestar kaggle submit RUN`: the run's validated `submission.csv` to its competition.

File competitions get the upload sequence (`StartSubmissionUpload` → PUT → `CreateSubmission`).
Code competitions accept notebooks only, so there the last pushed kernel's output is submitted.
Either way the submission is recorded on the run (a `kaggle/submit/N` step).
"""

from __future__ import annotations

from pathlib import Path

from mlestar_lab.errors import UserError
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.errors import KaggleUnavailable
from mlestar_lab.kaggle.push import CODE_FILE
from mlestar_lab.kaggle.records import PUSH, SUBMIT, competition_of, latest, record
from mlestar_lab.notebook import contract
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore

UPLOAD_FAILED = "Could not submit to competition"


def submit_run(
    session: KaggleSession,
    store: RunStore,
    run: RunRecord,
    message: str | None,
    competition: str | None = None,
) -> StepRecord:
    info = competition_of(run, competition)
    text = message or f"mlestar run {run.id} ({run.metric} {run.best_score})"
    if info.kernels_only:
        return _submit_kernel(session, store, run, info.slug, text)
    path = Path(run.submission_path or "")
    if not run.submission_path or not path.is_file():
        raise UserError(
            f"run {run.id} has no {contract.SUBMISSION_FILE} yet ({run.status}); let it finish first"
        )
    response = session.call(
        f"submitting {path.name} to {info.slug}",
        session.api.competition_submit,
        str(path),
        text,
        info.slug,
        quiet=True,
    )
    answer = getattr(response, "message", "") or ""
    if answer == UPLOAD_FAILED or not getattr(response, "ref", None):
        raise KaggleUnavailable(
            f"Kaggle did not take the submission to {info.slug} "
            f"({answer or 'no reference returned'}); retry later"
        )
    details = {
        "competition": info.slug,
        "ref": response.ref,
        "message": text,
        "kaggle": answer,
        "file": str(path),
    }
    return record(
        store, run, SUBMIT, f"Kaggle submission {response.ref} to {info.slug}", details, score=run.best_score
    )


def _submit_kernel(
    session: KaggleSession, store: RunStore, run: RunRecord, slug: str, text: str
) -> StepRecord:
    pushed = latest(store, run, PUSH)
    if pushed is None:
        raise UserError(
            f"{slug} accepts notebook submissions only: push the solution first "
            f"(`mlestar kaggle push {run.id}`), then submit"
        )
    kernel, version = pushed.info["kernel"], pushed.info.get("version")
    response = session.call(
        f"submitting kernel {kernel} to {slug}",
        session.api.competition_submit_code,
        contract.SUBMISSION_FILE,
        text,
        slug,
        kernel=kernel,
        kernel_version=version,
        quiet=True,
    )
    details = {
        "competition": slug,
        "ref": getattr(response, "ref", None),
        "message": text,
        "kernel": kernel,
        "version": version,
        "code_file": CODE_FILE,
        "kaggle": getattr(response, "message", ""),
    }
    return record(
        store, run, SUBMIT, f"Kaggle code submission of {kernel} to {slug}", details, score=run.best_score
    )
