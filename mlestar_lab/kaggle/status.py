"""`mlestar kaggle status RUN`: how the run's last kernel and last submission are doing on Kaggle.

Kaggle runs a pushed kernel and scores a submission asynchronously; each call asks once and saves
the answer on the step that recorded the push or the submission, so every front end sees it as a
step update.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mlestar_lab.errors import UserError
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.records import PUSH, SUBMIT, latest
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore


class KaggleStatus(BaseModel):
    """The run's last push and last submission with Kaggle's latest answer in their `info`."""

    kernel: StepRecord | None
    submission: StepRecord | None


def follow(session: KaggleSession, store: RunStore, run: RunRecord) -> KaggleStatus:
    pushed, submitted = latest(store, run, PUSH), latest(store, run, SUBMIT)
    if pushed is None and submitted is None:
        raise UserError(
            f"run {run.id} has nothing on Kaggle yet: `mlestar kaggle push {run.id}` or "
            f"`mlestar kaggle submit {run.id}` first"
        )
    return KaggleStatus(
        kernel=_kernel(session, store, pushed) if pushed else None,
        submission=_submission(session, store, submitted)
        if submitted and submitted.info.get("ref")
        else None,
    )


def _kernel(session: KaggleSession, store: RunStore, pushed: StepRecord) -> StepRecord:
    ref = pushed.info["kernel"]
    version = pushed.info.get("version")
    target = f"{ref}/{version}" if version else ref
    response = session.call(f"reading the status of kernel {ref}", session.api.kernels_status, target)
    failure = session.redact(getattr(response, "failure_message", "") or "")
    info = {**pushed.info, "kernel_status": _name(response.status), "failure_message": failure or None}
    return store.update_step(pushed.id or 0, info=info)


def _submission(session: KaggleSession, store: RunStore, submitted: StepRecord) -> StepRecord:
    ref = submitted.info["ref"]
    response = session.call(f"reading submission {ref}", session.api.get_submission, int(ref))
    info = {
        **submitted.info,
        "submission_status": _name(response.status),
        "public_score": getattr(response, "public_score", None) or None,
        "private_score": getattr(response, "private_score", None) or None,
        "error_description": session.redact(getattr(response, "error_description", "") or "") or None,
    }
    return store.update_step(submitted.id or 0, info=info)


def _name(status: Any) -> str:
    """Kaggle's enum (`KernelWorkerStatus.COMPLETE`, `SubmissionStatus.PENDING`) as a lowercase word."""
    return str(getattr(status, "name", status) or "unknown").lower()
