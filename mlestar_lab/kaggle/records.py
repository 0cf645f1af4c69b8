"""Kaggle actions recorded on their run: each push and submission is a step of stage `submission`.

Steps (keys `kaggle/push/N`, `kaggle/submit/N`) rather than new columns: they reach every front
end through the run store's events like any other step, and a run keeps its whole Kaggle history.
"""

from __future__ import annotations

import time
from typing import Any

from mlestar_lab.errors import UserError
from mlestar_lab.kaggle.download import CompetitionInfo, competition_slug, read_competition
from mlestar_lab.store.models import RunRecord, StepRecord
from mlestar_lab.store.store import RunStore

PUSH = "kaggle/push"
SUBMIT = "kaggle/submit"


def record(
    store: RunStore, run: RunRecord, kind: str, title: str, info: dict[str, Any], **fields: Any
) -> StepRecord:
    count = sum(1 for s in store.steps(run.id) if s.key.startswith(kind + "/"))
    now = time.time()
    return store.add_step(
        StepRecord(
            run_id=run.id,
            key=f"{kind}/{count + 1}",
            stage="submission",
            title=title,
            info=info,
            status="ok",
            created_at=now,
            finished_at=now,
            **fields,
        )
    )


def latest(store: RunStore, run: RunRecord, kind: str) -> StepRecord | None:
    found = [s for s in store.steps(run.id) if s.key.startswith(kind + "/")]
    return found[-1] if found else None


def competition_of(run: RunRecord, override: str | None) -> CompetitionInfo:
    """The run's competition: `--competition`, else the one its task folder was downloaded from."""
    if override:
        known = read_competition(run.task_dir)
        slug = competition_slug(override)
        return known if known is not None and known.slug == slug else CompetitionInfo(slug=slug)
    info = read_competition(run.task_dir)
    if info is None:
        raise UserError(
            f"run {run.id}'s task folder was not downloaded with `mlestar kaggle download`, "
            "so its competition is unknown; pass --competition NAME"
        )
    return info
