"""The Kaggle actions of the REST API, as plain blocking Python over `mlestar_lab.kaggle`.

The same functions as `mlestar kaggle …`; only the paths differ: folders are named relative to
the server root and confined to it, and a pulled run is started as an agent process like any run
created over the API.
"""

from __future__ import annotations

from pathlib import Path

from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.download import competition_slug, download_competition
from mlestar_lab.kaggle.pull import pull_kernel
from mlestar_lab.kaggle.push import PushOptions, push_kernel
from mlestar_lab.kaggle.status import KaggleStatus, follow
from mlestar_lab.kaggle.submit import submit_run
from mlestar_lab.server.paths import relative_to_root, resolve_under_root
from mlestar_lab.server.runs import RunService
from mlestar_lab.server.schemas import (
    CreateRunRequest,
    KaggleDownload,
    KaggleDownloadRequest,
    KagglePullRequest,
    KagglePushRequest,
    KaggleSubmitRequest,
)
from mlestar_lab.store.models import RunRecord, StepRecord


class KaggleActions:
    def __init__(self, service: RunService) -> None:
        self.service = service

    def download(self, request: KaggleDownloadRequest) -> KaggleDownload:
        root = self.service.root
        target = resolve_under_root(root, request.dir or competition_slug(request.competition))
        result = download_competition(KaggleSession(), request.competition, target, force=request.force)
        return KaggleDownload(
            task=relative_to_root(root, result.task_dir) or "",
            competition=result.competition,
            files=result.files,
            problems=result.problems,
        )

    def pull(self, request: KagglePullRequest) -> RunRecord:
        root = self.service.root
        task = resolve_under_root(root, request.task) if request.task else None
        settings = CreateRunRequest(
            task=request.task or ".", time_budget=request.time_budget, gates=request.gates
        )
        result = pull_kernel(
            KaggleSession(),
            self.service.workspace,
            self.service.store,
            request.kernel,
            self.service.config(settings),
            task,
            Path(root),
            request.score_variable,
        )
        self.service.agents.spawn(result.run)
        return result.run

    def push(self, run_id: str, request: KagglePushRequest) -> StepRecord:
        run = self.service.store.get_run(run_id)
        options = PushOptions(request.public, request.gpu, request.step_id, request.competition)
        return push_kernel(KaggleSession(), self.service.store, run, options)

    def status(self, run_id: str) -> KaggleStatus:
        return follow(KaggleSession(), self.service.store, self.service.store.get_run(run_id))

    def submit(self, run_id: str, request: KaggleSubmitRequest) -> StepRecord:
        run = self.service.store.get_run(run_id)
        return submit_run(KaggleSession(), self.service.store, run, request.message, request.competition)
